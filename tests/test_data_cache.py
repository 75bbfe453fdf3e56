"""The parsed-data cache (runtime/data/cache.py): a CSV is parsed once, later runs map the
stored arrays; any change to the file, the options or the task reads it again; a damaged
entry is read again, never trusted; `--no-data-cache` neither reads nor writes it."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hostile import cli, write

import recipec
from recipec.runtime.data import sources
from recipec.runtime.data.sources import csv as csv_source

RECIPE = """\
data {{ source = csv("d.csv", label = "{label}")  normalize = standard }}
model {{ input [3] dense(3) }}
loss = cross_entropy
optimizer = sgd(0.1)
train {{ epochs = 1 }}
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("RECIPEC_DATA_CACHE", str(folder))
    monkeypatch.setenv("RECIPEC_DATA_CACHE_MIN_BYTES", "0")
    return folder


@pytest.fixture
def reads(monkeypatch):
    """How many times the CSV reader itself ran."""
    count = {"n": 0}
    real = sources.READERS["csv"]

    def counted(*args, **kwargs):
        count["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setitem(sources.READERS, "csv", counted)
    return count


def make(tmp, rows=40, label="label", seed=0):
    rng = np.random.default_rng(seed)
    lines = ["a,b,c,label"] + [f"{a:.6f},{b:.6f},{c:.6f},{k}" for (a, b, c), k in
                                zip(rng.standard_normal((rows, 3)), rng.integers(0, 3, rows))]
    (tmp / "d.csv").write_text("\n".join(lines) + "\n")
    write(tmp, "r.recipe", RECIPE.format(label=label))
    return tmp / "r.recipe"


def data(path, **kw):
    return recipec.check_data(recipec.load(path), **kw)


def entries(folder):
    return sorted(p.name for p in folder.iterdir() if (p / "meta.json").exists()) \
        if folder.exists() else []


def test_a_second_read_maps_the_stored_arrays(tmp_path, cache, reads):
    path = make(tmp_path)
    first = data(path)
    second = data(path)
    assert reads["n"] == 1 and len(entries(cache)) == 1
    assert np.array_equal(first.train.x, second.train.x)
    assert np.array_equal(first.train.y, second.train.y)
    assert first.source == second.source and first.num_classes == second.num_classes


def test_the_cached_arrays_are_the_parsed_ones(tmp_path, cache):
    make(tmp_path)
    entry = None
    data(tmp_path / "r.recipe")
    entry = cache / entries(cache)[0]
    fresh = csv_source.load_csv(str(tmp_path / "d.csv"), "label")
    assert np.array_equal(np.load(entry / "x.npy"), fresh.x)
    assert np.array_equal(np.load(entry / "y.npy"), fresh.y)


@pytest.mark.parametrize("change", ["contents", "same size new time", "label option"])
def test_a_change_reads_the_file_again(tmp_path, cache, reads, change):
    path = make(tmp_path)
    data(path)
    csv = tmp_path / "d.csv"
    if change == "contents":
        make(tmp_path, seed=1)
    elif change == "same size new time":
        st = csv.stat()
        os.utime(csv, ns=(st.st_atime_ns, st.st_mtime_ns + 10 ** 9))
    else:
        text = csv.read_text().replace("a,b,c,label", "a,b,c,kind")
        csv.write_text(text)
        write(tmp_path, "r.recipe", RECIPE.format(label="kind"))
    again = data(path)
    assert reads["n"] == 2 and len(entries(cache)) == 2
    fresh = data(path, cache=False)
    assert np.array_equal(again.train.x, fresh.train.x)


@pytest.mark.parametrize("damage", ["truncate x", "remove y", "bad meta", "rows differ"])
def test_a_damaged_entry_is_read_again_and_replaced(tmp_path, cache, reads, damage):
    path = make(tmp_path)
    good = data(path)
    entry = cache / entries(cache)[0]
    if damage == "truncate x":
        blob = (entry / "x.npy").read_bytes()
        (entry / "x.npy").write_bytes(blob[:len(blob) // 2])
    elif damage == "remove y":
        (entry / "y.npy").unlink()
    elif damage == "bad meta":
        (entry / "meta.json").write_text("{not json")
    else:
        np.save(entry / "y.npy", np.zeros(3, np.int64))
    again = data(path)
    assert reads["n"] == 2
    assert np.array_equal(again.train.x, good.train.x)
    assert len(entries(cache)) == 1                 # written again, in place


def test_no_data_cache_neither_reads_nor_writes(tmp_path, cache, reads):
    path = make(tmp_path)
    out = cli("check", str(path), "--no-data-cache")
    assert out.code == 0, out.err
    assert entries(cache) == [] and reads["n"] == 1
    data(path, cache=False)
    assert entries(cache) == [] and reads["n"] == 2


def test_run_accepts_no_data_cache():
    from recipec.runtime.cli import _parser
    args = _parser().parse_args(["run", "r.recipe", "--no-data-cache"])
    assert args.no_data_cache


def test_a_file_with_errors_is_not_cached(tmp_path, cache):
    make(tmp_path)
    (tmp_path / "d.csv").write_text("a,b,c,label\n1,2,x,0\n1,2,3,1\n")
    out = cli("check", str(tmp_path / "r.recipe"))
    assert out.code == 2 and "D003" in out.err
    assert entries(cache) == []


def test_an_unwritable_cache_is_only_not_used(tmp_path, monkeypatch, reads):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("RECIPEC_DATA_CACHE", str(blocker / "cache"))   # under a file
    monkeypatch.setenv("RECIPEC_DATA_CACHE_MIN_BYTES", "0")
    path = make(tmp_path)
    assert len(data(path).train) == 40 and len(data(path).train) == 40
    assert reads["n"] == 2


def test_small_files_are_not_kept(tmp_path, monkeypatch, reads):
    monkeypatch.setenv("RECIPEC_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RECIPEC_DATA_CACHE_MIN_BYTES", raising=False)
    path = make(tmp_path)
    data(path)
    assert entries(tmp_path / "cache") == []


def test_least_recently_used_entries_go_beyond_the_limit(tmp_path, cache, monkeypatch):
    made = []
    for i in range(3):
        sub = tmp_path / f"d{i}"
        sub.mkdir()
        data(make(sub, rows=200, seed=i))
        made.append(next(e for e in entries(cache) if e not in made))
        os.utime(cache / made[-1] / "meta.json", (1000 + i, 1000 + i))   # oldest first
    data(tmp_path / "d0" / "r.recipe")          # a hit: d0 becomes the most recent
    size = sum(f.stat().st_size for e in made for f in (cache / e).iterdir())
    monkeypatch.setenv("RECIPEC_DATA_CACHE_MAX_BYTES", str(size))   # room for 3 of 4
    sub = tmp_path / "d3"
    sub.mkdir()
    data(make(sub, rows=200, seed=3))
    assert made[1] not in entries(cache)        # the least recently used
    assert {made[0], made[2]} <= set(entries(cache)) and len(entries(cache)) == 3


def test_the_columns_names_survive_the_cache(tmp_path, cache, reads):
    path = make(tmp_path)
    first, second = data(path), data(path)
    assert reads["n"] == 1                                 # the second came from the cache
    assert first.feature_names == second.feature_names == ("a", "b", "c")
