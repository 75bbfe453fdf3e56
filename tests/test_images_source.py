"""The images(...) source: a folder of class subfolders read with Pillow (compiles nothing).

Tiny folders are written into tmp_path by Pillow itself (PNG, JPEG, BMP, GIF); the arrays
are compared with what Pillow gives for the same file, so channel order, the [H, W] order of
`size` and the class order are all pinned. Every hostile folder goes through `recipec check`
and must be refused with its code, at the call that names the folder.
"""
from __future__ import annotations

import importlib.util
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hostile import accepted, cli, line_col, refused, write
from PIL import Image

import recipec
from recipec.compiler.diagnostics import Span
from recipec.compiler.recipe import Call, DataSpec
from recipec.runtime.data import load_data
from recipec.runtime.data.sources.images import load_images
from recipec.runtime.errors import DataError

ROOT = Path(__file__).resolve().parents[1]


def save(folder: Path, name: str, pixels, fmt: str | None = None) -> Path:
    """Write `pixels` (uint8 [H, W] gray or [H, W, 3] RGB) as the image file `name`."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, np.uint8)).save(path, format=fmt)
    return path


def flat(value: int, h: int = 6, w: int = 6, rgb: bool = False) -> np.ndarray:
    return np.full((h, w, 3) if rgb else (h, w), value, np.uint8)


def noise(h: int, w: int, seed: int, rgb: bool = False) -> np.ndarray:
    shape = (h, w, 3) if rgb else (h, w)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def three_classes(root: Path) -> Path:
    """cat (3 images, one nested), dog (1), emu (2); files written out of name order."""
    save(root, "cat/b.png", flat(20))
    save(root, "cat/a.png", flat(10))
    save(root, "cat/more/c.png", flat(30))
    save(root, "dog/x.PNG", flat(40))
    save(root, "emu/2.bmp", flat(60))
    save(root, "emu/1.png", flat(50))
    return root


# -- reading ----------------------------------------------------------------------------------

def test_classes_order_shapes_and_dtype(tmp_path):
    root = three_classes(tmp_path / "train")
    write(root, ".DS_Store", b"\0\1")                  # hidden: left out, not counted
    save(root, ".thumbs/a.png", flat(99))              # a hidden folder is no class
    write(root, "cat/notes.txt", "not an image")       # other suffix: left out and counted
    raw = load_images(str(root), color="gray")
    assert raw.class_names == ("cat", "dog", "emu") and raw.num_classes == 3
    assert raw.x.dtype == np.uint8 and raw.x.shape == (6, 1, 6, 6)
    assert raw.y.dtype == np.int64 and raw.y.tolist() == [0, 0, 0, 1, 2, 2]
    # classes sorted, files sorted by their path inside the class folder
    assert raw.x[:, 0, 0, 0].tolist() == [10, 20, 30, 40, 50, 60]
    assert raw.description == (f"images {root} (6 images, 3 classes, 6x6 gray, "
                               f"1 other file ignored)")


def test_every_suffix_in_any_case_is_read(tmp_path):
    root = tmp_path / "train"
    for i, (name, fmt) in enumerate([("a/1.png", None), ("a/2.JPG", "JPEG"),
                                     ("a/3.jpeg", "JPEG"), ("b/4.Bmp", "BMP"),
                                     ("b/5.gif", "GIF"), ("b/6.PnG", "PNG")]):
        save(root, name, flat(40 * i), fmt)
    raw = load_images(str(root), color="gray")
    assert raw.x.shape == (6, 1, 6, 6) and "ignored" not in raw.description
    # JPEG is lossy; a flat image comes back within a level or two
    assert np.abs(raw.x[:, 0, 3, 3].astype(int) - [0, 40, 80, 120, 160, 200]).max() <= 2


def test_rgb_is_channels_first_and_gray_is_pillows_luma(tmp_path):
    root = tmp_path / "train"
    pixels = noise(5, 7, seed=1, rgb=True)
    path = save(root, "a/0.png", pixels)
    save(root, "b/0.png", flat(9, 5, 7, rgb=True))
    rgb = load_images(str(root), color="rgb")
    assert rgb.x.shape == (2, 3, 5, 7)
    np.testing.assert_array_equal(rgb.x[0], pixels.transpose(2, 0, 1))
    gray = load_images(str(root), color="gray")
    assert gray.x.shape == (2, 1, 5, 7)
    np.testing.assert_array_equal(gray.x[0, 0], np.asarray(Image.open(path).convert("L")))
    # a gray file read as rgb repeats its one channel
    save(root, "c/0.png", flat(77, 5, 7))
    assert (load_images(str(root), color="rgb").x[2] == 77).all()


def test_resized_once_to_height_and_width_bilinear(tmp_path):
    root = tmp_path / "train"
    big = save(root, "a/big.png", noise(24, 30, seed=2))
    small = noise(12, 8, seed=3)
    save(root, "b/already.png", small)
    raw = load_images(str(root), size=(12, 8), color="gray")       # [H, W]
    assert raw.x.shape == (2, 1, 12, 8)
    want = np.asarray(Image.open(big).resize((8, 12), Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(raw.x[0, 0], want)
    np.testing.assert_array_equal(raw.x[1, 0], small)               # that size already: as is
    assert "12x8 gray" in raw.description


def test_thread_pool_gives_the_same_array(tmp_path):
    from recipec.runtime.data.image_folder import decode

    files = [save(tmp_path, f"{i}.jpg", noise(40, 50, seed=i, rgb=True), "JPEG")
             for i in range(12)]
    serial, pooled = (np.empty((12, 3, 20, 16), np.uint8) for _ in range(2))
    assert decode(files, serial, "rgb", True, True, workers=1) == []
    assert decode(files, pooled, "rgb", True, True, workers=3) == []
    np.testing.assert_array_equal(serial, pooled)


def test_sixteen_bit_gray_is_scaled_not_clipped(tmp_path):
    root = tmp_path / "train"
    deep = np.array([[0, 257, 32896, 65535]], np.uint16)
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        Image.fromarray(deep).save(root / c / "0.png")
    assert load_images(str(root), color="gray").x[0, 0].tolist() == [[0, 1, 128, 255]]


def test_skip_leaves_out_unreadable_files_and_counts_them(tmp_path):
    root = three_classes(tmp_path / "train")
    write(root, "cat/broken.png", b"not a png at all")
    raw = load_images(str(root), color="gray", corrupt="skip")
    assert raw.x.shape[0] == 6 and raw.y.tolist() == [0, 0, 0, 1, 2, 2]
    assert "1 unreadable skipped" in raw.description


def test_a_regression_loss_is_refused(tmp_path):
    with pytest.raises(DataError) as info:
        load_images(str(three_classes(tmp_path / "t")), task="regression")
    assert info.value.code == "D004" and "gives class labels" in str(info.value)


def test_decoded_once_then_read_from_the_data_cache(tmp_path, monkeypatch):
    from recipec.runtime.data import sources
    from recipec.runtime.data.sources import images

    monkeypatch.setenv("RECIPEC_DATA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("RECIPEC_DATA_CACHE_MIN_BYTES", "0")
    decoded = []
    real = images.decode
    monkeypatch.setattr(images, "decode", lambda files, *a, **k: decoded.append(len(files))
                        or real(files, *a, **k))
    root = three_classes(tmp_path / "train")
    call = Call("images", {"path": str(root), "color": "gray"}, Span.unknown())
    first = sources.load_source(call, "classification")
    second = sources.load_source(call, "classification")
    assert decoded == [6]                                   # the second read decoded nothing
    np.testing.assert_array_equal(first.x, second.x)
    assert second.class_names == first.class_names and second.description == first.description
    save(root, "dog/z.png", flat(70))                       # a new file: decoded again
    assert sources.load_source(call, "classification").x.shape[0] == 7 and decoded == [6, 7]
    sources.load_source(call, "classification", cache=False)
    assert decoded == [6, 7, 7]


# -- a test folder, matched by class name -------------------------------------------------------

def image_spec(train: Path, test: Path) -> DataSpec:
    def call(p):
        return Call("images", {"path": str(p), "size": (6, 6), "color": "gray",
                               "corrupt": "error"}, Span.unknown())
    return DataSpec(call(train), "none", 0.0, True, Span.unknown(), test=call(test))


def test_test_folder_classes_are_matched_by_name(tmp_path):
    train = three_classes(tmp_path / "train")
    test = tmp_path / "test"
    save(test, "emu/9.png", flat(1))
    save(test, "cat/8.png", flat(2))
    (test / "dog").mkdir()               # an empty class folder in a test set: no images of it
    d = load_data(image_spec(train, test), "classification", 0)
    assert d.class_names == ("cat", "dog", "emu") and d.num_classes == 3
    # the test folder's own order is cat, emu: re-encoded to the training indices 0 and 2
    assert d.test.y.tolist() == [0, 2]
    assert d.test.x[:, 0, 0, 0].tolist() == [2, 1]


def test_test_folder_with_one_class_is_fine(tmp_path):
    test = tmp_path / "test"
    save(test, "dog/0.png", flat(5))
    d = load_data(image_spec(three_classes(tmp_path / "train"), test), "classification", 0)
    assert d.test.y.tolist() == [1]
    assert f"test: images {test} (1 image, 1 class, 6x6 gray)" in d.source


# -- hostile folders, through `recipec check` ---------------------------------------------------

RECIPE = """\
recipe imgs
data {{
  source = images("{train}"{options})
  {extra}
}}
model {{
  input [1, 6, 6]
  flatten
  dense(3)
}}
loss = {loss}
optimizer = sgd(lr = 0.1)
train {{ epochs = 1  batch = 4  seed = 0 }}
"""


def check(tmp_path, train="train", options=", color = gray", extra="", loss="cross_entropy"):
    text = RECIPE.format(train=train, options=options, extra=extra, loss=loss)
    return cli("check", write(tmp_path, "r.recipe", text)), text


def at_source(text):
    return line_col(text, "images(")


def png_header(width: int, height: int) -> bytes:
    """A PNG claiming `width` x `height` pixels (Pillow opens it, reading the header alone)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                                0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def test_a_good_folder_is_accepted_and_described(tmp_path):
    three_classes(tmp_path / "train")
    out, _ = check(tmp_path)
    accepted(out)
    assert "images train (6 images, 3 classes, 6x6 gray)" in out.out


def test_missing_folder(tmp_path):
    out, text = check(tmp_path, train="nowhere")
    refused(out, "D001", at=at_source(text),
            mentions=("folder 'nowhere' not found", "create it, or point `path`"))


def test_a_file_instead_of_a_folder(tmp_path):
    write(tmp_path, "train", b"\x89PNG")
    out, text = check(tmp_path)
    refused(out, "D002", at=at_source(text), mentions=("images train", "is a file, not a folder"))


def test_an_empty_folder(tmp_path):
    (tmp_path / "train").mkdir()
    out, text = check(tmp_path)
    refused(out, "D003", at=at_source(text), mentions=("the folder is empty", "train/cat/001.png"))


def test_images_without_class_subfolders(tmp_path):
    save(tmp_path / "train", "1.png", flat(1))
    save(tmp_path / "train", "2.png", flat(2))
    out, text = check(tmp_path)
    refused(out, "D003", at=at_source(text),
            mentions=("no class subfolders", "2 image files directly in it"))


def test_class_folders_without_images(tmp_path):
    write(tmp_path / "train", "cat/readme.txt", "x")
    (tmp_path / "train" / "dog").mkdir()
    out, text = check(tmp_path)
    refused(out, "D003", at=at_source(text),
            mentions=("2 class folders ('cat', 'dog') hold no images", "1 other file)"))


def test_one_empty_class_folder_in_training(tmp_path):
    three_classes(tmp_path / "train")
    (tmp_path / "train" / "fox").mkdir()
    out, text = check(tmp_path)
    refused(out, "D003", at=at_source(text), mentions="class folder 'fox' holds no images")


def test_only_one_class(tmp_path):
    save(tmp_path / "train", "cat/1.png", flat(1))
    save(tmp_path / "train", "cat/2.png", flat(2))
    out, text = check(tmp_path)
    refused(out, "D004", at=at_source(text), mentions="only one class folder ('cat')")


def test_an_undecodable_file_is_named(tmp_path):
    three_classes(tmp_path / "train")
    write(tmp_path / "train", "cat/003.png", b"GIF89a but not really")
    out, text = check(tmp_path)
    refused(out, "D002", at=at_source(text),
            mentions=("images train: cat/003.png is not a readable image", "corrupt = skip"))


def test_a_truncated_file_is_named(tmp_path):
    root = three_classes(tmp_path / "train")
    whole = save(root, "dog/big.png", noise(64, 64, seed=4)).read_bytes()
    (root / "dog" / "big.png").write_bytes(whole[:len(whole) // 2])
    out, text = check(tmp_path)
    refused(out, "D002", at=at_source(text), mentions="dog/big.png is not a readable image")


def test_skip_is_counted_in_what_check_prints(tmp_path):
    three_classes(tmp_path / "train")
    write(tmp_path / "train", "cat/003.png", b"junk")
    out, _ = check(tmp_path, options=", color = gray, corrupt = skip")
    accepted(out)
    assert "(6 images, 3 classes, 6x6 gray, 1 unreadable skipped)" in out.out


def test_nothing_readable_with_skip(tmp_path):
    write(tmp_path / "train", "cat/1.png", b"junk")
    write(tmp_path / "train", "dog/1.png", b"junk")
    out, text = check(tmp_path, options=", size = [6, 6], color = gray, corrupt = skip")
    refused(out, "D003", at=at_source(text), mentions="none of its 2 images could be read")


# Pillow only warns from 89M pixels on (10 000^2) and raises from twice that (50 000^2)
@pytest.mark.parametrize("side", [10_000, 50_000])
@pytest.mark.parametrize("size", [", size = [6, 6]", ""])
def test_a_decompression_bomb_is_refused(tmp_path, side, size):
    three_classes(tmp_path / "train")
    write(tmp_path / "train", "cat/0.png", png_header(side, side))   # the first file
    out, text = check(tmp_path, options=f"{size}, color = gray, corrupt = skip")
    refused(out, "D002", at=at_source(text),
            mentions=("cat/0.png is refused as a decompression bomb",))
    assert "DecompressionBombWarning" not in out.text


def test_images_of_other_sizes_need_size(tmp_path):
    root = three_classes(tmp_path / "train")
    save(root, "dog/y.png", flat(1, 6, 9))
    out, text = check(tmp_path)
    refused(out, "D003", at=at_source(text),
            mentions=("dog/y.png is 6x9 pixels but cat/a.png is 6x6", "`size = [6, 6]`"))


def test_a_regression_loss_through_check(tmp_path):
    three_classes(tmp_path / "train")
    out, text = check(tmp_path, loss="mse")
    refused(out, "D004", at=at_source(text), mentions="images(...) gives class labels")


def test_more_memory_than_the_machine_has(tmp_path, monkeypatch):
    three_classes(tmp_path / "train")
    monkeypatch.setenv("RECIPEC_MEMORY_BYTES", "100000")
    out, text = check(tmp_path, options=", size = [4000, 4000], color = gray")
    refused(out, "D003", at=at_source(text),
            mentions=("6 images of 1 x 4000 x 4000 bytes need 91.6 MiB, more than this "
                      "machine's memory (97.7 KiB)", "smaller `size`"))


def test_an_unknown_test_class_is_named(tmp_path):
    three_classes(tmp_path / "train")
    save(tmp_path / "test", "yak/0.png", flat(3))
    save(tmp_path / "test", "cat/0.png", flat(3))
    out, text = check(tmp_path, extra='test = images("test", color = gray)')
    refused(out, "D004", at=line_col(text, 'images("test"'),
            mentions=("test class 'yak' is not a class of the training data",
                      "'cat', 'dog', 'emu'"))


@pytest.mark.parametrize("size, code, message, needle", [
    ("[0, 6]", "E201", "size: dimensions must be positive integers", "0, 6]"),
    ("[6, 5000]", "E202", "size: dimensions must be <= 4096, got 5000", "5000"),
    ("[6]", "E201", "size: expected 2 dimensions, got 1", "[6]"),
    ("[6, 6, 1]", "E201", "size: expected 2 dimensions, got 3", "[6, 6, 1]"),
    ("7", "E201", "size: expected a shape", "7,"),
])
def test_size_values_are_checked_in_the_recipe(tmp_path, size, code, message, needle):
    three_classes(tmp_path / "train")
    out, text = check(tmp_path, options=f", size = {size}, color = gray")
    refused(out, code, at=line_col(text, needle), mentions=message)


def test_size_and_color_through_set(tmp_path):
    three_classes(tmp_path / "train")
    path = write(tmp_path, "r.recipe", RECIPE.format(train="train", options="", extra="",
                                                     loss="cross_entropy"))
    out = cli("check", path, "--set", "data.source.size=[3, 2]", "--set",
              "data.source.color=gray")
    refused(out, "D003", mentions=("[1, 3, 2]", "[1, 6, 6]"))   # the model's input no longer fits
    r = recipec.load(path, ["data.source.size=[3, 2]"])
    assert r.data.source["size"] == (3, 2) and r.data.source["color"] == "rgb"


# -- the example's image generator -------------------------------------------------------------

def make_digit_images():
    spec = importlib.util.spec_from_file_location("make_digit_images",
                                                  ROOT / "recipes" / "make_digit_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_digit_images_writes_a_seeded_split(tmp_path, capsys):
    script = make_digit_images()
    assert script.main([str(tmp_path / "a")]) == 0
    assert "wrote 1438 training and 359 test images" in capsys.readouterr().out
    train = sorted(p.relative_to(tmp_path / "a").as_posix()
                   for p in (tmp_path / "a").rglob("*.png"))
    assert len(train) == 1797 and len({p.split("/")[-1] for p in train}) == 1797
    assert script.main([str(tmp_path / "a")]) == 2               # never writes over a folder
    assert "exists already" in capsys.readouterr().err
    # a subset: the first images of the same seeded order, the same bytes every time
    assert script.write_digit_images(tmp_path / "b", limit=50) == {"train": 40, "test": 10}
    script.write_digit_images(tmp_path / "c", limit=50)
    subset = sorted(p.relative_to(tmp_path / "b").as_posix()
                    for p in (tmp_path / "b").rglob("*.png"))
    assert {p.split("/")[-1] for p in subset} <= {p.split("/")[-1] for p in train}
    assert all((tmp_path / "b" / p).read_bytes() == (tmp_path / "c" / p).read_bytes()
               for p in subset)
    with Image.open(tmp_path / "a" / train[0]) as im:
        assert im.mode == "L" and im.size == (24, 24)
