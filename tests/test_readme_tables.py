"""The README's language table names exactly what the registries hold, and no option a
registry does not have: a new layer, loss, optimizer, schedule, augmentation, data source or
metric fails here until the table lists it, and a renamed option until the table follows.
"""
from __future__ import annotations

import re

import pytest

from readme_blocks import ROOT, blocks, signatures, source_map_paths, table_rows
from recipec.compiler import catalog
from recipec.compiler.inits import INITS
from recipec.compiler.layers import LAYERS, PARAM_OPTS, WEIGHT_OPTS
from recipec.compiler.metrics import METRICS

# table row -> the registry it lists, {name: option names}
REGISTRIES = {
    "layers": {name: [o.name for o in d.opts] for name, d in LAYERS.items()},
    "losses": {name: [o.name for o in d.opts] for name, d in catalog.LOSSES.items()},
    "optimizers": {name: [o.name for o in c.opts] for name, c in catalog.OPTIMIZERS.items()},
    "schedules": {name: [o.name for o in c.opts] for name, c in catalog.SCHEDULES.items()},
    "augmentation": {name: [o.name for o in c.opts] for name, c in catalog.AUGMENTS.items()},
    "data sources": {name: [o.name for o in s.opts] for name, s in catalog.SOURCES.items()},
    "metrics": {name: [o.name for o in d.opts] for name, d in METRICS.items()},
    "initialisers": {name: [o.name for o in c.opts] for name, c in INITS.items()},
}
ROWS = table_rows()


def test_the_table_is_found():
    assert set(REGISTRIES) <= set(ROWS), sorted(ROWS)


@pytest.mark.parametrize("row", sorted(REGISTRIES))
def test_table_row_lists_exactly_the_registry(row):
    written, registered = signatures(ROWS[row]), REGISTRIES[row]
    assert set(written) - set(registered) == set(), f"README's {row} row names unregistered"
    assert set(registered) - set(written) == set(), f"README's {row} row misses these"
    for name, options in written.items():
        unknown = set(options) - set(registered[name])
        assert not unknown, f"README: `{name}` has no option(s) {sorted(unknown)}"


def _choices(cell: str, key: str) -> set[str]:
    m = re.search(rf"`{key} = ([^`]+)`", cell)
    assert m, f"no `{key} = a | b` in {cell!r}"
    return {w.strip() for w in m[1].split("|")}


def test_per_parameter_row():
    assert set(re.findall(r"`(\w+)`", ROWS["per-parameter"])) == {o.name for o in PARAM_OPTS}


def test_transfer_row():
    from recipec.compiler.transfer import INIT_SOURCES

    row = ROWS["transfer"]
    written = {name: opts for name, opts in signatures(row).items() if name in INIT_SOURCES}
    assert written == {name: [o.name for o in c.opts] for name, c in INIT_SOURCES.items()}
    assert "`freeze = true`" in row and "freeze" in {o.name for o in PARAM_OPTS}


def test_regularisation_row():
    row = ROWS["regularisation"]
    assert {o.name for o in WEIGHT_OPTS} <= set(re.findall(r"`(\w+)`", row))
    [section] = re.findall(r"`regularize \{([^}`]*)\}`", row)
    assert set(re.findall(r"(\w+) =", section)) == {o.name for o in catalog.REGULARIZE_KEYS}
    clips = {name: [option] for name, option in re.findall(r"`clip = (\w+)\((\w+)\)`", row)}
    assert clips == {name: [o.name for o in c.opts] for name, c in catalog.CLIPS.items()}


def test_preprocessing_row_and_data_keys():
    assert _choices(ROWS["preprocessing"], "normalize") == set(catalog.NORMALIZE)
    named = set(re.findall(r"`(\w+)", " ".join(ROWS.values())))
    assert {o.name for o in catalog.DATA_KEYS} - named == set()


def test_training_row():
    named = set(re.findall(r"(\w+) = N|`(\w+)`", ROWS["training"]))
    keys = {a or b for a, b in named}
    assert {o.name for o in catalog.TRAIN_KEYS} <= keys


def test_source_map_names_files_that_exist():
    [tree] = [b for b in blocks() if b.text.startswith("compiler/\n")]
    paths = source_map_paths(tree)
    assert len(paths) > 30, paths              # the parser saw the tree
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert not missing, f"{tree.where}: the source map names missing paths {missing}"
