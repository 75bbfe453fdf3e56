"""Optimizer updates: effect ops that rewrite a parameter and its slots in place.

They follow PyTorch's formulas (torch.optim.SGD, Adam, AdamW, RMSprop, Adagrad, NAdam; L2
`weight_decay` added to the gradient, AdamW's decoupled) so the benchmark can check that both
systems take the same steps (tests/test_optim_torch.py checks each against PyTorch). Every numeric
option, and the parameter's lr_mult / decay_mult, is an input (a float64 scalar of role
"hyper"; `lr` is the schedule's float32 of the step): the references round them to float32
where the kernels do, so both compute what literals of the same values did. The optimizers'
registry (compiler/optimizers/) builds these nodes.
NOTE: momentum and second-moment slots of dead ReLU units decay geometrically into float32
denormals, on which x86 arithmetic is ~40x slower; values below 1e-30 are flushed to zero
(a change far below float32 resolution of any live value).
"""
from __future__ import annotations

import numpy as np

from . import OpDef, register

TINY = 1e-30


def _flush(a):
    a[np.abs(a) < TINY] = 0.0


def _moments(m, v, d, beta1, beta2):
    """Adam's and NAdam's moment updates in place, in float32, with denormals flushed."""
    m *= np.float32(beta1)
    m += np.float32(1 - beta1) * d
    v *= np.float32(beta2)
    v += np.float32(1 - beta2) * d * d
    _flush(m)
    _flush(v)


def _sgd_ref(p, g, *rest, velocity, nesterov):
    v, rest = (rest[0], rest[1:]) if velocity else (None, rest)
    lr, lr_mult, decay_mult, weight_decay, *momentum = rest
    lr = np.float32(lr) * np.float32(float(lr_mult))
    weight_decay = float(weight_decay) * float(decay_mult)
    d = g + np.float32(weight_decay) * p if weight_decay else g.copy()
    if velocity:
        mu = np.float32(float(momentum[0]))
        v *= mu
        v += d
        _flush(v)
        d = d + mu * v if nesterov else v
    p -= np.float32(lr) * d


register(OpDef(
    "sgd_update", lambda types, attrs: [], _sgd_ref, effect=True,
    doc="inputs (param, grad, [velocity], lr, lr_mult, decay_mult, weight_decay, [momentum]); "
        "attrs velocity (a momentum slot and input: momentum > 0) and nesterov. SGD with "
        "optional (Nesterov) momentum",
))


def _adam_ref(p, g, m, v, lr, step, lr_mult, decay_mult, weight_decay, beta1, beta2, eps,
              decoupled=False):
    beta1, beta2, eps = float(beta1), float(beta2), float(eps)
    weight_decay = float(weight_decay) * float(decay_mult)
    t = int(step) + 1
    lr = np.float32(lr) * np.float32(float(lr_mult))
    if decoupled:
        # AdamW: the weights shrink by lr * wd before the step; the gradient keeps no decay
        p *= np.float32(1.0 - float(lr) * weight_decay)
        d = g
    else:
        d = g + np.float32(weight_decay) * p if weight_decay else g
    _moments(m, v, d, beta1, beta2)
    step_size = np.float32(float(lr) / (1.0 - beta1 ** t))
    bc2 = np.float32(np.sqrt(1.0 - beta2 ** t))
    p -= step_size * m / (np.sqrt(v) / bc2 + np.float32(eps))


register(OpDef(
    "adam_update", lambda types, attrs: [], _adam_ref, effect=True,
    doc="inputs (param, grad, m, v, lr, step, lr_mult, decay_mult, weight_decay, beta1, beta2, "
        "eps); attr decoupled (AdamW's weight decay instead of L2 in the gradient): Adam with "
        "bias correction as in PyTorch",
))


def _rmsprop_ref(p, g, square_avg, *rest, momentum, centered):
    rest = list(rest)
    buf = rest.pop(0) if momentum else None
    grad_avg = rest.pop(0) if centered else None
    lr, lr_mult, decay_mult, weight_decay, alpha, eps, *mu = rest
    lr = np.float32(lr) * np.float32(float(lr_mult))
    weight_decay = float(weight_decay) * float(decay_mult)
    alpha, eps = float(alpha), np.float32(float(eps))
    d = g + np.float32(weight_decay) * p if weight_decay else g
    square_avg *= np.float32(alpha)
    square_avg += np.float32(1 - alpha) * d * d
    _flush(square_avg)
    if centered:
        grad_avg *= np.float32(alpha)
        grad_avg += np.float32(1 - alpha) * d
        _flush(grad_avg)
        # NOTE: mathematically square_avg >= grad_avg ** 2; rounding can break it by an ulp
        # and give NaN, exactly as in PyTorch, which does not guard it either
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum:
        buf *= np.float32(float(mu[0]))
        buf += d / avg
        _flush(buf)
        p -= lr * buf
    else:
        p -= lr * d / avg


register(OpDef(
    "rmsprop_update", lambda types, attrs: [], _rmsprop_ref, effect=True,
    doc="inputs (param, grad, square_avg, [momentum_buffer], [grad_avg], lr, lr_mult, "
        "decay_mult, weight_decay, alpha, eps, [momentum]); attrs momentum (a buffer slot and "
        "input: momentum > 0) and centered (a grad_avg slot): RMSprop as in PyTorch, eps "
        "added outside the square root",
))


def _adagrad_ref(p, g, state_sum, lr, step, lr_mult, decay_mult, weight_decay, lr_decay, eps):
    lr = np.float32(lr) * np.float32(float(lr_mult))
    weight_decay = float(weight_decay) * float(decay_mult)
    clr = np.float32(float(lr) / (1.0 + int(step) * float(lr_decay)))   # step = t - 1
    d = g + np.float32(weight_decay) * p if weight_decay else g
    state_sum += d * d
    _flush(state_sum)
    p -= clr * d / (np.sqrt(state_sum) + np.float32(float(eps)))


register(OpDef(
    "adagrad_update", lambda types, attrs: [], _adagrad_ref, effect=True,
    doc="inputs (param, grad, sum, lr, step, lr_mult, decay_mult, weight_decay, lr_decay, "
        "eps): Adagrad as in PyTorch (the sum starts at initial_accumulator, the slot's "
        "initial value)",
))


def nadam_coefficients(mu_product: float, step, beta1, beta2, momentum_decay):
    """NAdam's per-step scalars: the new running product of momentum coefficients (rounded
    to float32, as PyTorch keeps it), mu_t, mu_{t+1} and the second bias correction."""
    beta1, psi, t = float(beta1), float(momentum_decay), int(step) + 1
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    mu_product = float(np.float32(mu_product) * np.float32(mu))
    return mu_product, mu, mu_next, 1.0 - float(beta2) ** t


def _nadam_ref(p, g, m, v, mu_product, lr, step, lr_mult, decay_mult, weight_decay, beta1,
               beta2, eps, momentum_decay):
    lr = float(np.float32(lr) * np.float32(float(lr_mult)))
    weight_decay = float(weight_decay) * float(decay_mult)
    beta1, beta2 = float(beta1), float(beta2)
    product, mu, mu_next, bc2 = nadam_coefficients(mu_product[0], step, beta1, beta2,
                                                   momentum_decay)
    mu_product[0] = product
    d = g + np.float32(weight_decay) * p if weight_decay else g
    _moments(m, v, d, beta1, beta2)
    denom = np.sqrt(v / np.float32(bc2)) + np.float32(float(eps))
    p -= np.float32(lr * (1.0 - mu) / (1.0 - product)) * d / denom
    p -= np.float32(lr * mu_next / (1.0 - product * mu_next)) * m / denom


register(OpDef(
    "nadam_update", lambda types, attrs: [], _nadam_ref, effect=True,
    doc="inputs (param, grad, m, v, mu_product ([1]), lr, step, lr_mult, decay_mult, "
        "weight_decay, beta1, beta2, eps, momentum_decay): NAdam as in PyTorch, with its "
        "momentum schedule mu_t = beta1 (1 - 0.96^(t psi) / 2)",
))
