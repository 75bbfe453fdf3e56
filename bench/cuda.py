"""`python -m bench --target cuda` (also `python -m bench.cuda`): recipec's CUDA target against
PyTorch CUDA eager and against PyTorch with the whole step captured once in a CUDA graph, the
same models, initial weights, batches and optimizers, one after the other on one GPU.

Each timed side trains `--epochs` epochs of synthetic MNIST-shaped data (60,000 rows; the GPU
machines have no copy of ../shared) after one untimed epoch (recipec's kernel compile, torch's
cuDNN/cuBLAS warm-up and graph capture). recipec runs an epoch per launch (its chunk of steps
is one kernel); PyTorch eager launches its kernels per step; the graph variant replays one
captured step per step, the batch gathered inside the graph from a static index tensor. The
first steps' losses of the three are compared (same weights, same batches). Prints samples/s
and the ratios; writes bench/results/cuda.json. Without a GPU (or without torch's CUDA
build) it says what is missing and exits 0: no GPU figure is ever estimated.

    python -m bench.cuda [--epochs 3] [--cases mlp128_sgd_b64,...]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

PARITY_STEPS = 20
RESULTS = Path(__file__).parent / "results"


def _missing() -> str | None:
    """Why this cannot run here, or None."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU is visible to torch"
    try:
        from recipec.compiler.lower.cuda.device import cuda, simulated
        if simulated():
            return "NUMBA_ENABLE_CUDASIM is set: the simulator has no timings to give"
        cuda()
    except Exception as err:            # TargetUnavailable: numba-cuda or the driver
        return f"recipec's CUDA target cannot run: {getattr(err, 'message', err)}"
    return None


class TorchCuda:
    """One case in PyTorch on the GPU: eager steps, or one captured step replayed."""

    def __init__(self, case, names, arrays, x, y, graph: bool):
        import torch
        from torch import nn

        from .torch_side import build_model, copy_params, make_optimizer
        self.torch = torch
        self.model = build_model(case.torch_layers)
        copy_params(self.model, names, arrays)
        self.model.cuda()
        opt_name, opts = case.optimizer
        self.opt = make_optimizer(self.model, case.optimizer, case.bias_lr_mult)
        if graph and opt_name == "adam":          # Adam's step counter must live on the GPU
            for group in self.opt.param_groups:
                group["capturable"] = True
        shape = (-1, 1, 28, 28) if case.needs_conv else (-1, 784)
        self.x = torch.from_numpy(x).view(*shape).cuda()
        self.y = torch.from_numpy(y).cuda()
        self.loss_fn = nn.CrossEntropyLoss()
        self.batch = case.batch
        self.graph = None
        self.schedule = None
        if case.inv and not graph:              # a captured step would bake in one lr
            gamma, power = case.inv
            self.schedule = torch.optim.lr_scheduler.LambdaLR(
                self.opt, lambda it: (1.0 + gamma * it) ** -power)
        if graph:
            self._capture()

    def _step(self, rows):
        loss = self.loss_fn(self.model(self.x.index_select(0, rows)),
                            self.y.index_select(0, rows))
        self.opt.zero_grad(set_to_none=False)
        loss.backward()
        self.opt.step()
        return loss

    def _capture(self):
        torch = self.torch
        self.rows = torch.arange(self.batch, device="cuda")
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):               # warm-up steps before capture, as the
            for _ in range(3):                      # CUDA-graph recipe in torch's docs says
                self._step(self.rows)
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.loss = self._step(self.rows)

    def steps(self, order: np.ndarray, count: int, record: bool = False) -> list[float]:
        torch = self.torch
        idx = torch.from_numpy(order).cuda()
        losses = []
        for s in range(count):
            rows = idx[s * self.batch:(s + 1) * self.batch]
            if self.graph is not None:
                self.rows.copy_(rows)
                self.graph.replay()
                loss = self.loss
            else:
                loss = self._step(rows)
                if self.schedule is not None:
                    self.schedule.step()
            if record:
                losses.append(float(loss.item()))
        torch.cuda.synchronize()
        return losses


def _recipec(case):
    import recipec
    from recipec.compiler.check import check_source

    from .recipec_side import fresh_state
    recipe = check_source(case.recipe_text(), f"{case.key}.recipe", ["train.target=cuda"])
    program = recipec.compile(recipe, target="cuda")
    names, arrays = fresh_state(program)
    return program, names, arrays


def _recipec_epoch(program, x, y, order, steps, batch):
    lrs = np.full(steps, program.recipe.optimizer["lr"], np.float32)
    losses, _ = program.executable.train_chunk(x, y, order, 0, steps, batch, lrs)
    return losses


def run_case(case, x, y, epochs: int) -> dict:
    program, names, arrays = _recipec(case)
    steps = len(x) // case.batch
    order = np.random.default_rng(0).permutation(len(x)).astype(np.int64)
    eager = TorchCuda(case, names, arrays, x, y, graph=False)
    graphed = TorchCuda(case, names, arrays, x, y, graph=True)
    # parity: the first steps from the same weights on the same batches (the graph variant
    # took 3 warm-up steps before its capture, so it is compared by speed only)
    mine = _recipec_epoch(program, x, y, order, PARITY_STEPS, case.batch)
    theirs = eager.steps(order, PARITY_STEPS, record=True)
    worst = float(np.max(np.abs(mine - np.asarray(theirs)) / np.abs(np.asarray(theirs))))
    seconds = {}
    for side, run in (("recipec", lambda: _recipec_epoch(program, x, y, order, steps,
                                                         case.batch)),
                      ("torch_eager", lambda: eager.steps(order, steps)),
                      ("torch_graph", lambda: graphed.steps(order, steps))):
        run()                                               # untimed: compile, warm-up
        start = time.perf_counter()
        for _ in range(epochs):
            run()
        seconds[side] = time.perf_counter() - start
    rate = {k: epochs * steps * case.batch / v for k, v in seconds.items()}
    return {"case": case.key, "title": case.title, "samples_per_s": rate,
            "vs_eager": rate["recipec"] / rate["torch_eager"],
            "vs_graph": rate["recipec"] / rate["torch_graph"],
            "parity_worst_relative": worst}


def accuracy_torch(side: TorchCuda, x, y) -> float:
    torch = side.torch
    side.model.eval()
    with torch.no_grad():
        logits = side.model(torch.from_numpy(x).view(-1, 1, 28, 28).cuda())
    return float((logits.argmax(1).cpu().numpy() == y).mean())


def run_lenet(data) -> dict:
    """Caffe's LeNet, 10000 iterations of batch 64 in file order (its inv schedule, biases at
    2x lr) on both systems from the same weights: wall time of the training (the untimed
    compile and warm-up aside) and test accuracy. Torch eager only: a captured graph would
    bake in one learning rate."""
    import recipec

    from .cases import LENET_CASE as case, LENET_ITERATIONS
    from .recipec_side import fresh_state
    recipe = recipec.loads(case.recipe_text(), f"{case.key}.recipe")
    program = recipec.compile(recipe, target="cuda")
    program.warm_up()
    names, arrays = fresh_state(program)
    n, batch = len(data.x), case.batch
    per_epoch = n // batch
    order = np.arange(n, dtype=np.int64)
    out = {"case": case.key, "iterations": LENET_ITERATIONS, "data": data.source}
    torch_side = TorchCuda(case, names, arrays, data.x, data.y, graph=False)
    torch_side.steps(order, 5)                      # warm-up: cuDNN's choice, cuBLAS handles
    torch_side = TorchCuda(case, names, arrays, data.x, data.y, graph=False)
    for side in ("recipec", "torch_eager"):
        left, start = LENET_ITERATIONS, time.perf_counter()
        while left:
            count = min(left, per_epoch)
            if side == "recipec":
                program.train_steps(data.x, data.y, order, 0, count, batch, LENET_ITERATIONS)
            else:
                torch_side.steps(order, count)
            left -= count
        seconds = time.perf_counter() - start
        acc = (float((program.outputs(data.x_test).argmax(1) == data.y_test).mean())
               if side == "recipec" else accuracy_torch(torch_side, data.x_test, data.y_test))
        out[side] = {"seconds": seconds, "test_accuracy": acc}
    out["time_ratio"] = out["recipec"]["seconds"] / out["torch_eager"]["seconds"]
    return out


def main(argv=None) -> int:
    from .cases import CASES
    p = argparse.ArgumentParser(prog="python -m bench.cuda", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--cases", default="", help="comma-separated case keys (default: all)")
    p.add_argument("--lenet", action="store_true",
                   help="also Caffe's LeNet for 10000 iterations on MNIST (../shared/data/mnist "
                        "or --mnist), wall time and test accuracy of both systems")
    p.add_argument("--mnist", default=None, help="folder of the MNIST IDX files")
    args = p.parse_args(argv)
    why = _missing()
    if why is not None:
        print(f"bench --target cuda: skipped: {why}")
        return 0
    import torch
    from recipec.compiler.lower import TargetUnavailable
    from recipec.compiler.lower.cuda.device import cuda, describe
    from .mnist import synthetic
    data = synthetic(60_000)
    x, y = data.x, data.y
    wanted = set(filter(None, args.cases.split(",")))
    results = []
    print(f"GPU: {describe(cuda())} (torch {torch.__version__}, "
          f"{torch.cuda.get_device_name()})")
    for case in CASES:
        if wanted and case.key not in wanted:
            continue
        try:
            r = run_case(case, x, y, args.epochs)
        except TargetUnavailable as err:                # an op without a CUDA kernel yet
            print(f"  {case.title}: skipped: {err.render()}")
            continue
        results.append(r)
        s = r["samples_per_s"]
        print(f"  {case.title}: recipec {s['recipec']:,.0f}  eager {s['torch_eager']:,.0f}  "
              f"graph {s['torch_graph']:,.0f} samples/s  -> {r['vs_eager']:.2f}x eager, "
              f"{r['vs_graph']:.2f}x graph (first losses within "
              f"{r['parity_worst_relative']:.1e})")
    lenet = None
    if args.lenet:
        from .mnist import DEFAULT_DIR, load_mnist
        mnist = load_mnist(args.mnist or DEFAULT_DIR)
        if mnist is None:
            print(f"  lenet: skipped: no MNIST IDX files in {args.mnist or DEFAULT_DIR}")
        else:
            lenet = run_lenet(mnist)
            r, t = lenet["recipec"], lenet["torch_eager"]
            print(f"  Caffe LeNet 10000 it: recipec {r['seconds']:.1f} s (test "
                  f"{r['test_accuracy']:.4f}), torch eager {t['seconds']:.1f} s (test "
                  f"{t['test_accuracy']:.4f}) -> {lenet['time_ratio']:.2f} of torch's time")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cuda.json").write_text(json.dumps({"gpu": torch.cuda.get_device_name(),
                                                   "results": results, "lenet": lenet},
                                                  indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
