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
    p, g = n.inputs[0], n.inputs[1]
    has_v = bool(n.attrs["momentum"])
    v = n.inputs[2] if has_v else g             # unused when there is no momentum
    lr = f"{ctx.name(n.inputs[-1])} * {f32(n.attrs.get('lr_mult', 1.0))}"
    return [f"_sgd_update({ctx.name(p)}, {ctx.name(g)}, {ctx.name(v)}, {lr}, "
            f"{f32(n.attrs['momentum'])}, {f32(n.attrs['weight_decay'])}, "
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
    b1, b2, eps, wd = (n.attrs[k] for k in ("beta1", "beta2", "eps", "weight_decay"))
    p, g, m, v = n.inputs[:4]
    lr, step = ctx.name(n.inputs[4]), ctx.name(n.inputs[5])
    lr_mult = n.attrs.get("lr_mult", 1.0)
    step_size = f"np.float32({lr} * {f32(lr_mult)} / (1.0 - {b1!r} ** ({step} + 1)))"
    bc2 = f"np.float32(np.sqrt(1.0 - {b2!r} ** ({step} + 1)))"
    return [f"_adam_update({ctx.name(p)}, {ctx.name(g)}, {ctx.name(m)}, "
            f"{ctx.name(v)}, {step_size}, {bc2}, {f32(b1)}, {f32(1 - b1)}, {f32(b2)}, "
            f"{f32(1 - b2)}, {f32(eps)}, {f32(wd)})"]



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
