"""Parameter initialisers (the names a recipe's `init = ...` may use).

Each parameter draws from its own stream, keyed on the run seed and the parameter's name, so
adding a layer does not change the initial weights of the others.
"""
from __future__ import annotations

import zlib

import numpy as np

from ..compiler.build import ParamInfo


def _draw(rng: np.random.Generator, p: ParamInfo) -> np.ndarray:
    if p.init == "zeros":
        return np.zeros(p.shape)
    if p.init == "ones":                          # batchnorm's scale
        return np.ones(p.shape)
    if p.init == "uniform":                       # Keras' RandomUniform default
        return rng.uniform(-0.05, 0.05, p.shape)
    if p.init == "normal":                        # Keras' RandomNormal default
        return rng.normal(0.0, 0.05, p.shape)
    if p.init in ("xavier", "glorot"):            # Glorot & Bengio 2010, uniform variant
        limit = np.sqrt(6.0 / (p.fan_in + p.fan_out))
        return rng.uniform(-limit, limit, p.shape)
    if p.init in ("he", "kaiming"):               # He et al. 2015, normal variant
        return rng.normal(0.0, np.sqrt(2.0 / p.fan_in), p.shape)
    if p.init == "lecun_uniform":                 # U(+-sqrt(3 / fan_in)): Caffe's "xavier" filler
        bound = np.sqrt(3.0 / p.fan_in)
        return rng.uniform(-bound, bound, p.shape)
    if p.init == "pytorch":                       # nn.Linear / nn.Conv default, weight and bias
        bound = 1.0 / np.sqrt(p.fan_in)           # (kaiming_uniform with a = sqrt(5))
        return rng.uniform(-bound, bound, p.shape)
    raise ValueError(f"unknown initialiser {p.init!r}")


def init_params(params: list[ParamInfo], seed: int) -> list[np.ndarray]:
    out = []
    for p in params:
        rng = np.random.default_rng([seed, zlib.crc32(p.name.encode())])
        out.append(np.ascontiguousarray(_draw(rng, p), dtype=np.float32))
    return out
