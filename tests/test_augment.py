"""Data augmentation (`data { augment = [...] }`): the numpy references, their randomness, the
checker, and the compiled training step against the reference interpreter."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import recipec
from oracle import assert_steps_match_reference
from recipec.compiler.augment import apply_augmentation, augment_salt
from recipec.compiler.build import build_forward
from recipec.compiler.diagnostics import RecipeError
from recipec.compiler.interpret import run_graph
from recipec.compiler.ops import get_op
from recipec.compiler.ops import augment as aug
from recipec.compiler.lower.cpu import rng as cpu_rng
from recipec.compiler.ops import rng

STEP, SEED = np.int64(7), np.int64(11)


MAGNITUDE = {"augment_shift": "pixels", "augment_rotate": "degrees", "augment_noise": "std"}


def ref(op, x, step=STEP, seed=SEED, **attrs):
    """The op's reference; its magnitude, named here, is passed as the run-time input it is."""
    option = MAGNITUDE.get(op)
    magnitude = (np.float64(attrs.pop(option)),) if option else ()
    return get_op(op).reference(x, step, seed, *magnitude, **attrs)


def images(b=4, c=2, h=6, w=6, seed=0):
    return np.random.default_rng(seed).standard_normal((b, c, h, w)).astype(np.float32)


# -- counter RNG helpers ---------------------------------------------------------------------
def test_numba_rng_source_computes_what_the_numpy_helpers_compute():
    """Run NUMBA_SOURCE as plain Python (njit = identity) on numpy scalars: same bits."""
    env = {"np": np, "njit": lambda **kw: (lambda f: f)}
    exec(cpu_rng.NUMBA_SOURCE, env)
    key = rng.stream_key(5, 3, 1234)
    counters = np.arange(0, 5000, 37, dtype=np.int64)
    bits = rng.rng_bits(key, counters)
    with np.errstate(over="ignore"):
        assert env["_dropout_key"](np.int64(5), np.int64(3), 1234) == key
        assert [env["_rng_bits"](key, np.int64(c)) for c in counters] == list(bits)
        assert [env["_uniform"](b) for b in bits] == list(rng.uniform(bits))
        assert [env["_randint"](b, 5) for b in bits] == list(rng.randint(bits, 5))
        for rate in (0.0, 0.1, 0.3, 0.5, 0.999, 0.5 / (1 << rng.BITS)):   # the last: a tie
            assert env["_dropout_threshold"](rate) == rng.threshold(rate)
        pairs = [env["_normal_pair"](b) for b in bits]
        c, s = rng.normal_pair(bits)
        np.testing.assert_allclose([p[0] for p in pairs], c, rtol=1e-15)
        np.testing.assert_allclose([p[1] for p in pairs], s, rtol=1e-15)


def test_uniform_randint_normal_ranges():
    bits = rng.rng_bits(rng.stream_key(0, 0, 0), np.arange(200_000))
    u = rng.uniform(bits)
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.01
    k = rng.randint(bits, 5)
    assert set(np.unique(k)) == {0, 1, 2, 3, 4}
    assert np.all(np.abs(np.bincount(k) / len(k) - 0.2) < 0.01)
    c, s = rng.normal_pair(bits)
    for z in (c, s):
        assert np.all(np.isfinite(z)) and abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert abs(np.corrcoef(c, s)[0, 1]) < 0.01


# -- numpy references ------------------------------------------------------------------------
def test_shift_by_known_offsets_moves_pixels_and_zero_fills():
    x = images(b=3)
    out = aug.shift_with(x, np.array([1, -2, 0]), np.array([0, 1, -6]))
    np.testing.assert_array_equal(out[0, :, 1:, :], x[0, :, :-1, :])
    np.testing.assert_array_equal(out[0, :, :1, :], 0)
    np.testing.assert_array_equal(out[1, :, :-2, 1:], x[1, :, 2:, :-1])
    np.testing.assert_array_equal(out[1, :, -2:, :], 0)
    np.testing.assert_array_equal(out[1, :, :, :1], 0)
    np.testing.assert_array_equal(out[2], 0)          # shifted by the whole width


def test_shift_offsets_cover_the_range_and_the_op_applies_them():
    x = images(b=400, c=1, h=5, w=5)
    dy, dx = aug.shift_offsets(x, STEP, SEED, pixels=2, salt=9)
    assert set(np.unique(dy)) == set(np.unique(dx)) == {-2, -1, 0, 1, 2}
    np.testing.assert_array_equal(ref("augment_shift", x, pixels=2, salt=9),
                                  aug.shift_with(x, dy, dx))


def test_flip_is_a_mirror_with_probability_one_half():
    x = images(b=1000, c=1, h=3, w=4)
    out = ref("augment_flip", x, horizontal=True, vertical=False, salt=3)
    same = np.all(out == x, axis=(1, 2, 3))
    mirrored = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(same ^ mirrored)
    assert 0.45 < mirrored.mean() < 0.55
    both = ref("augment_flip", x, horizontal=True, vertical=True, salt=3)
    fh, fv = aug.flip_draws(x, STEP, SEED, horizontal=True, vertical=True, salt=3)
    for b in range(20):
        want = x[b][:, ::-1 if fv[b] else 1, ::-1 if fh[b] else 1]
        np.testing.assert_array_equal(both[b], want)
    assert 0.2 < (fh & fv).mean() < 0.3                 # independent draws per axis


def test_rotate_by_zero_is_identity_and_by_90_degrees_is_rot90():
    x = images(b=2, c=3, h=7, w=7)
    np.testing.assert_array_equal(aug.rotate_with(x, np.zeros(2)), x)
    turned = aug.rotate_with(x, np.full(2, math.pi / 2))
    np.testing.assert_allclose(turned, np.rot90(x, axes=(2, 3)), atol=1e-5)
    even = images(b=1, c=1, h=6, w=6)                    # centre between pixels
    np.testing.assert_allclose(aug.rotate_with(even, [-math.pi / 2]),
                               np.rot90(even, k=-1, axes=(2, 3)), atol=1e-5)


def test_rotate_angles_stay_in_range_and_interpolate_bilinearly():
    x = images(b=500, c=1, h=5, w=5)
    a = aug.rotate_angles(x, STEP, SEED, degrees=15.0, salt=1)
    assert np.all(np.abs(a) <= math.radians(15.0)) and a.min() < -0.2 and a.max() > 0.2
    # a small rotation of a constant image keeps the interior constant (weights sum to 1)
    ones = np.ones((1, 1, 9, 9), np.float32)
    out = aug.rotate_with(ones, [math.radians(10)])
    np.testing.assert_allclose(out[0, 0, 2:-2, 2:-2], 1.0, atol=1e-6)
    assert out[0, 0, 0, 0] < 1.0                        # corners sample outside: zero fill


def test_noise_mean_and_std():
    x = np.full((64, 1, 16, 16), 3.0, np.float32)
    out = ref("augment_noise", x, std=0.5, salt=2)
    assert out.dtype == np.float32
    d = out - 3.0
    assert abs(d.mean()) < 0.01 and abs(d.std() - 0.5) < 0.01
    flat = ref("augment_noise", np.zeros((8, 9), np.float32), std=1.0, salt=2)
    assert flat.shape == (8, 9) and flat.std() > 0.5    # any input shape, odd sizes too
    assert len(np.unique(flat)) == flat.size


@pytest.mark.parametrize("op,attrs", [("augment_shift", {"pixels": 2}),
                                      ("augment_flip", {"horizontal": True, "vertical": True}),
                                      ("augment_rotate", {"degrees": 30.0}),
                                      ("augment_noise", {"std": 0.3})])
def test_augmentation_is_a_function_of_seed_step_and_salt(op, attrs):
    x = images(b=16)
    a = ref(op, x, salt=5, **attrs)
    np.testing.assert_array_equal(a, ref(op, x.copy(), salt=5, **attrs))
    assert not np.array_equal(a, ref(op, x, step=STEP + 1, salt=5, **attrs))
    assert not np.array_equal(a, ref(op, x, seed=SEED + 1, salt=5, **attrs))
    assert not np.array_equal(a, ref(op, x, salt=6, **attrs))


# -- checker ---------------------------------------------------------------------------------
def recipe_text(augment: str, input_shape: str = "[1, 6, 6]", flatten: str = "flatten") -> str:
    return f"""
data {{ source = npz("unused.npz")  augment = {augment} }}
train {{ steps = 3 batch = 4 seed = 3 }}
model {{ input {input_shape} {flatten} dense(3) }}
loss = cross_entropy
optimizer = sgd(lr = 0.5)
"""


def test_checker_accepts_augment_lists_and_fills_defaults():
    r = recipec.loads(recipe_text("[shift(2), flip(), rotate(10), noise(std = 0.1)]"), "a.recipe")
    assert [c.kind for c in r.data.augment] == ["shift", "flip", "rotate", "noise"]
    assert r.data.augment[1].options == {"horizontal": True, "vertical": False}
    assert r.data.augment[2]["degrees"] == 10.0 and r.data.augment[0]["pixels"] == 2
    assert recipec.loads(recipe_text("[]"), "a.recipe").data.augment == ()
    plain = recipec.loads(recipe_text("[noise(0.1)]").replace("augment = [noise(0.1)]", ""),
                          "a.recipe")
    assert plain.data.augment == ()
    # noise works on any input shape
    r = recipec.loads(recipe_text("[noise(0.2)]", "[12]", ""), "a.recipe")
    assert r.data.augment[0]["std"] == 0.2


def _codes(text):
    with pytest.raises(RecipeError) as e:
        recipec.loads(text, "a.recipe")
    return e.value.diagnostics


def test_checker_rejects_image_augments_on_flat_inputs_at_the_entry():
    text = recipe_text("[noise(0.1), rotate(10)]", "[64]", "")
    (d,) = _codes(text)
    assert d.code == "E305" and "rotate" in d.message and "[64]" in d.message
    line = text.split("\n")[d.span.line - 1]
    assert line[d.span.col - 1:d.span.end_col - 1] == "rotate(10)"
    assert [d.code for d in _codes(recipe_text("[shift(1), flip()]", "[3, 4]"))] \
        == ["E305", "E305"]


@pytest.mark.parametrize("augment,code", [
    ("[blur(2)]", "E104"), ("[shift(-1)]", "E202"), ("[shift(1.5)]", "E201"),
    ("[rotate(200)]", "E202"), ("[noise(-0.1)]", "E202"), ("[noise()]", "E106"),
    ("[flip(false, false)]", "E202"), ("[flip(diagonal = true)]", "E103"), ("[3]", "E201"),
])
def test_checker_rejects_bad_augment_options(augment, code):
    assert code in [d.code for d in _codes(recipe_text(augment))]


# -- graph building and the compiled step ----------------------------------------------------
# [1, 5, 7]: non-square (catches H/W mix-ups) with an odd element count (noise's last pair).
COMPILED = recipe_text("[shift(2), flip(true, true), rotate(25), noise(0.1)]", "[1, 5, 7]")


def test_augmentation_is_in_the_training_graph_only():
    r = recipec.loads(COMPILED, "a.recipe")
    train = build_forward(r.model, training=True, augment=r.data.augment).graph
    ops = [n.op for n in train.nodes]
    assert ops[:4] == ["augment_shift", "augment_flip", "augment_rotate", "augment_noise"]
    assert len({n.attrs["salt"] for n in train.nodes[:4]}) == 4
    assert train.nodes[0].attrs["salt"] == augment_salt(0, r.data.augment[0])
    # magnitudes are run-time inputs named after the entry (kind and count), flip's axes attrs
    assert [n.inputs[3].name for n in train.nodes[:4] if n.op != "augment_flip"] == \
        ["data.augment.shift_1.pixels", "data.augment.rotate_1.degrees",
         "data.augment.noise_1.std"]
    predict = build_forward(r.model, training=False, augment=r.data.augment).graph
    assert not any(n.op.startswith("augment_") for n in predict.nodes)
    # entries that cannot change anything add no op
    r0 = recipec.loads(recipe_text("[shift(0), rotate(0), noise(0)]"), "a.recipe")
    fwd = build_forward(r0.model, training=True)
    assert apply_augmentation(fwd.ctx, fwd.x, r0.data.augment) is fwd.x


def test_compiled_augmented_steps_match_reference():
    program = recipec.compile(recipec.loads(COMPILED, "aug.recipe"))
    assert any(n.op == "augment_rotate" for n in program.graphs.train.nodes)
    rng_ = np.random.default_rng(0)
    batch, steps = 4, 3
    x = rng_.standard_normal((batch * steps, 1, 5, 7)).astype(np.float32)
    y = rng_.integers(0, 3, batch * steps).astype(np.int64)
    reference = copy.deepcopy(program.state)
    assert_steps_match_reference(program, x, y, batch, steps, lr=0.5, loss_rtol=1e-5,
                                 state_rtol=1e-5)
    # the batch the step trained on really was transformed
    aug_x = run_graph(_augment_only(program), {"x": x[:batch], "step": np.int64(0),
                                               "seed": np.int64(reference.seed)},
                      program.graphs.hypers)["output"]
    assert aug_x.shape == (batch, 1, 5, 7) and not np.allclose(aug_x, x[:batch])


def _augment_only(program):
    """The training graph's augmentation alone: a model with no layers."""
    model = program.recipe.model
    empty = model.__class__(model.input_shape, (), model.span)
    return build_forward(empty, training=True, augment=program.recipe.data.augment).graph
