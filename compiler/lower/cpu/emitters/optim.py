"""Optimizer updates as library kernels: one kernel per optimizer serves every parameter (it
sees each array flat, options are arguments), so Numba compiles its loop once per machine."""
from __future__ import annotations

from ....ops.optim import TINY
from ..entry import IMPL, export
from . import emitter, f32, library


# Parameters are updated in blocks of this many elements, one prange iteration each; a
# parameter that fits in one block is updated without opening a parallel region (~3 us, more
# than updating a bias or a small layer takes).
BLOCK = 32768



def _blocked(name: str, arrays: str, scalars: str, body: str, parallel: bool,
             kinds: str) -> str:
    """Source of the library kernel `name(arrays, scalars)` (a C entry point, lower/cpu/entry.py;
    `kinds` gives the scalars' kinds, the arrays are seen flat): a serial `name_block` running
    `body` for every k of its (sliced) arrays, and the driver that runs the blocks (in
    parallel when there are several).
    NOTE: the block gets slices and loops over range(size) rather than range(k0, k1): Numba
    must assume an index from range(k0, k1) may be negative and wraps it, which stops LLVM from
    vectorising (measured 107 us vs 16 us for a 100k-parameter momentum update)."""
    sliced = ", ".join(f"{a.strip()}[k0:k1]" for a in arrays.split(","))
    return f"""
@njit(cache=True, error_model='numpy')
def {name}_block({arrays}, {scalars}):
    for k in range(p.size):
{body}


{IMPL}
def {name}_impl({arrays}, {scalars}):
    blocks = (p.size + {BLOCK} - 1) // {BLOCK}
    if blocks <= 1:
        {name}_block({arrays}, {scalars})
    else:
        for b in prange(blocks):
            k0 = b * {BLOCK}
            k1 = min(p.size, k0 + {BLOCK})
            {name}_block({sliced}, {scalars})


""" + export(name, ", ".join(f"{a.strip()}: f32[*]" for a in arrays.split(","))
             + ", " + ", ".join(f"{a.strip()}: {k.strip()}"
                                for a, k in zip(scalars.split(","), kinds.split(","))))



def _sgd_emit(n, ctx):
    # One library kernel serves every parameter (it sees each array flat, options are
    # arguments): Numba compiles its loop once per machine instead of once per parameter.
    # The options are float64 run-time inputs, rounded to float32 as their literals were.
    p, g = n.inputs[0], n.inputs[1]
    has_v = bool(n.attrs["velocity"])
    v = n.inputs[2] if has_v else g             # unused when there is no momentum
    lr, lr_mult, decay_mult, wd, *mu = (ctx.name(x) for x in n.inputs[2 + has_v:])
    momentum = f"np.float32({mu[0]})" if has_v else f32(0.0)
    return [f"_sgd_update({ctx.name(p)}, {ctx.name(g)}, {ctx.name(v)}, "
            f"{lr} * np.float32({lr_mult}), {momentum}, np.float32({wd} * {decay_mult}), "
            f"{bool(n.attrs['nesterov'])}, {has_v})"]



def _sgd_prelude(parallel: bool) -> str:
    return _blocked("_sgd_update", "p, g, v", "lr, mu, wd, nesterov, has_v", f"""\
        d = g[k] + wd * p[k]
        if has_v:
            vk = mu * v[k] + d
            if abs(vk) < np.float32({TINY!r}):
                vk = np.float32(0.0)
            v[k] = vk
            d = d + mu * vk if nesterov else vk
        p[k] -= lr * d""", parallel, "f32, f32, f32, bool, bool")



def _adam_emit(n, ctx):
    p, g, m, v = (ctx.name(x) for x in n.inputs[:4])
    lr, step, lr_mult, decay_mult, wd, b1, b2, eps = (ctx.name(x) for x in n.inputs[4:])
    step_size = f"np.float32({lr} * np.float32({lr_mult}) / (1.0 - {b1} ** ({step} + 1)))"
    bc2 = f"np.float32(np.sqrt(1.0 - {b2} ** ({step} + 1)))"
    return [f"_adam_update({p}, {g}, {m}, {v}, {step_size}, {bc2}, np.float32({b1}), "
            f"np.float32(1.0 - {b1}), np.float32({b2}), np.float32(1.0 - {b2}), "
            f"np.float32({eps}), np.float32({wd} * {decay_mult}))"]



def _adam_prelude(parallel: bool) -> str:
    return _blocked("_adam_update", "p, g, m, v",
                    "step_size, bc2, b1, one_minus_b1, b2, one_minus_b2, eps, wd",
                    f"""\
        d = g[k] + wd * p[k]
        mk = b1 * m[k] + one_minus_b1 * d
        vk = b2 * v[k] + one_minus_b2 * d * d
        if abs(mk) < np.float32({TINY!r}):
            mk = np.float32(0.0)
        if vk < np.float32({TINY!r}):
            vk = np.float32(0.0)
        m[k] = mk
        v[k] = vk
        p[k] -= step_size * mk / (np.sqrt(vk) / bc2 + eps)""", parallel,
                    ", ".join(["f32"] * 8))


emitter("sgd_update")(_sgd_emit)
library("sgd_update")(_sgd_prelude)
emitter("adam_update")(_adam_emit)
library("adam_update")(_adam_prelude)
