"""l1/l2 penalties, gradient clipping and max_norm compiled: against the numpy reference
interpreter (always), against torch (optional: SGD on the same model with the penalty in the
loss, clip_grad_norm_ / clip_grad_value_ and a max-norm renorm), the max-norm property after
training, and the penalty in a run's history and report."""
from __future__ import annotations

import json

import numpy as np
import pytest

import recipec
from oracle import HEADER, assert_steps_match_reference, force_parallel, random_batches

ROWS = {
    # per-layer and global penalties, clipped by the global norm, a max-norm layer, momentum
    "mlp-norm": ("input [5] dense(6, l1 = 1e-2, l2 = 5e-2, max_norm = 0.8) relu dense(4) relu "
                 "dense(3, l2 = 0)", "regularize { l1 = 2e-3  l2 = 1e-2 }\nclip = norm(0.5)\n",
                 "sgd(lr = 0.1, momentum = 0.9)"),
    "mlp-value": ("input [5] dense(6, l1 = 1e-2) tanh dense(3, max_norm = 0.5)",
                  "clip = value(0.05)\n", "adam(lr = 0.01)"),
    "conv": ("input [1, 6, 6] conv2d(3, 3, l2 = 1e-2, max_norm = 0.7) relu flatten "
             "dense(3, l1 = 1e-2)", "clip = norm(0.3)\n", "sgd(lr = 0.05)"),
}


def _program(name: str):
    model, extra, optimizer = ROWS[name]
    text = HEADER + f"model {{ {model} }}\nloss = cross_entropy\noptimizer = {optimizer}\n" \
        + extra
    return recipec.compile(recipec.loads(text, f"{name}.recipe"))


@pytest.mark.parametrize("name", sorted(ROWS))
def test_compiled_steps_match_reference(name):
    program = _program(name)
    x, y = random_batches(program, 8 * 4, np.random.default_rng(0))
    assert_steps_match_reference(program, x, y, batch=8, steps=4, change_rtol=1e-4)


def test_compiled_steps_match_reference_all_parallel(monkeypatch):
    force_parallel(monkeypatch)
    program = _program("conv")
    x, y = random_batches(program, 8 * 3, np.random.default_rng(1))
    assert_steps_match_reference(program, x, y, batch=8, steps=3, change_rtol=1e-4)


def test_max_norm_holds_after_training():
    program = _program("mlp-norm")
    x, y = random_batches(program, 8 * 6, np.random.default_rng(2))
    x *= 5.0
    program.train_steps(x.reshape(len(x), -1), y, np.arange(len(x), dtype=np.int64), 0, 6, 8,
                        steps_per_epoch=6)
    w = program.state.named(program.graphs)["dense_1.weight"].astype(np.float64)
    norms = np.sqrt((w ** 2).sum(axis=0))            # per output unit (dense: [in, out])
    assert norms.max() <= 0.8 * (1 + 1e-6)
    assert norms.max() > 0.79                        # the constraint, not the init, bound them


def _torch_rows(name):
    torch = pytest.importorskip("torch")
    program = _program(name)
    rng = np.random.default_rng(4)
    x, y = random_batches(program, 8 * 4, rng)
    start = {k: a.copy() for k, a in program.state.named(program.graphs).items()}
    program.train_steps(x.reshape(len(x), -1), y, np.arange(len(x), dtype=np.int64), 0, 4, 8,
                        steps_per_epoch=4)
    return torch, program, x, y, start


def test_mlp_norm_clip_l1_l2_and_max_norm_equal_torch():
    torch, program, x, y, start = _torch_rows("mlp-norm")
    p = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()
         if not k.endswith(":velocity")}
    names = [v.name for v in program.graphs.train.by_role("param")]
    opt = torch.optim.SGD([p[n] for n in names], lr=0.1, momentum=0.9)
    totals, bound = [], []
    for it in range(4):
        xb, yb = torch.tensor(x[it * 8:(it + 1) * 8]), torch.tensor(y[it * 8:(it + 1) * 8])
        h = torch.relu(xb @ p["dense_1.weight"] + p["dense_1.bias"])
        h = torch.relu(h @ p["dense_2.weight"] + p["dense_2.bias"])
        out = h @ p["dense_3.weight"] + p["dense_3.bias"]
        w1, w2 = p["dense_1.weight"], p["dense_2.weight"]
        penalty = (1e-2 * w1.abs().sum() + 5e-2 * (w1 ** 2).sum()          # dense_1's own
                   + 2e-3 * w2.abs().sum() + 1e-2 * (w2 ** 2).sum())       # the global one
        loss = torch.nn.functional.cross_entropy(out, yb) + penalty
        opt.zero_grad()
        loss.backward()
        totals.append(float(torch.nn.utils.clip_grad_norm_([p[n] for n in names], 0.5)))
        opt.step()
        with torch.no_grad():     # Keras' MaxNorm over the inputs of each unit (dim 0 here)
            n = w1.norm(dim=0, keepdim=True)
            bound.append(float(n.max()))
            w1.mul_(n.clamp(max=0.8) / (1e-7 + n))
    assert max(totals) > 0.5 and max(bound) > 0.8      # both clipped at some step
    got = program.state.named(program.graphs)
    for name in names:
        np.testing.assert_allclose(got[name], p[name].detach().numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_mlp_clip_value_l1_and_max_norm_equal_torch():
    torch, program, x, y, start = _torch_rows("mlp-value")
    p = {k: torch.tensor(v, requires_grad=True) for k, v in start.items() if ":" not in k}
    names = [v.name for v in program.graphs.train.by_role("param")]
    opt = torch.optim.Adam([p[n] for n in names], lr=0.01)
    largest = []
    for it in range(4):
        xb, yb = torch.tensor(x[it * 8:(it + 1) * 8]), torch.tensor(y[it * 8:(it + 1) * 8])
        h = torch.tanh(xb @ p["dense_1.weight"] + p["dense_1.bias"])
        out = h @ p["dense_2.weight"] + p["dense_2.bias"]
        loss = torch.nn.functional.cross_entropy(out, yb) + 1e-2 * p["dense_1.weight"].abs().sum()
        opt.zero_grad()
        loss.backward()
        largest.append(max(float(p[n].grad.abs().max()) for n in names))
        torch.nn.utils.clip_grad_value_([p[n] for n in names], 0.05)
        opt.step()
        with torch.no_grad():
            w = p["dense_2.weight"]
            n = w.norm(dim=0, keepdim=True)
            w.mul_(n.clamp(max=0.5) / (1e-7 + n))
    assert max(largest) > 0.05                          # the clamp bit
    got = program.state.named(program.graphs)
    for name in names:
        np.testing.assert_allclose(got[name], p[name].detach().numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_conv_row_equals_torch():
    torch, program, x, y, start = _torch_rows("conv")
    p = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    names = [v.name for v in program.graphs.train.by_role("param")]
    opt = torch.optim.SGD([p[n] for n in names], lr=0.05)
    totals = []
    for it in range(4):
        xb, yb = torch.tensor(x[it * 8:(it + 1) * 8]), torch.tensor(y[it * 8:(it + 1) * 8])
        bias = p["conv2d_1.bias"].reshape(-1)
        h = torch.relu(torch.nn.functional.conv2d(xb, p["conv2d_1.weight"], bias)).flatten(1)
        out = h @ p["dense_1.weight"] + p["dense_1.bias"]
        loss = (torch.nn.functional.cross_entropy(out, yb)
                + 1e-2 * (p["conv2d_1.weight"] ** 2).sum()
                + 1e-2 * p["dense_1.weight"].abs().sum())
        opt.zero_grad()
        loss.backward()
        totals.append(float(torch.nn.utils.clip_grad_norm_([p[n] for n in names], 0.3)))
        opt.step()
        with torch.no_grad():     # per filter: the norm over [C, K, K]
            w = p["conv2d_1.weight"]
            n = w.flatten(1).norm(dim=1).reshape(-1, 1, 1, 1)
            w.mul_(n.clamp(max=0.7) / (1e-7 + n))
    assert max(totals) > 0.3
    got = program.state.named(program.graphs)
    for name in names:
        np.testing.assert_allclose(got[name], p[name].detach().numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_run_reports_the_data_loss_and_the_penalty_apart(tmp_path):
    text = """
    data { source = iris()  normalize = standard }
    model { input [4] dense(16, l2 = 1e-2) relu dense(3) }
    regularize { l1 = 1e-3 }
    loss = cross_entropy
    optimizer = sgd(lr = 0.05, momentum = 0.9)
    train { epochs = 3  batch = 16  seed = 1 }
    """
    program = recipec.compile(recipec.loads(text, str(tmp_path / "iris.recipe")))
    history = program.fit()
    weights = program.state.named(program.graphs)
    w1, w2 = (weights[k].astype(np.float64) for k in ("dense_1.weight", "dense_2.weight"))
    want = 1e-2 * (w1 ** 2).sum() + 1e-3 * np.abs(w2).sum()
    assert history.epochs[-1].penalty == pytest.approx(want, rel=1e-9)
    assert all(r.penalty > 0 for r in history.epochs)
    # the training loss is the data loss alone: the same weights evaluate to it
    assert "penalty" not in history.epochs[-1].train
    from recipec.runtime.report import run_report
    report = run_report(program, history, {})
    assert [e["penalty"] for e in report["history"]] == [r.penalty for r in history.epochs]
    json.dumps(report)
