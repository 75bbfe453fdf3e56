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
    if n.attrs["decoupled"]:
        # AdamW: no decay in the gradient; the weights shrink by 1 - lr * wd (float64, then
        # float32, as PyTorch's Python scalar)
        l2 = f32(0.0)
        shrink = (f"np.float32(1.0 - np.float64({lr} * np.float32({lr_mult})) "
                  f"* ({wd} * {decay_mult}))")
    else:
        l2, shrink = f"np.float32({wd} * {decay_mult})", f32(1.0)
    return [f"_adam_update({p}, {g}, {m}, {v}, {step_size}, {bc2}, np.float32({b1}), "
            f"np.float32(1.0 - {b1}), np.float32({b2}), np.float32(1.0 - {b2}), "
            f"np.float32({eps}), {l2}, {shrink})"]



def _adam_prelude(parallel: bool) -> str:
    # shrink is 1 for adam (multiplying by it is exact) and 1 - lr * wd for adamw, whose wd
    # (the L2 term) is 0
    return _blocked("_adam_update", "p, g, m, v",
                    "step_size, bc2, b1, one_minus_b1, b2, one_minus_b2, eps, wd, shrink",
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
        pk = shrink * p[k]
        p[k] = pk - step_size * mk / (np.sqrt(vk) / bc2 + eps)""", parallel,
                    ", ".join(["f32"] * 9))



def _rmsprop_emit(n, ctx):
    momentum, centered = bool(n.attrs["momentum"]), bool(n.attrs["centered"])
    p, g, sq = (ctx.name(x) for x in n.inputs[:3])
    rest = [ctx.name(x) for x in n.inputs[3:]]
    buf = rest.pop(0) if momentum else g          # unused arrays: the kernel never reads them
    grad_avg = rest.pop(0) if centered else g
    lr, lr_mult, decay_mult, wd, alpha, eps, *mu = rest
    mu = f"np.float32({mu[0]})" if momentum else f32(0.0)
    return [f"_rmsprop_update({p}, {g}, {sq}, {buf}, {grad_avg}, {lr} * np.float32({lr_mult}), "
            f"np.float32({alpha}), np.float32(1.0 - {alpha}), np.float32({eps}), "
            f"np.float32({wd} * {decay_mult}), {mu}, {momentum}, {centered})"]



def _rmsprop_prelude(parallel: bool) -> str:
    return _blocked("_rmsprop_update", "p, g, sq, buf, ga",
                    "lr, alpha, one_minus_alpha, eps, wd, mu, has_buf, centered", f"""\
        d = g[k] + wd * p[k]
        sk = alpha * sq[k] + one_minus_alpha * d * d
        if sk < np.float32({TINY!r}):
            sk = np.float32(0.0)
        sq[k] = sk
        if centered:
            ak = alpha * ga[k] + one_minus_alpha * d
            if abs(ak) < np.float32({TINY!r}):
                ak = np.float32(0.0)
            ga[k] = ak
            avg = np.sqrt(sk - ak * ak) + eps
        else:
            avg = np.sqrt(sk) + eps
        if has_buf:
            bk = mu * buf[k] + d / avg
            if abs(bk) < np.float32({TINY!r}):
                bk = np.float32(0.0)
            buf[k] = bk
            p[k] -= lr * bk
        else:
            p[k] -= lr * d / avg""", parallel, "f32, f32, f32, f32, f32, f32, bool, bool")



def _adagrad_emit(n, ctx):
    p, g, acc = (ctx.name(x) for x in n.inputs[:3])
    lr, step, lr_mult, decay_mult, wd, lr_decay, eps = (ctx.name(x) for x in n.inputs[3:])
    clr = (f"np.float32(np.float64({lr} * np.float32({lr_mult})) "
           f"/ (1.0 + {step} * {lr_decay}))")
    return [f"_adagrad_update({p}, {g}, {acc}, {clr}, np.float32({eps}), "
            f"np.float32({wd} * {decay_mult}))"]



def _adagrad_prelude(parallel: bool) -> str:
    return _blocked("_adagrad_update", "p, g, s", "clr, eps, wd", f"""\
        d = g[k] + wd * p[k]
        sk = s[k] + d * d
        if sk < np.float32({TINY!r}):
            sk = np.float32(0.0)
        s[k] = sk
        p[k] -= clr * d / (np.sqrt(sk) + eps)""", parallel, "f32, f32, f32")



def _nadam_emit(n, ctx):
    # The momentum schedule and the running product (one [1] slot per parameter) are scalar
    # work of the step function; the kernel gets the two coefficients of its update. The
    # arithmetic is ops/optim.py's nadam_coefficients: float64, the product kept in float32.
    p, g, m, v, mp = (ctx.name(x) for x in n.inputs[:5])
    lr, step, lr_mult, decay_mult, wd, b1, b2, eps, psi = (ctx.name(x) for x in n.inputs[5:])
    mu, mu_next, lr_e = ctx.fresh("mu"), ctx.fresh("mu_next"), ctx.fresh("lr")
    return [f"{mu} = {b1} * (1.0 - 0.5 * 0.96 ** (({step} + 1) * {psi}))",
            f"{mu_next} = {b1} * (1.0 - 0.5 * 0.96 ** (({step} + 2) * {psi}))",
            f"{mp}[0] = np.float32({mp}[0] * np.float32({mu}))",
            f"{lr_e} = np.float64({lr} * np.float32({lr_mult}))",
            f"_nadam_update({p}, {g}, {m}, {v}, "
            f"np.float32({lr_e} * (1.0 - {mu}) / (1.0 - np.float64({mp}[0]))), "
            f"np.float32({lr_e} * {mu_next} / (1.0 - np.float64({mp}[0]) * {mu_next})), "
            f"np.float32(1.0 - {b2} ** ({step} + 1)), np.float32({b1}), "
            f"np.float32(1.0 - {b1}), np.float32({b2}), np.float32(1.0 - {b2}), "
            f"np.float32({eps}), np.float32({wd} * {decay_mult}))"]



def _nadam_prelude(parallel: bool) -> str:
    return _blocked("_nadam_update", "p, g, m, v",
                    "c_grad, c_m, bc2, b1, one_minus_b1, b2, one_minus_b2, eps, wd", f"""\
        d = g[k] + wd * p[k]
        mk = b1 * m[k] + one_minus_b1 * d
        vk = b2 * v[k] + one_minus_b2 * d * d
        if abs(mk) < np.float32({TINY!r}):
            mk = np.float32(0.0)
        if vk < np.float32({TINY!r}):
            vk = np.float32(0.0)
        m[k] = mk
        v[k] = vk
        denom = np.sqrt(vk / bc2) + eps
        pk = p[k] - c_grad * d / denom
        p[k] = pk - c_m * mk / denom""", parallel, ", ".join(["f32"] * 9))


emitter("sgd_update")(_sgd_emit)
library("sgd_update")(_sgd_prelude)
emitter("adam_update")(_adam_emit)
library("adam_update")(_adam_prelude)
emitter("rmsprop_update")(_rmsprop_emit)
library("rmsprop_update")(_rmsprop_prelude)
emitter("adagrad_update")(_adagrad_emit)
library("adagrad_update")(_adagrad_prelude)
emitter("nadam_update")(_nadam_emit)
library("nadam_update")(_nadam_prelude)
