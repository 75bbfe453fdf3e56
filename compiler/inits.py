"""Parameter initialisers a recipe may name (`init = he`, `init = constant(0.1)`): the schemas.

A layer's `init` / `bias_init` option is a call over this table, so a bare name and a call
with options are checked alike: unknown names get a did-you-mean, options their ranges. The
checked value is a `Call`. The draws themselves are the runtime's (runtime/init.py, one
function per name here; tests/test_init.py checks both lists agree).
"""
from __future__ import annotations

from .diagnostics import Span
from .options import Choice, Opt
from .recipe import Call

INITS: dict[str, Choice] = {c.name: c for c in (
    Choice("he", doc="N(0, 2 / fan_in) (He et al. 2015)"),
    Choice("kaiming", doc="= he"),
    Choice("xavier", doc="U(+-sqrt(6 / (fan_in + fan_out))) (Glorot & Bengio 2010)"),
    Choice("glorot", doc="= xavier"),
    Choice("lecun_uniform", doc="U(+-sqrt(3 / fan_in)) (Caffe's xavier filler)"),
    Choice("lecun_normal", doc="std sqrt(1 / fan_in), truncated at 2 std (Keras')"),
    Choice("pytorch", doc="U(+-1 / sqrt(fan_in)): nn.Linear / nn.Conv's default"),
    Choice("normal", doc="N(0, 0.05^2) (Keras' RandomNormal)"),
    Choice("uniform", doc="U(+-0.05) (Keras' RandomUniform)"),
    Choice("truncated_normal",
           (Opt("std", "float", 0.05, min=0.0, min_inclusive=False, positional=True,
                doc="of the normal before it is cut at +-2 std"),),
           doc="N(0, std^2) cut at +-2 std (Keras' TruncatedNormal, torch's trunc_normal_)"),
    Choice("orthogonal",
           (Opt("gain", "float", 1.0, min=0.0, min_inclusive=False, positional=True,
                doc="the matrix times this"),),
           doc="a random orthogonal [out, fan_in] matrix (torch.nn.init.orthogonal_)"),
    Choice("constant", (Opt("v", "float", required=True, positional=True,
                            doc="every element"),), doc="every element v"),
    Choice("zeros"),
)}

# initialisers of a matrix, which a bias (a vector) cannot take
MATRIX_ONLY = ("orthogonal",)


def init_option(name: str, default: str, doc: str = "") -> Opt:
    """A layer's `init`-like option, defaulting to the bare initialiser `default`."""
    return Opt(name, "call", Call(default, {}, Span.unknown()), table=INITS, doc=doc)
