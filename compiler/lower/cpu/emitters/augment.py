"""Augmentation kernels: one loop per sample drawing from the counter RNG (lower/cpu/rng.py),
bit-identical to the numpy references in ops/augment.py. Magnitudes (pixels, degrees, std)
are the ops' fourth input, a float64 run-time hyperparameter read before the sample loop."""
from __future__ import annotations

import math

from ....ops.augment import DRAWS
from . import emitter


class _Src:
    """Local variable names for one emitted op (fresh, so ops never clash)."""

    def __init__(self, ctx, node):
        tag = ctx.fresh("aug")
        self.key, self.b = f"{tag}_key", f"{tag}_b"
        self.x, self.out = ctx.name(node.inputs[0]), ctx.name(node.outputs[0])
        self.step, self.seed = ctx.name(node.inputs[1]), ctx.name(node.inputs[2])
        self.tag = tag
        batch, *rest = ctx.shape(node.inputs[0])
        self.dims = [batch] + [int(d) for d in rest]      # "B", then ints

    def head(self, salt):
        return [f"{self.key} = _dropout_key({self.seed}, {self.step}, {salt})",
                f"for {self.b} in prange({self.dims[0]}):"]

    def bits(self, j):
        return f"_rng_bits({self.key}, {self.b} * {DRAWS} + {j})"



def _shift_emit(node, ctx):
    s = _Src(ctx, node)
    _, C, H, W = s.dims
    t = s.tag
    return [f"{t}_p = np.int64({ctx.name(node.inputs[3])})",
            f"{t}_n = 2 * {t}_p + 1"] + s.head(node.attrs["salt"]) + [
        f"    {t}_dy = _randint({s.bits(0)}, {t}_n) - {t}_p",
        f"    {t}_dx = _randint({s.bits(1)}, {t}_n) - {t}_p",
        f"    for {t}_c in range({C}):",
        f"        for {t}_h in range({H}):",
        f"            {t}_sh = {t}_h - {t}_dy",
        f"            for {t}_w in range({W}):",
        f"                {t}_sw = {t}_w - {t}_dx",
        f"                if {t}_sh >= 0 and {t}_sh < {H} and {t}_sw >= 0 and {t}_sw < {W}:",
        f"                    {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = "
        f"{s.x}[{s.b}, {t}_c, {t}_sh, {t}_sw]",
        "                else:",
        f"                    {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = np.float32(0.0)",
    ]



def _flip_emit(node, ctx):
    s = _Src(ctx, node)
    _, C, H, W = s.dims
    t = s.tag
    fh = f"_randint({s.bits(0)}, 2) == 1" if node.attrs["horizontal"] else "False"
    fv = f"_randint({s.bits(1)}, 2) == 1" if node.attrs["vertical"] else "False"
    return s.head(node.attrs["salt"]) + [
        f"    {t}_fh = {fh}",
        f"    {t}_fv = {fv}",
        f"    for {t}_c in range({C}):",
        f"        for {t}_h in range({H}):",
        f"            {t}_sh = {H - 1} - {t}_h if {t}_fv else {t}_h",
        f"            for {t}_w in range({W}):",
        f"                {t}_sw = {W - 1} - {t}_w if {t}_fh else {t}_w",
        f"                {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = "
        f"{s.x}[{s.b}, {t}_c, {t}_sh, {t}_sw]",
    ]



def _rotate_emit(node, ctx):
    s = _Src(ctx, node)
    _, C, H, W = s.dims
    t = s.tag
    cy, cx = (H - 1) / 2.0, (W - 1) / 2.0
    # the largest angle in radians, in the float64 operations (and order) of the reference
    lines = [f"{t}_rad = {ctx.name(node.inputs[3])} * {math.pi!r} / 180.0"]
    lines += s.head(node.attrs["salt"]) + [
        f"    {t}_a = (2.0 * _uniform({s.bits(0)}) - 1.0) * {t}_rad",
        f"    {t}_cos = np.cos({t}_a)",
        f"    {t}_sin = np.sin({t}_a)",
        f"    for {t}_h in range({H}):",
        f"        {t}_y = {t}_h - {cy!r}",
        f"        for {t}_w in range({W}):",
        f"            {t}_x = {t}_w - {cx!r}",
        f"            {t}_sy = {t}_cos * {t}_y + {t}_sin * {t}_x + {cy!r}",
        f"            {t}_sx = -{t}_sin * {t}_y + {t}_cos * {t}_x + {cx!r}",
        f"            {t}_fy0 = np.floor({t}_sy)",
        f"            {t}_fx0 = np.floor({t}_sx)",
        f"            {t}_fy = {t}_sy - {t}_fy0",
        f"            {t}_fx = {t}_sx - {t}_fx0",
        f"            {t}_y0 = np.int64({t}_fy0)",
        f"            {t}_x0 = np.int64({t}_fx0)",
        f"            {t}_w00 = (1.0 - {t}_fy) * (1.0 - {t}_fx)",
        f"            {t}_w01 = (1.0 - {t}_fy) * {t}_fx",
        f"            {t}_w10 = {t}_fy * (1.0 - {t}_fx)",
        f"            {t}_w11 = {t}_fy * {t}_fx",
        f"            {t}_in_y0 = {t}_y0 >= 0 and {t}_y0 < {H}",
        f"            {t}_in_y1 = {t}_y0 + 1 >= 0 and {t}_y0 + 1 < {H}",
        f"            {t}_in_x0 = {t}_x0 >= 0 and {t}_x0 < {W}",
        f"            {t}_in_x1 = {t}_x0 + 1 >= 0 and {t}_x0 + 1 < {W}",
        f"            for {t}_c in range({C}):",
        f"                {t}_v = 0.0",
    ]
    for dy, dx, wgt in ((0, 0, "w00"), (0, 1, "w01"), (1, 0, "w10"), (1, 1, "w11")):
        lines += [
            f"                if {t}_in_y{dy} and {t}_in_x{dx}:",
            f"                    {t}_v += {t}_{wgt} * np.float64({s.x}[{s.b}, {t}_c, "
            f"{t}_y0 + {dy}, {t}_x0 + {dx}])",
        ]
    lines.append(f"                {s.out}[{s.b}, {t}_c, {t}_h, {t}_w] = np.float32({t}_v)")
    return lines



def _noise_emit(node, ctx):
    s = _Src(ctx, node)
    t = s.tag
    feature = math.prod(s.dims[1:])
    pairs = (feature + 1) // 2
    std = ctx.name(node.inputs[3])
    return [f"{t}_xf = view({s.x}, ({s.dims[0]}, {feature}))",
            f"{t}_of = view({s.out}, ({s.dims[0]}, {feature}))"] + s.head(node.attrs["salt"]) + [
        f"    for {t}_m in range({pairs}):",
        f"        {t}_z0, {t}_z1 = _normal_pair(_rng_bits({s.key}, {s.b} * {pairs} + {t}_m))",
        f"        {t}_k = 2 * {t}_m",
        f"        {t}_of[{s.b}, {t}_k] = {t}_xf[{s.b}, {t}_k] + np.float32({std} * {t}_z0)",
        f"        if {t}_k + 1 < {feature}:",
        f"            {t}_of[{s.b}, {t}_k + 1] = {t}_xf[{s.b}, {t}_k + 1] + "
        f"np.float32({std} * {t}_z1)",
    ]


emitter("augment_shift")(_shift_emit)
emitter("augment_flip")(_flip_emit)
emitter("augment_rotate")(_rotate_emit)
emitter("augment_noise")(_noise_emit)
