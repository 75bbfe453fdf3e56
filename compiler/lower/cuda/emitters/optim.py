"""Optimizer updates: one grid-stride loop per parameter, the formulas of ops/optim.py.

The scalar options are float64 run-time inputs rounded to float32 where the references round
them; each thread computes them once, before its loop.
"""
from __future__ import annotations

from ....ops.optim import TINY
from . import emitter, grid_loop


def _flush(name: str) -> list[str]:
    return [f"if abs({name}) < np.float32({TINY!r}):", f"    {name} = np.float32(0.0)"]


@emitter("sgd_update")
def _sgd(n, ctx):
    p, g = n.inputs[0], n.inputs[1]
    has_v = bool(n.attrs["velocity"])
    v = n.inputs[2] if has_v else None
    lr, lr_mult, decay_mult, wd, *mu = (ctx.value(x) for x in n.inputs[2 + has_v:])
    size = " * ".join(ctx.shape(p))
    s = ctx.fresh("sgd")
    lines = [f"{s}_lr = np.float32(np.float32({lr}) * np.float32({lr_mult}))",
             f"{s}_wd = np.float64({wd}) * np.float64({decay_mult})",
             f"{s}_wd32 = np.float32({s}_wd)"]
    if has_v:
        lines.append(f"{s}_mu = np.float32({mu[0]})")
    body = [f"pk = {ctx.at(p, 'k')}",
            f"dk = {ctx.at(g, 'k')}",
            f"if {s}_wd != 0.0:",
            f"    dk = dk + {s}_wd32 * pk"]
    if has_v:
        body += [f"vk = {ctx.at(v, 'k')} * {s}_mu",
                 "vk = vk + dk", *_flush("vk"),
                 f"{ctx.at(v, 'k')} = vk",
                 f"dk = dk + {s}_mu * vk" if n.attrs.get("nesterov") else "dk = vk"]
    body.append(f"{ctx.at(p, 'k')} = pk - {s}_lr * dk")
    return lines + grid_loop("k", size, body)


@emitter("adam_update")
def _adam(n, ctx):
    p, g, m, v = n.inputs[:4]
    lr, step, lr_mult, decay_mult, wd, beta1, beta2, eps = (ctx.value(x) for x in n.inputs[4:])
    size = " * ".join(ctx.shape(p))
    s = ctx.fresh("adam")
    decoupled = bool(n.attrs.get("decoupled"))
    lines = [f"{s}_t = {step} + 1",
             f"{s}_lr = np.float32(np.float32({lr}) * np.float32({lr_mult}))",
             f"{s}_wd = np.float64({wd}) * np.float64({decay_mult})",
             f"{s}_wd32 = np.float32({s}_wd)",
             f"{s}_shrink = np.float32(1.0 - np.float64({s}_lr) * {s}_wd)",
             f"{s}_b1 = np.float32({beta1})",
             f"{s}_c1 = np.float32(1.0 - np.float64({beta1}))",
             f"{s}_b2 = np.float32({beta2})",
             f"{s}_c2 = np.float32(1.0 - np.float64({beta2}))",
             f"{s}_step = np.float32(np.float64({s}_lr) / "
             f"(1.0 - np.float64({beta1}) ** {s}_t))",
             f"{s}_bc2 = np.float32(math.sqrt(1.0 - np.float64({beta2}) ** {s}_t))",
             f"{s}_eps = np.float32({eps})"]
    body = [f"pk = {ctx.at(p, 'k')}", f"dk = {ctx.at(g, 'k')}"]
    if decoupled:
        body += [f"pk = pk * {s}_shrink"]
    else:
        body += [f"if {s}_wd != 0.0:", f"    dk = dk + {s}_wd32 * pk"]
    body += [f"mk = {ctx.at(m, 'k')} * {s}_b1",
             f"mk = mk + {s}_c1 * dk",
             f"vk = {ctx.at(v, 'k')} * {s}_b2",
             f"vk = vk + {s}_c2 * dk * dk",
             *_flush("mk"), *_flush("vk"),
             f"{ctx.at(m, 'k')} = mk",
             f"{ctx.at(v, 'k')} = vk",
             f"{ctx.at(p, 'k')} = pk - {s}_step * mk / "
             f"(np.float32(math.sqrt(vk)) / {s}_bc2 + {s}_eps)"]
    return lines + grid_loop("k", size, body)
