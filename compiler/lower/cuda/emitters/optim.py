"""Optimizer updates: one grid-stride loop per parameter, the formulas of ops/optim.py.

The scalar options are float64 run-time inputs rounded to float32 where the references round
them; each thread computes them once, before its loop.
"""
from __future__ import annotations

from ....ops.optim import TINY
from . import SYNC, emitter, grid_loop


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


def _decayed(s: str, wd: str, decay_mult: str) -> list[str]:
    return [f"{s}_wd = np.float64({wd}) * np.float64({decay_mult})",
            f"{s}_wd32 = np.float32({s}_wd)"]


def _l2(s: str) -> list[str]:
    return [f"if {s}_wd != 0.0:", f"    dk = dk + {s}_wd32 * pk"]


@emitter("rmsprop_update")
def _rmsprop(n, ctx):
    p, g, square_avg = n.inputs[:3]
    rest = list(n.inputs[3:])
    momentum, centered = bool(n.attrs["momentum"]), bool(n.attrs["centered"])
    buf = rest.pop(0) if momentum else None
    grad_avg = rest.pop(0) if centered else None
    lr, lr_mult, decay_mult, wd, alpha, eps, *mu = (ctx.value(x) for x in rest)
    size = " * ".join(ctx.shape(p))
    s = ctx.fresh("rms")
    lines = [f"{s}_lr = np.float32(np.float32({lr}) * np.float32({lr_mult}))",
             *_decayed(s, wd, decay_mult),
             f"{s}_a = np.float32({alpha})",
             f"{s}_ca = np.float32(1.0 - np.float64({alpha}))",
             f"{s}_eps = np.float32({eps})"]
    if momentum:
        lines.append(f"{s}_mu = np.float32({mu[0]})")
    body = [f"pk = {ctx.at(p, 'k')}", f"dk = {ctx.at(g, 'k')}", *_l2(s),
            f"sq = {ctx.at(square_avg, 'k')} * {s}_a",
            f"sq = sq + {s}_ca * dk * dk", *_flush("sq"),
            f"{ctx.at(square_avg, 'k')} = sq"]
    if centered:
        body += [f"ga = {ctx.at(grad_avg, 'k')} * {s}_a",
                 f"ga = ga + {s}_ca * dk", *_flush("ga"),
                 f"{ctx.at(grad_avg, 'k')} = ga",
                 f"avg = np.float32(math.sqrt(sq - ga * ga)) + {s}_eps"]
    else:
        body.append(f"avg = np.float32(math.sqrt(sq)) + {s}_eps")
    if momentum:
        body += [f"bf = {ctx.at(buf, 'k')} * {s}_mu",
                 "bf = bf + dk / avg", *_flush("bf"),
                 f"{ctx.at(buf, 'k')} = bf",
                 f"{ctx.at(p, 'k')} = pk - {s}_lr * bf"]
    else:
        body.append(f"{ctx.at(p, 'k')} = pk - {s}_lr * dk / avg")
    return lines + grid_loop("k", size, body)


@emitter("adagrad_update")
def _adagrad(n, ctx):
    p, g, state_sum = n.inputs[:3]
    lr, step, lr_mult, decay_mult, wd, lr_decay, eps = (ctx.value(x) for x in n.inputs[3:])
    size = " * ".join(ctx.shape(p))
    s = ctx.fresh("adagrad")
    lines = [f"{s}_lr = np.float32(np.float32({lr}) * np.float32({lr_mult}))",
             *_decayed(s, wd, decay_mult),
             f"{s}_clr = np.float32(np.float64({s}_lr) / (1.0 + {step} * "
             f"np.float64({lr_decay})))",
             f"{s}_eps = np.float32({eps})"]
    body = [f"pk = {ctx.at(p, 'k')}", f"dk = {ctx.at(g, 'k')}", *_l2(s),
            f"ss = {ctx.at(state_sum, 'k')} + dk * dk", *_flush("ss"),
            f"{ctx.at(state_sum, 'k')} = ss",
            f"{ctx.at(p, 'k')} = pk - {s}_clr * dk / (np.float32(math.sqrt(ss)) + {s}_eps)"]
    return lines + grid_loop("k", size, body)


@emitter("nadam_update")
def _nadam(n, ctx):
    """NAdam's running product of momentum coefficients is a 1-element slot every thread
    reads before thread 0 writes its new value (after a barrier)."""
    p, g, m, v, mu_product = n.inputs[:5]
    lr, step, lr_mult, decay_mult, wd, beta1, beta2, eps, psi = (ctx.value(x)
                                                                  for x in n.inputs[5:])
    size = " * ".join(ctx.shape(p))
    s = ctx.fresh("nadam")
    lines = [f"{s}_lr = np.float64(np.float32(np.float32({lr}) * np.float32({lr_mult})))",
             *_decayed(s, wd, decay_mult),
             f"{s}_t = {step} + 1",
             f"{s}_mu = np.float64({beta1}) * (1.0 - 0.5 * 0.96 ** ({s}_t * "
             f"np.float64({psi})))",
             f"{s}_mu1 = np.float64({beta1}) * (1.0 - 0.5 * 0.96 ** (({s}_t + 1) * "
             f"np.float64({psi})))",
             f"{s}_prod = np.float64(np.float32({ctx.at(mu_product, '0')}) * "
             f"np.float32({s}_mu))",
             f"{s}_bc2 = np.float32(1.0 - np.float64({beta2}) ** {s}_t)",
             f"{s}_b1 = np.float32({beta1})",
             f"{s}_c1 = np.float32(1.0 - np.float64({beta1}))",
             f"{s}_b2 = np.float32({beta2})",
             f"{s}_c2 = np.float32(1.0 - np.float64({beta2}))",
             f"{s}_eps = np.float32({eps})",
             f"{s}_k1 = np.float32({s}_lr * (1.0 - {s}_mu) / (1.0 - {s}_prod))",
             f"{s}_k2 = np.float32({s}_lr * {s}_mu1 / (1.0 - {s}_prod * {s}_mu1))"]
    body = [f"pk = {ctx.at(p, 'k')}", f"dk = {ctx.at(g, 'k')}", *_l2(s),
            f"mk = {ctx.at(m, 'k')} * {s}_b1",
            f"mk = mk + {s}_c1 * dk",
            f"vk = {ctx.at(v, 'k')} * {s}_b2",
            f"vk = vk + {s}_c2 * dk * dk",
            *_flush("mk"), *_flush("vk"),
            f"{ctx.at(m, 'k')} = mk",
            f"{ctx.at(v, 'k')} = vk",
            f"den = np.float32(math.sqrt(vk / {s}_bc2)) + {s}_eps",
            f"pk = pk - {s}_k1 * dk / den",
            f"{ctx.at(p, 'k')} = pk - {s}_k2 * mk / den"]
    return lines + grid_loop("k", size, body) + [
        SYNC, "if tid == 0:", f"    {ctx.at(mu_product, '0')} = np.float32({s}_prod)"]
