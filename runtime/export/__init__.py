"""`recipec export MODEL --format onnx | npz | safetensors`: a trained model folder for other
runtimes (command.py). The ONNX graph (onnx_model.py) takes raw inputs, as predict() does:
the recipe's preparation (layout conversion, imputation and outlier bounds, normalization
with `scale` folded in) runs in the graph, then the network from recipec's prediction IR
(compiler/export/onnx.py), then predict()'s head (softmax, sigmoid or none)."""
