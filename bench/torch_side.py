"""The PyTorch twin of a case: same initial weights as recipec, same batches, same order."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn


def build_model(layers) -> nn.Sequential:
    mods = []
    for spec in layers:
        kind = spec[0]
        if kind == "dense":
            mods.append(nn.Linear(spec[1], spec[2]))
        elif kind == "conv":
            mods.append(nn.Conv2d(spec[1], spec[2], spec[3]))
        elif kind == "pool":
            mods.append(nn.MaxPool2d(spec[1]))
        elif kind == "relu":
            mods.append(nn.ReLU())
        elif kind == "flatten":
            mods.append(nn.Flatten())
        else:
            raise ValueError(f"unknown layer spec {spec}")
    return nn.Sequential(*mods)


def copy_params(model: nn.Module, names, arrays) -> None:
    """recipec's parameters, in program.graphs.params order, into the torch model's.

    Dense weights are [in, out] in recipec and [out, in] in torch (W.T); conv weights are
    [F, C, kh, kw] in both; biases [out] in both.
    """
    tparams = list(model.parameters())
    if len(tparams) != len(arrays):
        raise ValueError(f"recipec has {len(arrays)} parameters, torch {len(tparams)}")
    with torch.no_grad():
        for name, p, a in zip(names, tparams, arrays):
            a = np.asarray(a, np.float32)
            if p.dim() == 2 and a.ndim == 2:
                a = a.T
            elif a.size == p.numel() and p.dim() == 1:     # conv bias: [F, 1, 1] in recipec
                a = a.reshape(-1)
            if tuple(p.shape) != a.shape:
                raise ValueError(f"{name}: recipec {a.shape} vs torch {tuple(p.shape)}")
            p.copy_(torch.from_numpy(np.ascontiguousarray(a)))


def make_optimizer(model: nn.Module, optimizer, bias_lr_mult: float = 1.0) -> torch.optim.Optimizer:
    name, opts = optimizer
    lr = opts["lr"]
    wd = opts.get("weight_decay", 0.0)
    params = [{"params": [p for p in model.parameters() if p.dim() > 1]},
              {"params": [p for p in model.parameters() if p.dim() == 1],
               "lr": lr * bias_lr_mult}]                      # Caffe's bias lr_mult
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=opts.get("momentum", 0.0),
                               nesterov=opts.get("nesterov", False), weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd,
                                betas=(opts.get("beta1", 0.9), opts.get("beta2", 0.999)),
                                eps=opts.get("eps", 1e-8))
    raise ValueError(f"unknown optimizer {name}")


class TorchRunner:
    def __init__(self, case, names, arrays, x: np.ndarray, y: np.ndarray):
        self.model = build_model(case.torch_layers)
        copy_params(self.model, names, arrays)
        self.opt = make_optimizer(self.model, case.optimizer, case.bias_lr_mult)
        self.schedule = None
        if case.inv:
            gamma, power = case.inv
            self.schedule = torch.optim.lr_scheduler.LambdaLR(
                self.opt, lambda it: (1.0 + gamma * it) ** -power)
        shape = (-1, 1, 28, 28) if case.needs_conv else (-1, 784)
        self.x = torch.from_numpy(x).view(*shape)
        self.y = torch.from_numpy(y)
        self.loss_fn = nn.CrossEntropyLoss()

    def steps(self, order: np.ndarray, first: int, count: int, batch: int,
              record: bool = False) -> list[float]:
        """`count` steps over order[first:]; the losses when `record` (costs a sync each)."""
        idx = torch.from_numpy(order)
        model, opt, loss_fn = self.model, self.opt, self.loss_fn
        model.train()
        losses = []
        for s in range(count):
            rows = idx[first + s * batch: first + (s + 1) * batch]
            xb = self.x.index_select(0, rows)
            yb = self.y.index_select(0, rows)
            loss = loss_fn(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if self.schedule is not None:
                self.schedule.step()
            if record:
                losses.append(float(loss.item()))
        return losses

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        self.model.eval()
        with torch.no_grad():
            shape = (-1, 1, 28, 28) if isinstance(self.model[0], nn.Conv2d) else (-1, 784)
            logits = self.model(torch.from_numpy(x).view(*shape))
        return float((logits.argmax(1).numpy() == y).mean())
