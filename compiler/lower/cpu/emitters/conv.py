"""Numba lowering of convolution and pooling: shape-generic library kernels plus one call each.

The loops live in the shared helper library (lower/cpu/module.py emit_library), written once with
the geometry as run-time integers, and every conv/pool node of every recipe emits one call with
its geometry array. Each of these loops used to be emitted inline with constant sizes; every
prange there became a Numba gufunc compiled for each recipe, and a convnet's kernels took
23 s to compile cold (11 s now). Now they compile once per machine. Run-time sizes cost the
convolutions little (the time is in sgemm and memory traffic; measured conv2 forward 2.1 vs
2.3 ms at batch 64), but made 2x2 pooling 2.5-4x slower, so that window keeps a copy with
constant sizes (_with_2x2_fast_path).

Convolutions lower to BLAS through im2col, one sample at a time: sample b's column matrix
cols[C*kh*kw, Ho*Wo] holds its receptive fields, and the forward is one sgemm
y[b] = W[F, C*kh*kw] @ cols[b], written straight into the NCHW output (its [F, Ho*Wo] view).
Under the default RECIPEC_THREADS=numba the loop over samples is a prange and each thread calls
a single-threaded sgemm.
Measured (Keras MNIST convnet shapes, 2-core AMD EPYC, OpenBLAS 0.3.31, ms per call at batch
64 / 128, best of 15): per-sample im2col + sgemm beat one batched column matrix
[C*kh*kw, B*Ho*Wo] with a single big sgemm for every op (conv2 forward 3.25 / 6.43 vs
3.96 / 8.41; dW 3.28 / 6.66 vs 3.97 / 7.52; dX 2.78 / 5.43 vs 3.50 / 7.40), because the
batched transposes stream 9 MB through memory while one sample's columns (139 KB) stay in L2;
a direct (no im2col) loop for conv1 (C*kh*kw = 9) was 2x slower still. The batched variant was
therefore removed. Whole CNN step, same run as PyTorch eager 2.13 (bench, quiet machine):
4,900 / 5,100 samples/s vs 3,700 / 3,700.
Backward: dW^T = sum_b cols[b] @ dY[b]^T reuses the forward's columns (measured: recomputing
them cost the same time as reading them back, and keeping one buffer saves B*C*kh*kw*Ho*Wo
floats per layer); sgemm accumulates the products over chunks of 16 samples and the chunks are
summed in float64 in a fixed order. dX = col2im(W^T @ dY[b]) with one writer per element of dX.
Neither result depends on the thread count.

Layouts and algorithms (measured on the Keras MNIST convnet shapes, above):
im2col one sample at a time into cols[b] = [C*kh*kw, Ho*Wo], forward y[b] = W @ cols[b] with
the bias (and ReLU) applied to y[b] while it is in cache; the weight gradient reuses the
forward's columns (ctx.shared) and accumulates dW^T += cols[b] @ dY[b]^T over chunks of
DW_CHUNK samples in sgemm (beta = 1), then sums the chunks in float64 in a fixed order, so
results depend on the batch but never on the thread count; dX = col2im(W^T @ dY[b]) with one
writer per element. Pooling's gradient can take ReLU's mask (maxpool_relu_grad).
"""
from __future__ import annotations

from ..cblas import EPILOGUES, emit_gemm
from ..entry import IMPL, export
from . import emitter, library

DW_CHUNK = 16    # samples whose weight-gradient products one sgemm chain accumulates
DX_CHUNK = 8     # samples one input-gradient task runs, sharing one columns buffer
FWD_CHUNK = 4    # the same for a forward convolution whose columns are not read again

# the geometry array every library kernel takes (1-D problems are lifted to H = 1)
GEOMETRY = ("B", "C", "H", "W", "F", "HO", "WO", "KH", "KW", "SH", "SW", "PH", "PHH", "PW",
            "PWH")


def _lift(v, fill):
    return (fill,) + tuple(v) if len(v) == 1 else tuple(v)


class _Geom:
    """Concrete sizes of one conv/pool node (1-D lifted to 2-D) from its input's and output's
    shapes (`ctx.shape` lists: the batch is the name "B")."""

    def __init__(self, xs, ys, kernel, stride, padding):
        self.rank = len(xs)
        self.B = xs[0]
        self.C, self.F = int(xs[1]), int(ys[1])
        self.H, self.W = (1, int(xs[2])) if self.rank == 3 else (int(xs[2]), int(xs[3]))
        self.HO, self.WO = (1, int(ys[2])) if self.rank == 3 else (int(ys[2]), int(ys[3]))
        self.KH, self.KW = _lift(kernel, 1)
        self.SH, self.SW = _lift(stride, 1)
        (self.PH, self.PHH), (self.PW, self.PWH) = _lift(padding, (0, 0))
        self.CKK = self.C * self.KH * self.KW
        self.P = self.HO * self.WO

    def array(self, ctx) -> str:
        """Name of this geometry's int64 array (built once per kernel call, before the loop)."""
        name = ctx.fresh("geom")
        values = ", ".join(str(getattr(self, k)) for k in GEOMETRY)
        ctx.allocs.append(f"{name} = np.array([{values}], np.int64)")
        return name

    def columns_key(self, x) -> tuple:
        """Identifies the im2col matrix of input `x` under this geometry."""
        return ("im2col", x.id, self.KH, self.KW, self.SH, self.SW, self.PH, self.PHH,
                self.PW, self.PWH)


# -- the library kernels -------------------------------------------------------------------
def _for(var, n):
    return f"for {var} in range({n}):"


# Two copies of each column loop. VALID (stride 1, no padding, the usual case) indexes with sums
# of loop counters only, which LLVM proves non-negative and in bounds: no test per element
# (measured on the benchmark convnet's conv2: im2col 0.76 -> 0.24 ms, col2im 0.87 -> 0.37 ms
# per step; LeNet's conv2 0.35 -> 0.25 and 0.38 -> 0.21). The general copy tests the padding;
# its bounds tests also prove its indices non-negative, which removes Python's wrap-around
# test (a version without them measured 15% slower).
def _im2col(x4, b, cols, pad, slot=None):
    """Lines filling cols[slot] (default: cols[b]) with sample b's receptive fields (zeros in
    the padding)."""
    slot = slot or b
    valid = ["if VALID:",
             f"    {_for('c', 'C')}", f"        {_for('ki', 'KH')}",
             f"            {_for('kj', 'KW')}",
             "                r = (c * KH + ki) * KW + kj",
             f"                {_for('oh', 'HO')}",
             "                    base = oh * WO",
             f"                    {_for('ow', 'WO')}",
             f"                        {cols}[{slot}, r, base + ow] = "
             f"{x4}[{b}, c, oh + ki, ow + kj]"]
    general = [_for("c", "C"), f"    {_for('ki', 'KH')}", f"        {_for('kj', 'KW')}",
               "            r = (c * KH + ki) * KW + kj",
               f"            {_for('oh', 'HO')}",
               "                ih = oh * SH + ki - PH",
               "                base = oh * WO",
               "                if ih < 0 or ih >= H:",
               f"                    {_for('ow', 'WO')}",
               f"                        {cols}[{slot}, r, base + ow] = np.float32(0.0)",
               "                    continue",
               f"                {_for('ow', 'WO')}",
               "                    iw = ow * SW + kj - PW",
               f"                    {cols}[{slot}, r, base + ow] = ({x4}[{b}, c, ih, iw] "
               "if iw >= 0 and iw < W else np.float32(0.0))"]
    return [pad + ln for ln in valid + ["else:"] + ["    " + ln for ln in general]]


def _col2im(dx4, b, dcols, pad):
    """Lines setting dx4[b] = col2im(dcols); one writer per element, fixed order."""
    zero = [f"    {_for('i', 'H')}", f"        {_for('j', 'W')}",
            f"            {dx4}[{b}, c, i, j] = np.float32(0.0)"]
    valid = ([_for("c", "C")] + zero
             + [f"    {_for('ki', 'KH')}", f"        {_for('kj', 'KW')}",
                "            r = (c * KH + ki) * KW + kj",
                f"            {_for('oh', 'HO')}",
                "                base = oh * WO",
                f"                {_for('ow', 'WO')}",
                f"                    {dx4}[{b}, c, oh + ki, ow + kj] += {dcols}[r, base + ow]"])
    general = ([_for("c", "C")] + zero
               + [f"    {_for('ki', 'KH')}", f"        {_for('kj', 'KW')}",
                  "            r = (c * KH + ki) * KW + kj",
                  f"            {_for('oh', 'HO')}",
                  "                ih = oh * SH + ki - PH",
                  "                if ih < 0 or ih >= H:",
                  "                    continue",
                  f"                {_for('ow', 'WO')}",
                  "                    iw = ow * SW + kj - PW",
                  "                    if iw >= 0 and iw < W:",
                  f"                        {dx4}[{b}, c, ih, iw] += {dcols}[r, oh * WO + ow]"])
    return [pad + ln for ln in ["if VALID:"] + ["    " + ln for ln in valid] + ["else:"]
            + ["    " + ln for ln in general]]


def _plane_loop() -> list[str]:
    """prange over (sample, channel) planes of a pooling kernel."""
    return ["for bc in prange(B * C):", "    b = bc // C", "    c = bc % C"]


def _zero_plane(dx4) -> list[str]:
    return [f"    {_for('i', 'H')}", f"        {_for('j', 'W')}",
            f"            {dx4}[b, c, i, j] = np.float32(0.0)"]


def _window_max(x4, track: bool, kh="KH", kw="KW", sh="SH", sw="SW") -> list[str]:
    lines = [f"            m = {x4}[b, c, oh * {sh}, ow * {sw}]"]
    if track:
        lines += ["            bi = 0", "            bj = 0"]
    lines += [f"            {_for('ki', kh)}", f"                {_for('kj', kw)}",
              f"                    t = {x4}[b, c, oh * {sh} + ki, ow * {sw} + kj]",
              "                    if t > m:", "                        m = t"]
    if track:
        lines += ["                        bi = ki", "                        bj = kj"]
    return lines


_OUTPUTS = [f"    {_for('oh', 'HO')}", f"        {_for('ow', 'WO')}"]


def _with_2x2_fast_path(make) -> list[str]:
    """`make(kh, kw, sh, sw)` -> lines of one output position's work. The common 2x2 window
    at stride 2 gets its own copy with constant sizes, which LLVM unrolls (measured: the
    generic run-time loops made maxpool 4x and its gradient 2.5x slower on a conv1 output)."""
    head = _plane_loop()
    return (["if KH == 2 and KW == 2 and SH == 2 and SW == 2:"]
            + ["    " + ln for ln in head + _OUTPUTS + make(2, 2, 2, 2)]
            + ["else:"]
            + ["    " + ln for ln in head + _OUTPUTS + make("KH", "KW", "SH", "SW")])


# The 2x2/stride-2 max-pool gradient writes each element of dx once, with selects: no zeroing
# pass, no scatter, no branch on which element won (random on real data, so mispredicted).
# Measured on the benchmark convnet, same process: 2-8% faster steps than the zero-then-
# scatter loop the other windows use.
MAXPOOL_GRAD_2X2 = _plane_loop() + [
    "    xp = x4[b, c]",
    "    dp = dx4[b, c]",
    "    gp = dy4[b, c]",
    "    for i in range(2 * HO, H):",           # a last row no window covers (odd H)
    "        for j in range(W):",
    "            dp[i, j] = np.float32(0.0)",
    "    for oh in range(HO):",
    "        r0 = xp[2 * oh]",
    "        r1 = xp[2 * oh + 1]",
    "        o0 = dp[2 * oh]",
    "        o1 = dp[2 * oh + 1]",
    "        g_row = gp[oh]",
    "        for j in range(2 * WO, W):",
    "            o0[j] = np.float32(0.0)",
    "            o1[j] = np.float32(0.0)",
    "        for ow in range(WO):",
    "            x00 = r0[2 * ow]",
    "            x01 = r0[2 * ow + 1]",
    "            x10 = r1[2 * ow]",
    "            x11 = r1[2 * ow + 1]",
    "            m = max(max(x00, x01), max(x10, x11))",
    "            g = g_row[ow]",
    "            if relu_mask:",
    "                g = g if m > np.float32(0.0) else np.float32(0.0)",
    # the first maximum in row-major order takes the gradient (as the reference)
    "            w00 = x00 == m",
    "            w01 = (x01 == m) & (not w00)",
    "            w10 = (x10 == m) & (not w00) & (x01 != m)",
    "            w11 = (not w00) & (x01 != m) & (x10 != m)",
    "            o0[2 * ow] = g if w00 else np.float32(0.0)",
    "            o0[2 * ow + 1] = g if w01 else np.float32(0.0)",
    "            o1[2 * ow] = g if w10 else np.float32(0.0)",
    "            o1[2 * ow + 1] = g if w11 else np.float32(0.0)"]


# the shapes the kernels give the arrays they receive flat (f32[*])
_SHAPES = {"x4": "(B, C, H, W)", "dx4": "(B, C, H, W)", "y4": "(B, C, HO, WO)",
           "dy4": "(B, C, HO, WO)", "w2": "(F, CKK)", "dw2": "(F, CKK)", "y3": "(B, F, P)",
           "dy3": "(B, F, P)"}


def _function(name: str, params: str, body: list[str], parallel: bool) -> str:
    """`name_impl` and its C entry point (lower/cpu/entry.py); `params` as entry.export takes
    them. The recipe's arrays arrive flat and are shaped here from the geometry, so the
    kernels pass them without a reshape (lower/views.py says why that matters)."""
    unpack = f"    {', '.join(GEOMETRY)} = " + ", ".join(f"geom[{i}]"
                                                        for i in range(len(GEOMETRY)))
    names, shaping = [], []
    for p in params.split(","):
        pname, kind = (t.strip() for t in p.split(":"))
        if kind == "f32[*]" and pname in _SHAPES:        # (a bias is used flat)
            names.append(f"{pname}_flat")
            shaping.append(f"    {pname} = {pname}_flat.reshape({_SHAPES[pname]})")
        else:
            names.append(pname)
    return "\n".join([IMPL,
                      f"def {name}_impl({', '.join(names)}):", unpack,
                      "    CKK = C * KH * KW", "    P = HO * WO",
                      "    VALID = SH == 1 and SW == 1 and PH == 0 and PHH == 0 and PW == 0 "
                      "and PWH == 0", *shaping]
                     + ["    " + ln for ln in body]) + "\n\n\n" + export(name, params)


def library_source(parallel: bool) -> str:
    """The conv and pooling kernels of the shared helper library."""
    gemm = emit_gemm
    # cols[ch] serves chunk ch of the samples: one sample per chunk when the weight gradient
    # reads the columns again, else one L2-sized buffer reused by `chunk` samples
    conv_forward = (["chunks = (B + chunk - 1) // chunk",
                     "for ch in prange(chunks):",
                     "    for k in range(min(chunk, B - ch * chunk)):",
                     "        b = ch * chunk + k"]
                    + _im2col("x4", "b", "cols", "        ", slot="ch")
                    + ["        " + gemm("w2", "cols[ch]", "y3[b]", False, False, split=False),
                       # the bias (and ReLU) while the sample's output is in cache
                       "        if ep == 1 or ep == 2:",
                       "            for f in range(F):",
                       "                yf = y3[b, f]",
                       "                bf = bias[f]",
                       "                if ep == 2:",
                       "                    for t in range(P):",
                       "                        yf[t] = max(yf[t] + bf, np.float32(0.0))",
                       "                else:",
                       "                    for t in range(P):",
                       "                        yf[t] += bf"])
    # dcols is one [CKK, P] matrix per chunk of DX_CHUNK samples, reused sample after sample
    # while it is in L2: a [B, CKK, P] buffer was written back to memory (8.9 MB a step for
    # the benchmark convnet's conv2) though each sample's part is read only once
    conv_grad_input = (["chunks = (B + chunk - 1) // chunk",
                        "for ch in prange(chunks):",
                        "    for k in range(min(chunk, B - ch * chunk)):",
                        "        b = ch * chunk + k",
                        "        " + gemm("w2", "dy3[b]", "dcols[ch]", True, False,
                                         split=False)]
                       + _col2im("dx4", "b", "dcols[ch]", "        "))
    conv_grad_weight = (
        ["chunks = (B + chunk - 1) // chunk",
         "for ch in prange(chunks):",
         "    for k in range(min(chunk, B - ch * chunk)):",
         "        b = ch * chunk + k",
         "        if build_cols:"]          # only when the forward's columns are not at hand
        + _im2col("x4", "b", "cols", "            ")
        # dW^T = cols @ dY^T: sgemm ran this orientation 20-28% faster than dY @ cols^T on the
        # benchmark convnet's and LeNet's shapes (B transposed with a short K is its weak case)
        + ["        " + gemm("cols[b]", "dy3[b]", "part[ch]", False, True, split=False,
                             beta="0.0 if k == 0 else 1.0"),
           # sum the chunks' partials: fixed order, float64, one writer per row
           "for f in prange(F):",
           f"    {_for('j', 'CKK')}", "        acc[f, j] = 0.0",
           f"    {_for('q', 'chunks')}", f"        {_for('j', 'CKK')}",
           "            acc[f, j] += part[q, j, f]",
           f"    {_for('j', 'CKK')}", "        dw2[f, j] = np.float32(acc[f, j])"])
    maxpool_forward = _with_2x2_fast_path(lambda kh, kw, sh, sw: _window_max(
        "x4", False, kh, kw, sh, sw) + ["            y4[b, c, oh, ow] = m"])
    # relu_mask: x is a ReLU's output and its derivative is folded in: a window whose
    # maximum is 0 passes no gradient (every other element of x gets none anyway)
    maxpool_backward = (
        ["if KH == 2 and KW == 2 and SH == 2 and SW == 2:"]
        + ["    " + ln for ln in MAXPOOL_GRAD_2X2]
        + ["else:"]
        + ["    " + ln for ln in _plane_loop() + _zero_plane("dx4") + _OUTPUTS
           + _window_max("x4", True) + [
               "            if not relu_mask or m > np.float32(0.0):",
               "                dx4[b, c, oh * SH + bi, ow * SW + bj] += dy4[b, c, oh, ow]"]])
    avgpool_forward = _plane_loop() + _OUTPUTS + [
        "            acc = 0.0",
        f"            {_for('ki', 'KH')}", f"                {_for('kj', 'KW')}",
        "                    acc += x4[b, c, oh * SH + ki, ow * SW + kj]",
        "            y4[b, c, oh, ow] = np.float32(acc / (KH * KW))"]
    avgpool_backward = _plane_loop() + _zero_plane("dx4") + _OUTPUTS + [
        "            g = dy4[b, c, oh, ow] / np.float32(KH * KW)",
        f"            {_for('ki', 'KH')}", f"                {_for('kj', 'KW')}",
        "                    dx4[b, c, oh * SH + ki, ow * SW + kj] += g"]
    return "\n\n".join([
        _function("conv_forward", "x4: f32[*], w2: f32[*], y3: f32[*], cols: f32[3], "
                  "geom: i64[1], bias: f32[*], ep: int, chunk: int", conv_forward, parallel),
        _function("conv_grad_input", "dy3: f32[*], w2: f32[*], dx4: f32[*], dcols: f32[3], "
                  "geom: i64[1], chunk: int", conv_grad_input, parallel),
        _function("conv_grad_weight", "x4: f32[*], dy3: f32[*], dw2: f32[*], cols: f32[3], "
                  "part: f32[3], acc: f64[2], geom: i64[1], build_cols: bool, chunk: int",
                  conv_grad_weight, parallel),
        _function("maxpool_forward", "x4: f32[*], y4: f32[*], geom: i64[1]", maxpool_forward,
                  parallel),
        _function("maxpool_backward", "x4: f32[*], dy4: f32[*], dx4: f32[*], geom: i64[1], "
                  "relu_mask: bool", maxpool_backward, parallel),
        _function("avgpool_forward", "x4: f32[*], y4: f32[*], geom: i64[1]", avgpool_forward,
                  parallel),
        _function("avgpool_backward", "dy4: f32[*], dx4: f32[*], geom: i64[1]",
                  avgpool_backward, parallel)])


# -- one call per node ---------------------------------------------------------------------
def _conv_geom(n, ctx, x, y, kernel):
    return _Geom(ctx.shape(x), ctx.shape(y), kernel, n.attrs["stride"], n.attrs["padding"])


def conv_emit(n, ctx):
    """conv(x, w), or conv_bias_act(x, w, bias) with the epilogue lower/cpu/passes/epilogue.py folded
    in (the bias, and ReLU when attrs["act"] says so)."""
    x, w = n.inputs[:2]
    y = n.outputs[0]
    gm = _conv_geom(n, ctx, x, y, w.shape[2:])
    if _columns_read_again(n, ctx.graph):
        chunk = 1
        cols = ctx.scratch((gm.B, gm.CKK, gm.P), "float32")
        ctx.shared[gm.columns_key(x)] = cols
    else:
        # [B, CKK, P] columns went through memory (8.9 MB a step for the benchmark convnet's
        # conv2); measured on its whole step, same process: 7.94 -> 7.58 ms at batch 64
        chunk = FWD_CHUNK
        cols = ctx.scratch((f"(({gm.B} + {chunk - 1}) // {chunk})", gm.CKK, gm.P), "float32")
    if len(n.inputs) == 3:
        bias, ep = ctx.name(n.inputs[2]), EPILOGUES["bias_relu" if n.attrs["act"] else "bias"]
    else:
        bias, ep = ctx.nothing(), EPILOGUES["none"]
    return [f"conv_forward({ctx.name(x)}, {ctx.name(w)}, {ctx.name(y)}, {cols}, "
            f"{gm.array(ctx)}, {bias}, {ep}, {chunk})"]


def _columns_read_again(n, graph) -> bool:
    """Whether a dense weight gradient of this convolution reads its columns (the winner
    kernels of lower/cpu/passes/winners.py build their own channels-last copy)."""
    x = n.inputs[0]
    return any(u.op == "conv_grad_weight" and u.inputs[0] is x and
               tuple(u.attrs["kernel"]) == tuple(n.inputs[1].shape[2:]) and
               u.attrs["stride"] == n.attrs["stride"] and u.attrs["padding"] == n.attrs["padding"]
               for u in graph.nodes)


def conv_grad_weight_emit(n, ctx):
    x, dy = n.inputs
    dw = n.outputs[0]
    gm = _conv_geom(n, ctx, x, dy, n.attrs["kernel"])
    cols = ctx.shared.get(gm.columns_key(x))      # built by the forward convolution
    build = cols is None
    if build:
        cols = ctx.scratch((gm.B, gm.CKK, gm.P), "float32")
    chunks = f"(({gm.B} + {DW_CHUNK - 1}) // {DW_CHUNK})"
    part = ctx.scratch((chunks, gm.CKK, gm.F), "float32")      # each chunk's dW^T
    acc = ctx.scratch((gm.F, gm.CKK), "float64")
    return [f"conv_grad_weight({ctx.name(x)}, {ctx.name(dy)}, {ctx.name(dw)}, {cols}, {part}, "
            f"{acc}, {gm.array(ctx)}, {build}, {DW_CHUNK})"]


def conv_grad_input_emit(n, ctx):
    dy, w = n.inputs
    dx = n.outputs[0]
    gm = _conv_geom(n, ctx, dx, dy, w.shape[2:])
    dcols = ctx.scratch((f"(({gm.B} + {DX_CHUNK - 1}) // {DX_CHUNK})", gm.CKK, gm.P), "float32")
    return [f"conv_grad_input({ctx.name(dy)}, {ctx.name(w)}, {ctx.name(dx)}, {dcols}, "
            f"{gm.array(ctx)}, {DX_CHUNK})"]


def _pool_geom(n, ctx, x, y):
    return _Geom(ctx.shape(x), ctx.shape(y), n.attrs["size"], n.attrs["stride"],
                 ((0, 0),) * (len(x.shape) - 2))


def pool_emit(kind: str):
    def emit(n, ctx):
        x, y = n.inputs[0], n.outputs[0]
        gm = _pool_geom(n, ctx, x, y)
        return [f"{kind}pool_forward({ctx.name(x)}, {ctx.name(y)}, {gm.array(ctx)})"]
    return emit


def maxpool_grad_emit(n, ctx):
    """maxpool_grad, or maxpool_relu_grad (x is a ReLU's output whose derivative is folded
    in by lower/cpu/passes/epilogue.py)."""
    x, dy = n.inputs
    dx = n.outputs[0]
    gm = _pool_geom(n, ctx, x, dy)
    return [f"maxpool_backward({ctx.name(x)}, {ctx.name(dy)}, {ctx.name(dx)}, "
            f"{gm.array(ctx)}, {n.op == 'maxpool_relu_grad'})"]


def avgpool_grad_emit(n, ctx):
    dy, dx = n.inputs[0], n.outputs[0]
    gm = _pool_geom(n, ctx, dx, dy)
    return [f"avgpool_backward({ctx.name(dy)}, {ctx.name(dx)}, {gm.array(ctx)})"]


emitter("conv")(conv_emit)
library("conv")(library_source)
emitter("conv_grad_input")(conv_grad_input_emit)
emitter("conv_grad_weight")(conv_grad_weight_emit)
emitter("maxpool")(pool_emit("max"))
emitter("maxpool_grad")(maxpool_grad_emit)
emitter("avgpool")(pool_emit("avg"))
emitter("avgpool_grad")(avgpool_grad_emit)
