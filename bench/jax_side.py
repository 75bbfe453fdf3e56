"""The JAX twin of a case, the compiled peer: the same initial weights as recipec, the same
batches in the same order, the same optimizer (torch's SGD-with-momentum and Adam, as
recipec's), in two forms a JAX user would write:

  step   `jax.jit` of one training step, called once per step from Python;
  scan   `jax.jit` of a whole run of steps as `lax.scan` over the batches' row indices,
         called once per timed run (XLA sees every step of it at once).

The data live on the device (XLA's CPU) for the whole run and each step gathers its rows
there, as recipec's kernels and the torch side do. `available()` says why JAX cannot run
(not installed) so the benchmark can skip it with the reason.
"""
from __future__ import annotations

import numpy as np


def available() -> str | None:
    try:
        import jax  # noqa: F401
    except ImportError:
        return "JAX is not installed (pip install -e '.[bench]')"
    return None


def _forward(layers, params, x):
    import jax
    import jax.numpy as jnp
    from jax import lax

    h, k = x, 0
    for spec in layers:
        kind = spec[0]
        if kind == "flatten":
            h = h.reshape(h.shape[0], -1)
        elif kind == "dense":
            h = h @ params[k] + params[k + 1]
            k += 2
        elif kind == "conv":
            w, b = params[k], params[k + 1]
            h = lax.conv_general_dilated(h, w, (1, 1), "VALID",
                                         dimension_numbers=("NCHW", "OIHW", "NCHW"))
            h = h + b.reshape(1, -1, 1, 1)
            k += 2
        elif kind == "pool":
            size = spec[1]
            h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 1, size, size),
                                  (1, 1, size, size), "VALID")
        elif kind == "relu":
            h = jax.nn.relu(h)      # gradient 0 at 0, as torch's and recipec's (jnp.maximum's
                                    # is 1/2 there: a conv over blank pixels sits exactly at 0)
        else:
            raise ValueError(f"unknown layer spec {spec}")
    return h


def _loss(layers, params, x, y):
    import jax
    import jax.numpy as jnp

    logits = _forward(layers, params, x)
    logp = jax.nn.log_softmax(logits, axis=1)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def _update(optimizer):
    """(init(params) -> state, apply(params, grads, state, t) -> (params, state)): torch's
    SGD with momentum (v = m v + g; w -= lr v) and Adam (bias-corrected, eps outside the
    square root), as recipec's optimizers compute them."""
    import jax.numpy as jnp

    name, opts = optimizer
    lr = opts["lr"]
    if name == "sgd":
        m = opts.get("momentum", 0.0)

        def init(params):
            return [jnp.zeros_like(p) for p in params]

        def apply(params, grads, velocity, t):
            velocity = [m * v + g for v, g in zip(velocity, grads)]
            return [p - lr * v for p, v in zip(params, velocity)], velocity
        return init, apply
    if name == "adam":
        b1, b2, eps = opts.get("beta1", 0.9), opts.get("beta2", 0.999), opts.get("eps", 1e-8)

        def init(params):
            return ([jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params])

        def apply(params, grads, state, t):
            ms, vs = state
            ms = [b1 * m_ + (1 - b1) * g for m_, g in zip(ms, grads)]
            vs = [b2 * v_ + (1 - b2) * g * g for v_, g in zip(vs, grads)]
            c1, c2 = 1 - b1 ** t, 1 - b2 ** t
            params = [p - lr * (m_ / c1) / (jnp.sqrt(v_ / c2) + eps)
                      for p, m_, v_ in zip(params, ms, vs)]
            return params, (ms, vs)
        return init, apply
    raise ValueError(f"the JAX side has no optimizer {name}")


class JaxRunner:
    """One case in JAX: `steps(order, first, count, batch)` as TorchRunner's, in `mode`
    "step" or "scan"."""

    def __init__(self, case, names, arrays, x: np.ndarray, y: np.ndarray, mode: str):
        import jax
        import jax.numpy as jnp

        if case.inv or case.bias_lr_mult != 1.0:
            raise ValueError("the JAX side runs constant learning rates without lr_mult")
        self.jax, self.jnp, self.mode = jax, jnp, mode
        layers = case.torch_layers
        params = []
        for a in arrays:
            a = np.asarray(a, np.float32)
            params.append(jnp.asarray(a.reshape(-1) if a.ndim == 3 else a))   # conv bias
        self.params = params
        init, apply = _update(case.optimizer)
        self.opt_state = init(params)
        self.t = 0
        shape = (-1, 1, 28, 28) if case.needs_conv else (-1, 784)
        self.x = jax.device_put(jnp.asarray(x.reshape(shape)))
        self.y = jax.device_put(jnp.asarray(y.astype(np.int32)))
        value_and_grad = jax.value_and_grad(lambda p, xb, yb: _loss(layers, p, xb, yb))

        def step(carry, rows):
            params, state, t = carry
            loss, grads = value_and_grad(params, self.x[rows], self.y[rows])
            params, state = apply(params, grads, state, t + 1)
            return (params, state, t + 1), loss

        self._step = jax.jit(lambda carry, rows: step(carry, rows))
        self._scan = jax.jit(lambda carry, rows: jax.lax.scan(step, carry, rows))

    def steps(self, order: np.ndarray, first: int, count: int, batch: int,
              record: bool = False) -> list[float]:
        jnp = self.jnp
        rows = np.ascontiguousarray(order[first:first + count * batch].reshape(count, batch))
        carry = (self.params, self.opt_state, jnp.int32(self.t))
        if self.mode == "scan":
            carry, losses = self._scan(carry, jnp.asarray(rows.astype(np.int32)))
            losses.block_until_ready()
            out = np.asarray(losses).tolist() if record else []
        else:
            device_rows = self.jax.device_put(jnp.asarray(rows.astype(np.int32)))
            out = []
            for s in range(count):
                carry, loss = self._step(carry, device_rows[s])
                if record:
                    out.append(float(loss))
            self.jax.block_until_ready(carry)
        self.params, self.opt_state, t = carry
        self.t = int(t)
        return out
