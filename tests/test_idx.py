"""IDX files and the `mnist(path)` / `idx(images, labels)` sources (recipec.runtime.data.idx)."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from expect import raises

import recipec
from recipec.compiler.diagnostics import RecipeError, Span
from recipec.compiler.recipe import Call, DataSpec
from recipec.runtime.data import load_data
from recipec.runtime.data.idx import parse_idx, read_idx, read_images, read_labels, write_idx
from recipec.runtime.errors import DataError

MNIST_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist"
NAMES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
         "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """IDX by hand (independent of write_idx): 0, 0, dtype code, ndim, big-endian sizes, data."""
    arr = np.asarray(arr)
    head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def images(n: int, h: int = 28, w: int = 28, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w), dtype=np.uint8)


def labels(n: int, k: int = 10) -> np.ndarray:
    return (np.arange(n) % k).astype(np.uint8)


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def mnist_folder(root: Path, n_train: int = 5, n_test: int = 3, gz=(True, False, True, False),
                 size=(28, 28)) -> tuple[Path, dict[str, np.ndarray]]:
    root.mkdir(parents=True, exist_ok=True)
    arrays = {"train_images": images(n_train, *size, seed=1), "train_labels": labels(n_train),
              "test_images": images(n_test, *size, seed=2), "test_labels": labels(n_test)[::-1]}
    for (key, name), z in zip(NAMES.items(), gz):
        write(root / (name + (".gz" if z else "")), idx_bytes(arrays[key]), z)
    return root, arrays


def mnist_spec(path, normalize="none", validation=0.0, scale=1.0, test=None) -> DataSpec:
    return DataSpec(Call("mnist", {"path": str(path)}, Span.unknown()), normalize, validation,
                    True, Span.unknown(), test=test, scale=scale)


def idx_spec(images_path, labels_path, **kw) -> DataSpec:
    return DataSpec(Call("idx", {"images": str(images_path), "labels": str(labels_path)},
                         Span.unknown()), kw.pop("normalize", "none"), kw.pop("validation", 0.0),
                    True, Span.unknown(), **kw)


# --------------------------------------------------------------------------- the reader

@pytest.mark.parametrize("gz", [False, True])
def test_round_trip_raw_and_gzip(tmp_path, gz):
    x = images(5)
    p = write(tmp_path / "imgs", idx_bytes(x), gz)          # no .gz suffix: detected by magic
    got = read_images(p)
    assert got.dtype == np.uint8 and got.shape == (5, 28, 28) and np.array_equal(got, x)
    y = labels(5)
    q = write(tmp_path / "labs.gz", idx_bytes(y), gz)       # .gz name, maybe raw contents
    assert np.array_equal(read_labels(q, num_classes=10), y)


def test_reader_accepts_any_dims_and_dtypes(tmp_path):
    x = images(4, 3, 7)
    assert read_images(write(tmp_path / "a", idx_bytes(x))).shape == (4, 3, 7)
    cube = np.arange(2 * 3 * 4 * 5, dtype=np.uint8).reshape(2, 3, 4, 5)
    assert np.array_equal(read_idx(write(tmp_path / "b", idx_bytes(cube))), cube)
    f = np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)
    got = read_idx(write(tmp_path / "c", idx_bytes(f, 0x0D)))
    assert got.dtype == np.float32 and np.array_equal(got, f)
    i = np.array([[1, -2], [300000, 4]], np.int32)
    assert np.array_equal(read_idx(write(tmp_path / "d", idx_bytes(i, 0x0C))), i)
    for arr, compress in ((cube, True), (f, False), (i, True)):
        write_idx(tmp_path / "w", arr, compress=compress)
        assert np.array_equal(read_idx(tmp_path / "w"), arr)


def test_reader_errors(tmp_path):
    x = idx_bytes(images(5))
    raises("D001", ["nothere", "not found"], read_images, tmp_path / "nothere")
    raises("D002", ["trunc-images", "expected 3920 bytes of image data, found 3000"],
           read_images, write(tmp_path / "trunc-images", x[:16 + 3000]))
    raises("D002", ["trunc-gz", "expected 3920 bytes of image data, found 1000"],
           read_images, write(tmp_path / "trunc-gz", x[:16 + 1000], gz=True))
    raises("D002", ["long-images", "expected 3920 bytes", "found 3921", "extra"],
           read_images, write(tmp_path / "long-images", x + b"\0"))
    raises("D002", ["tiny", "too short"], read_images, write(tmp_path / "tiny", b"\0\0"))
    raises("D002", ["header", "truncated IDX header"], read_images,
           write(tmp_path / "header", x[:9]))
    err = raises("D002", ["swapped", "bad magic number 2049", "expected 2051",
                          "names swapped"], read_images,
                 write(tmp_path / "swapped", idx_bytes(labels(5))))
    assert err.path.endswith("swapped")
    raises("D002", ["labels-as-images", "bad magic number 2051", "expected 2049"],
           read_labels, write(tmp_path / "labels-as-images", x))
    raises("D002", ["junk.bin", "bad magic"], read_images,
           write(tmp_path / "junk.bin", b"PK\x03\x04" + bytes(100)))
    raises("D002", ["junk2", "not an IDX file"], read_idx,
           write(tmp_path / "junk2", b"\x12\x34\x08\x01" + bytes(8)))
    good = gzip.compress(x)
    raises("D002", ["bad.gz", "corrupt gzip"], read_images,
           write(tmp_path / "bad.gz", good[:len(good) // 2]))
    raises("D002", ["bad2.gz", "corrupt gzip"], read_images,
           write(tmp_path / "bad2.gz", good[:20] + b"\xff" * 50 + good[70:]))
    raises("D004", ["range-labels", "label 12 at row 2", "0..9"], read_labels,
           write(tmp_path / "range-labels", idx_bytes(np.array([1, 2, 12, 3], np.uint8))),
           num_classes=10)
    raises("D002", ["folder"], read_images, tmp_path.joinpath("folder").mkdir() or
           tmp_path / "folder")


def test_parse_idx_header_sizes_checked_before_allocating():
    # a header claiming 2**32-1 images of 28x28 must fail on the length check, not allocate
    buf = struct.pack(">BBBBIII", 0, 0, 8, 3, 2**32 - 1, 28, 28) + bytes(10)
    with pytest.raises(DataError, match="expected 3367254359280 bytes of image data, found 10"):
        parse_idx(buf, "huge", 2051, "image")


# --------------------------------------------------------------------------- mnist(path)

def test_mnist_source_from_folder(tmp_path):
    root, arr = mnist_folder(tmp_path / "mnist")
    d = load_data(mnist_spec(root), "classification", 0)
    assert d.feature_shape == (1, 28, 28) and d.num_classes == 10
    assert d.train.x.dtype == np.float32 and d.train.x.shape == (5, 1, 28, 28)
    assert np.array_equal(d.train.x[:, 0], arr["train_images"].astype(np.float32))  # raw 0..255
    assert d.train.y.dtype == np.int64 and d.train.y.tolist() == [0, 1, 2, 3, 4]
    assert d.test is not None and d.test.x.shape == (3, 1, 28, 28)
    assert np.array_equal(d.test.x[:, 0], arr["test_images"])
    assert d.test.y.tolist() == [2, 1, 0] and d.validation is None
    assert "mnist" in d.source and "5 train + 3 test" in d.source


def test_mnist_validation_from_train_part_and_scale(tmp_path):
    root, arr = mnist_folder(tmp_path / "m", n_train=20, n_test=4, gz=(False,) * 4)
    d = load_data(mnist_spec(root, validation=0.25, scale=1 / 255), "classification", 0)
    assert len(d.train) == 15 and len(d.validation) == 5 and len(d.test) == 4
    assert np.array_equal(np.sort(np.concatenate([d.train.x, d.validation.x]).ravel()),
                          np.sort((arr["train_images"].astype(np.float64) / 255)
                                  .astype(np.float32).ravel()))
    assert np.allclose(d.test.x[:, 0], arr["test_images"] / 255, atol=1e-7)
    assert d.train.x.max() <= 1.0 and d.scale == pytest.approx(1 / 255)


def test_mnist_alternative_names_and_relative_path(tmp_path, monkeypatch):
    root = tmp_path / "data" / "mn"
    root.mkdir(parents=True)
    x, y = images(3), labels(3)
    for name, a in ((NAMES["train_images"].replace("-idx", ".idx"), x),
                    (NAMES["train_labels"], y), (NAMES["test_images"], x),
                    (NAMES["test_labels"] + ".gz", y)):
        write(root / name, idx_bytes(a), gz=name.endswith(".gz"))
    d = load_data(mnist_spec("mn"), "classification", 0, base_dir=tmp_path / "data")
    assert len(d.train) == 3 and len(d.test) == 3
    monkeypatch.chdir(tmp_path)
    assert len(load_data(mnist_spec("data/mn"), "classification", 0, base_dir="/").train) == 3


def test_mnist_errors(tmp_path):
    err = raises("D001", ["mnist", "nowhere", "does not exist", "train-images-idx3-ubyte[.gz]",
                          "t10k-labels-idx1-ubyte[.gz]", "does not download"],
                 load_data, mnist_spec(tmp_path / "nowhere"), "classification", 0)
    assert str((tmp_path / "nowhere").absolute()) in str(err)

    root, _ = mnist_folder(tmp_path / "partial")
    next(root.glob("t10k-labels*")).unlink()
    err = raises("D001", ["missing t10k-labels-idx1-ubyte in", str(root.resolve())],
                 load_data, mnist_spec(root), "classification", 0)
    assert "train-images-idx3-ubyte in" not in str(err)

    (tmp_path / "afile").write_text("x")
    raises("D002", ["afile", "is a file", "folder"], load_data, mnist_spec(tmp_path / "afile"),
           "classification", 0)

    root, _ = mnist_folder(tmp_path / "small", size=(8, 8))
    raises("D003", ["train-images-idx3-ubyte.gz", "28 x 28", "8 x 8", "idx("], load_data,
           mnist_spec(root), "classification", 0)

    root, _ = mnist_folder(tmp_path / "count")
    write(root / NAMES["test_labels"], idx_bytes(labels(4)))
    raises("D003", ["t10k-images-idx3-ubyte.gz has 3 images", "t10k-labels-idx1-ubyte has 4"],
           load_data, mnist_spec(root), "classification", 0)

    root, _ = mnist_folder(tmp_path / "range")
    write(root / NAMES["train_labels"], idx_bytes(np.array([0, 1, 10, 2, 3], np.uint8)))
    raises("D004", ["train-labels-idx1-ubyte", "label 10 at row 2", "out of range 0..9"],
           load_data, mnist_spec(root), "classification", 0)

    root, _ = mnist_folder(tmp_path / "trunc")
    img = root / (NAMES["train_images"] + ".gz")
    img.write_bytes(gzip.compress(gzip.decompress(img.read_bytes())[:-100]))
    raises("D002", ["train-images-idx3-ubyte.gz", "expected 3920 bytes of image data, "
                    "found 3820"], load_data, mnist_spec(root), "classification", 0)

    root, _ = mnist_folder(tmp_path / "badgz")
    (root / (NAMES["test_images"] + ".gz")).write_bytes(b"\x1f\x8b\x08\x00garbage")
    raises("D002", ["t10k-images-idx3-ubyte.gz", "corrupt gzip"], load_data, mnist_spec(root),
           "classification", 0)

    root, _ = mnist_folder(tmp_path / "magic")
    write(root / (NAMES["test_images"] + ".gz"), idx_bytes(labels(3)), gz=True)
    raises("D002", ["t10k-images-idx3-ubyte.gz", "bad magic number 2049"], load_data,
           mnist_spec(root), "classification", 0)


# --------------------------------------------------------------------------- idx(images, labels)

def test_idx_source_any_size(tmp_path):
    x, y = images(6, 5, 7), np.array([0, 1, 2, 0, 1, 2], np.uint8)
    ip = write(tmp_path / "imgs.idx", idx_bytes(x), gz=True)
    lp = write(tmp_path / "labs.idx", idx_bytes(y))
    d = load_data(idx_spec(ip, lp, normalize="per_channel"), "classification", 0)
    assert d.feature_shape == (1, 5, 7) and d.num_classes == 3 and d.test is None
    assert d.train.x.mean() == pytest.approx(0, abs=1e-6)
    assert d.train.x.std() == pytest.approx(1, abs=1e-5)
    # labels are not limited to 0..9 for idx()
    write(lp, idx_bytes(np.array([0, 11, 2, 0, 1, 2], np.uint8)))
    assert load_data(idx_spec(ip, lp), "classification", 0).num_classes == 12
    write(lp, idx_bytes(labels(5)))
    raises("D003", ["imgs.idx has 6 images", "labs.idx has 5 labels"], load_data,
           idx_spec(ip, lp), "classification", 0)
    raises("D001", ["gone.idx", "not found"], load_data, idx_spec(tmp_path / "gone.idx", lp),
           "classification", 0)


def test_idx_with_test_key(tmp_path):
    tr_i = write(tmp_path / "tr-i", idx_bytes(images(6, 4, 4)))
    tr_l = write(tmp_path / "tr-l", idx_bytes(labels(6, 3)))
    te_i = write(tmp_path / "te-i", idx_bytes(images(2, 4, 4, seed=5)))
    te_l = write(tmp_path / "te-l", idx_bytes(labels(2, 3)))
    test = Call("idx", {"images": str(te_i), "labels": str(te_l)}, Span.unknown())
    d = load_data(idx_spec(tr_i, tr_l, test=test, scale=0.5), "classification", 0)
    assert len(d.train) == 6 and len(d.test) == 2 and d.test.x.shape == (2, 1, 4, 4)
    assert np.array_equal(d.test.x[:, 0], images(2, 4, 4, seed=5) * 0.5)


# --------------------------------------------------------------------------- through a recipe

RECIPE = """\
data {{
  source = mnist("{root}")
  {extra}
  scale = 0.00390625
  normalize = per_channel
  validation = 0.2
}}
model {{
  input [784]
  dense(16) relu
  dense(10)
}}
loss = cross_entropy
optimizer = sgd(0.1)
train {{ epochs = 1 }}
"""


def test_mnist_recipe_checks_and_loads(tmp_path):
    root, _ = mnist_folder(tmp_path / "mnist", n_train=10, n_test=4)
    r = recipec.loads(RECIPE.format(root=root, extra=""))
    assert r.data.source.kind == "mnist" and r.data.source["path"] == str(root)
    assert r.data.scale == 0.00390625 and r.data.normalize == "per_channel"
    assert r.data.test is None
    d = load_data(r.data, "classification", r.train.seed)
    assert len(d.train) == 8 and len(d.validation) == 2 and len(d.test) == 4
    # per_channel: one mean/std for the single channel, in raw units (scale folded in)
    assert np.unique(d.norm_shift).size == 1 and np.unique(d.norm_scale).size == 1

    # `test = ...` replaces mnist's own test split
    te_i = write(tmp_path / "ti", idx_bytes(images(7)))
    te_l = write(tmp_path / "tl", idx_bytes(labels(7)))
    r = recipec.loads(RECIPE.format(root=root, extra=f'test = idx("{te_i}", "{te_l}")'))
    assert r.data.test.kind == "idx"
    assert len(load_data(r.data, "classification", 0).test) == 7


@pytest.mark.parametrize("line, code, fragment", [
    ("scale = 0", "E202", "scale must be > 0"),
    ("scale = -1", "E202", "scale must be > 0"),
    ('scale = "x"', "E201", "expected a number"),
    ("normalize = per_chanel", "E104", "per_channel"),
    ("test = mnst(\"x\")", "E104", "mnist"),
    ("test = 3", "E201", "test"),
])
def test_recipe_data_key_errors(line, code, fragment):
    text = RECIPE.format(root="m", extra=line).replace("  scale = 0.00390625\n", "")
    with pytest.raises(RecipeError) as info:
        recipec.loads(text)
    d = info.value.diagnostics[0]
    assert d.code == code and fragment in (d.message + (d.hint or "")), d


def test_recipe_idx_needs_both_files():
    text = RECIPE.format(root="m", extra="").replace('mnist("m")', 'idx("a")')
    with pytest.raises(RecipeError) as info:
        recipec.loads(text)
    assert any(d.code == "E106" and "labels" in d.message for d in info.value.diagnostics)


# --------------------------------------------------------------------------- the real files

@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason="../shared/data/mnist not present")
def test_real_mnist():
    d = load_data(mnist_spec(MNIST_DIR), "classification", 0)
    assert d.train.x.shape == (60000, 1, 28, 28) and d.test.x.shape == (10000, 1, 28, 28)
    assert np.bincount(d.train.y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                               5851, 5949]
    assert np.bincount(d.test.y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                              1009]
    assert d.train.x.min() == 0 and d.train.x.max() == 255
    assert (d.train.x / 255).mean(dtype=np.float64) == pytest.approx(0.130660, abs=1e-5)
    scaled = load_data(mnist_spec(MNIST_DIR, scale=1 / 255), "classification", 0)
    assert scaled.train.x.mean(dtype=np.float64) == pytest.approx(0.130660, abs=1e-5)
    assert scaled.train.x.std(dtype=np.float64) == pytest.approx(0.308108, abs=1e-5)
