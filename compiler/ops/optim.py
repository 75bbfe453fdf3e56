"""Optimizer updates: effect ops that rewrite a parameter and its slots in place.

They follow PyTorch's formulas (torch.optim.SGD / Adam with L2 `weight_decay` added to the
gradient) so the benchmark can check that both systems take the same steps.
NOTE: momentum and second-moment slots of dead ReLU units decay geometrically into float32
denormals, on which x86 arithmetic is ~40x slower; values below 1e-30 are flushed to zero
(a change far below float32 resolution of any live value).
"""
from __future__ import annotations

import numpy as np

from . import OpDef, register
from .elementwise import f32

TINY = 1e-30


def _flush(a):
    a[np.abs(a) < TINY] = 0.0


def _sgd_ref(p, g, *rest, momentum, nesterov, weight_decay, lr_mult=1.0):
    lr = np.float32(rest[-1]) * np.float32(lr_mult)
    d = g + np.float32(weight_decay) * p if weight_decay else g.copy()
    if momentum:
        v = rest[0]
        v *= np.float32(momentum)
        v += d
        _flush(v)
        d = d + np.float32(momentum) * v if nesterov else v
    p -= np.float32(lr) * d


def _flat_views(ctx, node, count):
    names = [ctx.fresh("f") for _ in range(count)]
    lines = [f"{nm} = {ctx.name(v)}.reshape({ctx.name(node.inputs[0])}.size)"
             for nm, v in zip(names, node.inputs[:count])]
    return names, lines


def _sgd_emit(n, ctx):
    mu, wd = n.attrs["momentum"], n.attrs["weight_decay"]
    has_v = bool(mu)
    views, lines = _flat_views(ctx, n, 3 if has_v else 2)
    pf, gf = views[0], views[1]
    lr = ctx.name(n.inputs[-1])
    if n.attrs.get("lr_mult", 1.0) != 1.0:
        scaled = ctx.fresh("lr")
        lines.append(f"{scaled} = {lr} * {f32(n.attrs['lr_mult'])}")
        lr = scaled
    lines.append(f"for k in prange({pf}.size):")
    lines.append(f"    d = {gf}[k]" + (f" + {f32(wd)} * {pf}[k]" if wd else ""))
    if has_v:
        vf = views[2]
        lines += [f"    v = {f32(mu)} * {vf}[k] + d",
                  f"    if abs(v) < {f32(TINY)}:",
                  "        v = np.float32(0.0)",
                  f"    {vf}[k] = v",
                  f"    d = d + {f32(mu)} * v" if n.attrs["nesterov"] else "    d = v"]
    lines.append(f"    {pf}[k] -= {lr} * d")
    return lines


register(OpDef(
    "sgd_update", lambda types, attrs: [], _sgd_ref, emit=_sgd_emit, effect=True,
    doc="inputs (param, grad, [velocity], lr): SGD with optional (Nesterov) momentum",
))


def _adam_ref(p, g, m, v, lr, step, *, beta1, beta2, eps, weight_decay, lr_mult=1.0):
    t = int(step) + 1
    lr = np.float32(lr) * np.float32(lr_mult)
    d = g + np.float32(weight_decay) * p if weight_decay else g
    m *= np.float32(beta1)
    m += np.float32(1 - beta1) * d
    v *= np.float32(beta2)
    v += np.float32(1 - beta2) * d * d
    _flush(m)
    _flush(v)
    step_size = np.float32(float(lr) / (1.0 - beta1 ** t))
    bc2 = np.float32(np.sqrt(1.0 - beta2 ** t))
    p -= step_size * m / (np.sqrt(v) / bc2 + np.float32(eps))


def _adam_emit(n, ctx):
    b1, b2, eps, wd = (n.attrs[k] for k in ("beta1", "beta2", "eps", "weight_decay"))
    (pf, gf, mf, vf), lines = _flat_views(ctx, n, 4)
    lr, step = ctx.name(n.inputs[4]), ctx.name(n.inputs[5])
    step_size, bc2 = ctx.fresh("step_size"), ctx.fresh("bc2")
    lr_mult = n.attrs.get("lr_mult", 1.0)
    lines += [
        f"{step_size} = np.float32({lr} * {f32(lr_mult)} / (1.0 - {b1!r} ** ({step} + 1)))",
        f"{bc2} = np.float32(np.sqrt(1.0 - {b2!r} ** ({step} + 1)))",
        f"for k in prange({pf}.size):",
        f"    d = {gf}[k]" + (f" + {f32(wd)} * {pf}[k]" if wd else ""),
        f"    m = {f32(b1)} * {mf}[k] + {f32(1 - b1)} * d",
        f"    v = {f32(b2)} * {vf}[k] + {f32(1 - b2)} * d * d",
        f"    if abs(m) < {f32(TINY)}:",
        "        m = np.float32(0.0)",
        f"    if v < {f32(TINY)}:",
        "        v = np.float32(0.0)",
        f"    {mf}[k] = m",
        f"    {vf}[k] = v",
        f"    {pf}[k] -= {step_size} * m / (np.sqrt(v) / {bc2} + {f32(eps)})",
    ]
    return lines


register(OpDef(
    "adam_update", lambda types, attrs: [], _adam_ref, emit=_adam_emit, effect=True,
    doc="inputs (param, grad, m, v, lr, step): Adam with bias correction as in PyTorch",
))
