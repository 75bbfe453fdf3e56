"""Parameter initialisers: the draws behind the names of compiler/inits.py (`init = ...`).

Each parameter draws from its own stream, keyed on the run seed and the parameter's name, so
adding a layer does not change the initial weights of the others. A draw is
`(rng, param, **options) -> float64 array of param.shape`, rounded to float32 afterwards.
"""
from __future__ import annotations

import math
import zlib

import numpy as np
from scipy.special import ndtr, ndtri

from ..compiler.build import ParamInfo

# std of a standard normal cut at +-2: a truncated draw of std s has std s * this
TRUNCATED_STD = 0.87962566103423978


def _truncated_normal(rng: np.random.Generator, std: float, shape) -> np.ndarray:
    """N(0, std^2) cut at +-2 std, by torch.nn.init.trunc_normal_'s inverse CDF: a uniform
    draw between the cut points' probabilities, mapped through the normal quantile (one draw
    per element, so no rejection loop whose length depends on the values)."""
    u = rng.uniform(ndtr(-2.0), ndtr(2.0), shape)
    return np.clip(ndtri(u), -2.0, 2.0) * std     # the clip only guards the last ulp


def _orthogonal(rng: np.random.Generator, p: ParamInfo, gain: float) -> np.ndarray:
    """torch.nn.init.orthogonal_ over the [out, fan_in] matrix (the output axis first, the
    rest flattened): the Q of a Gaussian matrix's QR, signs fixed by R's diagonal so the
    result is uniform over orthogonal matrices; orthonormal rows, or columns if taller."""
    if len(p.shape) < 2:
        raise ValueError(f"orthogonal needs a matrix, {p.name} has shape {list(p.shape)}")
    rows = p.shape[p.out_axis]
    cols = math.prod(p.shape) // rows
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    rest = tuple(d for i, d in enumerate(p.shape) if i != p.out_axis)
    return gain * np.moveaxis(q.reshape((rows,) + rest), 0, p.out_axis)


def _uniform(bound: float):
    return lambda rng, p: rng.uniform(-bound(p), bound(p), p.shape)


DRAWS = {
    "zeros": lambda rng, p: np.zeros(p.shape),
    "ones": lambda rng, p: np.ones(p.shape),                   # batchnorm's scale
    "constant": lambda rng, p, v: np.full(p.shape, v),
    "uniform": lambda rng, p: rng.uniform(-0.05, 0.05, p.shape),     # Keras' RandomUniform
    "normal": lambda rng, p: rng.normal(0.0, 0.05, p.shape),         # Keras' RandomNormal
    # Glorot & Bengio 2010, uniform variant
    "xavier": _uniform(lambda p: np.sqrt(6.0 / (p.fan_in + p.fan_out))),
    "glorot": _uniform(lambda p: np.sqrt(6.0 / (p.fan_in + p.fan_out))),
    # He et al. 2015, normal variant
    "he": lambda rng, p: rng.normal(0.0, np.sqrt(2.0 / p.fan_in), p.shape),
    "kaiming": lambda rng, p: rng.normal(0.0, np.sqrt(2.0 / p.fan_in), p.shape),
    # U(+-sqrt(3 / fan_in)): Caffe's "xavier" filler
    "lecun_uniform": _uniform(lambda p: np.sqrt(3.0 / p.fan_in)),
    # Keras' lecun_normal (VarianceScaling, truncated): the cut normal's std is sqrt(1/fan_in)
    "lecun_normal": lambda rng, p: _truncated_normal(
        rng, np.sqrt(1.0 / p.fan_in) / TRUNCATED_STD, p.shape),
    # nn.Linear / nn.Conv default, weight and bias (kaiming_uniform with a = sqrt(5))
    "pytorch": _uniform(lambda p: 1.0 / np.sqrt(p.fan_in)),
    "truncated_normal": lambda rng, p, std: _truncated_normal(rng, std, p.shape),
    "orthogonal": _orthogonal,
}


def init_params(params: list[ParamInfo], seed: int) -> list[np.ndarray]:
    out = []
    for p in params:
        rng = np.random.default_rng([seed, zlib.crc32(p.name.encode())])
        draw = DRAWS[p.init](rng, p, **dict(p.init_options))
        out.append(np.ascontiguousarray(draw, dtype=np.float32))
    return out
