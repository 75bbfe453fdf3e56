"""C entry points for the shared library's big kernels, so recipes link none of their code.

Why: when a Numba function calls another @njit function, Numba links the callee's LLVM module
into the caller's and re-optimises and re-generates machine code for all of it. Every recipe's
`train_chunk` recompiled the convolution, pooling, BLAS-splitting and optimizer kernels it
called, with their parallel regions: measured on the benchmark convnet, 6.7 of its 8.8 s of
cold compile with every one of its own loops serial.

How: each exported kernel `name` is written as `name_impl` (decorated IMPL: inlined into its
caller at Numba's IR level, never compiled on its own) and exported three ways:
  _c_name   a C-callable wrapper (`numba.cfunc`, parallel as the library is): pointers and
            sizes in, arrays rebuilt with `carray`, then `name_impl(...)`, inlined. Loaded from
            recipec's machine-code cache (machine_code.py), or compiled into it, only when a
            kernel module asks for it with `require(...)`, which also registers its address
            with LLVM under the symbol `<library module>__name`. (With a separately compiled
            impl, LLVM optimised and generated each kernel twice: once alone, once linked into
            its wrapper.)
  _x_name   that symbol declared as a Numba `ExternalFunction`, as lower/cpu/cblas.py declares sgemm.
  name      what the kernels call: a tiny @njit shim passing each array's data pointer and
            shape to `_x_name`. Only the shim is linked into a recipe's kernels.
The recipe's compiled code names the symbol, never an address, so it stays cacheable; a kernel
module calls `require` for everything it uses before any of its functions is compiled or
loaded (MCJIT resolves the symbols then). A recipe's own kernels are C entry points too
(`export_python`): Python calls them through machine_code.Entry, so a cached recipe starts
without Numba's dispatcher.

Parameters are written `name: kind`, kind one of f32[r], f64[r], i64[r], i32[r], i8[r]
(C-contiguous arrays of rank r), f32[*] (a C-contiguous array of any rank, which `name_impl` receives flat: the caller
needs no reshape, see lower/views.py), int, f32, f64, bool. Pointers cross as int64, exactly as
the C calling conventions of x86-64 and AArch64 pass `float *`. A shim refuses a non-contiguous
array (ValueError); an exception inside a C entry could not reach Python.
"""
from __future__ import annotations

import re

from .machine_code import DTYPES, FLAT

# the decorator of every `name_impl`
IMPL = "@njit(inline='always')"

_SCALARS = {"int": "types.int64", "f32": "types.float32", "f64": "types.float64",
            "bool": "types.int64"}

_RUNTIME = '''
import llvmlite.binding as _llvm
from numba import carray as _carray, types
from numba.core.extending import intrinsic as _intrinsic
from recipec.compiler.lower.cpu import machine_code as _machine_code


def _pointer_to(dtype):
    @_intrinsic
    def cast(typingctx, address):
        pointer = types.CPointer(dtype)

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], context.get_value_type(pointer))
        return pointer(types.int64), codegen
    return cast


@njit
def _keep_stores(array):
    """Does nothing. Every C wrapper calls it on each array it rebuilt, after the work: Numba's
    parfor pass drops the stores of a prange loop into an array that is neither a function
    argument nor used after the loop, which a `carray` is not (measured: a prange loop scaling
    a carray'd array left it unchanged). The call makes each array live to the end."""


_as_float32 = _pointer_to(types.float32)
_as_float64 = _pointer_to(types.float64)
_as_int64 = _pointer_to(types.int64)
_as_int32 = _pointer_to(types.int32)        # an int8 model's sums (ops/quantize.py)
_as_int8 = _pointer_to(types.int8)          # and its weights

_ENTRIES = {}     # name -> (python function, C signature) of every exported kernel
_LOADED = {}      # name -> address of its C entry point


def _load(name):
    function, signature = _ENTRIES[name]
    address, _ = _machine_code.address(__file__, name, function, signature, _PARALLEL)
    _llvm.add_symbol(f"{__name__}__{name}", address)
    _LOADED[name] = address


def require(*names):
    """Load (or compile) and register the C entry points of `names`; a kernel
    module calls this before any of its functions is compiled or loaded. When several are not
    cached yet, a helper process compiles every other one meanwhile (entry.compile_elsewhere)."""
    from numba.np.ufunc.parallel import _launch_threads
    from recipec.compiler.lower.cpu import helper as _helper
    from recipec.compiler.lower.cpu.entry import compile_elsewhere

    _launch_threads()       # cached parallel code links against the threading layer
    missing = [name for name in names if name not in _LOADED]
    helper, theirs = compile_elsewhere(__file__, missing)
    try:
        for name in missing:
            if name not in theirs:
                _load(name)
    finally:
        _helper.finish(helper)
    for name in theirs:     # from the cache now (or compiled here, if the helper failed)
        _load(name)
'''




def compile_elsewhere(library_file: str, names: list[str]):
    """(helper process, the names it compiles): every other entry of `names` not cached yet,
    compiled by the helper process (helper.py) into the shared cache while this process
    compiles the rest; (None, []) with one core or fewer than two to compile."""
    from . import helper

    todo = [n for n in names if not helper.cached(library_file, n)]
    if len(todo) < 2:
        return None, []
    theirs = todo[1::2]
    process = helper.start([library_file], theirs)
    return (process, theirs) if process is not None else (None, [])


def runtime(parallel: bool) -> str:
    """The library's entry-point machinery; its C entries are compiled parallel or not."""
    from .njit_options import parallel_option

    return f"\n_PARALLEL = {parallel_option(parallel)}\n" + _RUNTIME


def _params(spec: str) -> list[tuple[str, str, int]]:
    """'x: f32[4], g: f32[*], ta: bool' -> [('x', 'f32', 4), ('g', 'f32', FLAT), ('ta', 'bool', 0)]"""
    out = []
    for item in spec.split(","):
        name, kind = (s.strip() for s in item.split(":"))
        m = re.fullmatch(r"(\w+)\[(\d|\*)\]", kind)
        if m:
            out.append((name, m.group(1), FLAT if m.group(2) == "*" else int(m.group(2))))
        else:
            if kind not in _SCALARS:
                raise ValueError(f"unknown parameter kind {kind!r}")
            out.append((name, kind, 0))
    return out


def _wrapper(name: str, params, body: list[str] | None = None) -> tuple[list[str], str]:
    """Source of `_c_name`, the C-callable wrapper rebuilding the arrays, then calling
    `name_impl` or running `body`, and its Numba signature."""
    c_args, c_types, rebuild, impl_args = [], [], [], []
    for pname, kind, rank in params:
        if rank:
            dims = [f"{pname}_{k}" for k in range(max(rank, 1))]
            c_args += [f"{pname}_p", *dims]
            c_types += ["types.int64"] * (len(dims) + 1)
            rebuild.append(f"    {pname} = _carray(_as_{DTYPES[kind]}({pname}_p), "
                           f"({', '.join(dims)},))")
            impl_args.append(pname)
        else:
            c_args.append(pname)
            c_types.append(_SCALARS[kind])
            impl_args.append(f"{pname} != 0" if kind == "bool" else pname)
    lines = [f"def _c_{name}({', '.join(c_args)}):", *rebuild]
    lines += (["    " + ln for ln in body] if body is not None
              else [f"    {name}_impl({', '.join(impl_args)})"])
    lines += [f"    _keep_stores({pname})" for pname, _, rank in params if rank]
    return lines, f"types.void({', '.join(c_types)})"


def export(name: str, spec: str) -> str:
    """Source of `name`'s C entry, its ExternalFunction and the shim kernels call; the module
    must define `name_impl` with the parameters of `spec`."""
    params = _params(spec)
    wrapper, signature = _wrapper(name, params)
    shim_args, checks = [], []
    for pname, kind, rank in params:
        if rank:
            sizes = ([f"{pname}.size"] if rank == FLAT
                     else [f"{pname}.shape[{k}]" for k in range(rank)])
            shim_args += [f"{pname}.ctypes.data", *sizes]
            checks.append(f"    if not {pname}.flags.c_contiguous:\n"
                          f"        raise ValueError(\"{name}: {pname} must be C-contiguous\")")
        else:
            cast = {"bool": "np.int64", "int": "np.int64", "f32": "np.float32",
                    "f64": "np.float64"}[kind]
            shim_args.append(f"{cast}({pname})")
    names = ", ".join(p[0] for p in params)
    return "\n".join([
        *wrapper,
        "",
        "",
        f"_ENTRIES[{name!r}] = (_c_{name}, {signature})",
        f"_x_{name} = types.ExternalFunction(__name__ + {'__' + name!r}, {signature})",
        "",
        "",
        "@njit(cache=True)",
        f"def {name}({names}):",
        *checks,
        f"    _x_{name}({', '.join(shim_args)})",
        ""])


def export_python(name: str, spec: str, parallel: str, body: list[str]) -> str:
    """Source of `name`, a C entry point Python calls with numpy arrays (a recipe's kernels:
    machine_code.Entry), running `body` over the parameters of `spec`. The body is written
    into the wrapper itself: a call passing more than 30 arguments compiles to `f(*args)` in
    CPython 3.11, which Numba cannot inline. `parallel`: the cfunc's parallel option
    (njit_options.parallel_option)."""
    params = _params(spec)
    wrapper, signature = _wrapper(name, params, body)
    return "\n".join([
        *wrapper,
        "",
        "",
        f"{name} = _machine_code.Entry(__file__, {name!r}, _c_{name}, {signature},",
        f"                             {parallel}, {params!r})",
        ""])


def exported(library_source: str) -> list[str]:
    """Names of the kernels a library source exports."""
    return re.findall(r"^_ENTRIES\['(\w+)'\]", library_source, flags=re.M)


def used(names: list[str], kernel_source: str) -> list[str]:
    """The exported names a kernel module's source calls."""
    called = set(re.findall(r"(?<![\w.])(\w+)\(", kernel_source))
    return [n for n in names if n in called]
