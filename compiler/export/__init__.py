"""Exports of a trained model's prediction graph to formats other runtimes read (onnx.py).
The compiler half: the IR in, the other format's graph out; the runtime half (the model
folder, its preparation of raw inputs, the command) is runtime/export/."""
