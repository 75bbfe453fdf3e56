"""The benchmark cases: each a recipe text plus the equivalent torch.nn model.

Layer specs are tuples the torch side turns into modules, in the recipe's layer order, so
`model.parameters()` comes out in the order of `program.graphs.params` (weight, then bias).
"""
from __future__ import annotations

from dataclasses import dataclass

# NOTE: the data section is never read by the benchmark (it feeds arrays to train_steps
# directly); the source only has to check. `batch` is a runtime argument of the kernels, but
# the recipe's batch decides which loops are parallel (lower/cpu.py), so each batch variant
# compiles its own kernel.
TEMPLATE = """\
recipe {name}
data {{ source = digits()  normalize = none  validation = 0  shuffle = true }}
model {{
{layers}
}}
loss      = cross_entropy
optimizer = {optimizer}
schedule  = {schedule}
train {{ epochs = 1  batch = {batch}  seed = {seed} }}
metrics   = [accuracy]
"""

MLP1 = ("  input [784]\n  dense(128) relu\n  dense(10)",
        [("flatten",), ("dense", 784, 128), ("relu",), ("dense", 128, 10)])
MLP2 = ("  input [784]\n  dense(512) relu\n  dense(256) relu\n  dense(10)",
        [("flatten",), ("dense", 784, 512), ("relu",), ("dense", 512, 256), ("relu",),
         ("dense", 256, 10)])
CNN = ("  input [1, 28, 28]\n  conv2d(32, 3) relu\n  maxpool2d(2)\n  conv2d(64, 3) relu\n"
       "  maxpool2d(2)\n  flatten\n  dense(128) relu\n  dense(10)",
       [("conv", 1, 32, 3), ("relu",), ("pool", 2), ("conv", 32, 64, 3), ("relu",), ("pool", 2),
        ("flatten",), ("dense", 64 * 5 * 5, 128), ("relu",), ("dense", 128, 10)])
# Caffe's LeNet (BVLC/caffe examples/mnist): no nonlinearity after the convolutions.
# Caffe's LeNet exactly (recipes/mnist_lenet_caffe.recipe): its "xavier" filler is lecun_uniform,
# biases train at 2x the rate, lr follows the inv policy (see INV below).
_C = "init = lecun_uniform, bias_lr_mult = 2"
LENET = (f"  input [1, 28, 28]\n  conv2d(20, 5, {_C})\n  maxpool2d(2)\n  conv2d(50, 5, {_C})\n"
         f"  maxpool2d(2)\n  flatten\n  dense(500, {_C}) relu\n  dense(10, {_C})",
         [("conv", 1, 20, 5), ("pool", 2), ("conv", 20, 50, 5), ("pool", 2), ("flatten",),
          ("dense", 50 * 4 * 4, 500), ("relu",), ("dense", 500, 10)])

SGD = ("sgd", {"lr": 0.01, "momentum": 0.9})
ADAM = ("adam", {"lr": 1e-3})
LENET_SGD = ("sgd", {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4})
INV = (1e-4, 0.75)          # Caffe's lr_policy "inv": lr = base * (1 + gamma * iter) ** -power


@dataclass(frozen=True)
class Case:
    key: str                  # short id used in the json and the chart
    title: str
    model: str                # model id (names the recipe)
    layers_text: str
    torch_layers: tuple
    optimizer: tuple          # (name, options) for both systems
    batch: int
    needs_conv: bool = False
    parity: bool = False      # check the first steps' losses against PyTorch
    parity_sgd: bool = False  # the same check with the model trained by SGD (see run.py)
    inv: tuple | None = None  # (gamma, power) of an inv schedule, in both systems
    bias_lr_mult: float = 1.0 # must match the layers' bias_lr_mult (torch side)
    seed: int = 0

    def recipe_text(self) -> str:
        name, opts = self.optimizer
        args = ", ".join(f"{k} = {v!r}" for k, v in opts.items())
        schedule = (f"inv(gamma = {self.inv[0]!r}, power = {self.inv[1]!r})" if self.inv
                    else "constant")
        return TEMPLATE.format(name=f"bench_{self.model}", layers=self.layers_text,
                               optimizer=f"{name}({args})", schedule=schedule,
                               batch=self.batch, seed=self.seed)


def _case(key, title, model, spec, optimizer, batch, **kw):
    return Case(key, title, model, spec[0], tuple(spec[1]), optimizer, batch, **kw)


CASES = [
    _case("mlp128_sgd_b64", "MLP 784-128-10, SGD m0.9, batch 64", "mlp128_sgd", MLP1, SGD, 64,
          parity=True),
    _case("mlp128_sgd_b256", "MLP 784-128-10, SGD m0.9, batch 256", "mlp128_sgd", MLP1, SGD, 256),
    _case("mlp512_adam_b128", "MLP 784-512-256-10, Adam, batch 128", "mlp512_adam", MLP2, ADAM,
          128),
    _case("cnn_adam_b64", "CNN c32-p-c64-p-128, Adam, batch 64", "cnn_adam", CNN, ADAM, 64,
          needs_conv=True, parity=True, parity_sgd=True),
    _case("cnn_adam_b128", "CNN c32-p-c64-p-128, Adam, batch 128", "cnn_adam", CNN, ADAM, 128,
          needs_conv=True),
]
LENET_CASE = _case("lenet_caffe", "Caffe LeNet, SGD m0.9 wd5e-4, batch 64, 10000 it",
                   "lenet", LENET, LENET_SGD, 64, needs_conv=True, inv=INV, bias_lr_mult=2.0)
LENET_ITERATIONS = 10_000
# cases whose recipec threading layout (RECIPEC_THREADS=numba|blas) is measured both ways
LAYOUT_CASES = ("mlp128_sgd_b64", "mlp128_sgd_b256", "mlp512_adam_b128")


def conv_available() -> bool:
    from recipec.compiler.layers import LAYERS

    return "conv2d" in LAYERS and "maxpool2d" in LAYERS
