"""Buffer planning: shared buffers never clobber a value that is still to be read."""
from __future__ import annotations

from pathlib import Path

import pytest

import recipec
from recipec.compiler.ops import get_op
from recipec.compiler.passes.buffers import plan_buffers
from recipec.compiler.pipeline import compile_recipe

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def _check_plan(g):
    plan = plan_buffers(g)
    holder: dict[int, int] = {}      # buffer -> id of the value it currently holds
    root: dict[int, int] = {}        # alias -> owning value
    for node in g.nodes:
        for v in node.inputs:
            owner = root.get(v.id, v.id)
            if owner in plan.buffer_of:
                assert holder[plan.buffer_of[owner]] == owner, f"{node.op} reads a clobbered {v!r}"
        in_buffers = {plan.buffer_of.get(root.get(v.id, v.id)) for v in node.inputs}
        if get_op(node.op).alias:
            root[node.outputs[0].id] = root.get(node.inputs[0].id, node.inputs[0].id)
            continue
        for o in node.outputs:
            if o.id in plan.buffer_of:
                b = plan.buffer_of[o.id]
                assert b not in in_buffers, f"{node.op} writes into one of its own inputs"
                holder[b] = o.id
    return plan


@pytest.mark.parametrize("name", ["digits_mlp", "mnist1d_mlp", "mnist_mlp"])
def test_plan_is_safe_and_saves_memory(name):
    compiled = compile_recipe(recipec.load(RECIPES / f"{name}.recipe"), target=None)
    g = compiled.graphs.train
    plan = _check_plan(g)
    planned = [o for n in g.nodes if not get_op(n.op).alias for o in n.outputs if o.shape]
    assert plan.count < len(planned), "nothing was shared"
    _check_plan(compiled.graphs.predict)
