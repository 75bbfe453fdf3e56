"""recipec's own cache of compiled C entry points: machine code loaded without Numba's dispatcher.

Why: loading a function from Numba's cache goes through its dispatcher, which first installs
every typing and lowering registry Numba has, imports scipy.linalg among them: 0.26 s of the
0.75-1.1 s a cached recipe took to start (measured in new processes). The code itself loads in
milliseconds. So every C entry point (lower/cpu/entry.py: the shared library's kernels, and each
recipe's train_chunk and predict_chunk) is compiled once with `numba.cfunc` and its object
code, the form Numba's own cache stores, is kept here; a later process hands it to the JIT
directly, after only what the code needs at run time: the target context's helper symbols,
the NRT allocator and the threading layer.

Files: `<module folder>/machine_code/<module>.<name>.<host>.bin`, where `host` hashes the
numba, llvmlite and Python versions and the CPU's name and features (code compiled for one
machine never runs on another). Format: a magic line, a JSON header line (library name,
symbol, sizes, sha256 of the payload, and what the code is for: the module's name, which holds
the hash of its source, the entry's name and the host), then the object code and the library's
bitcode. Written to a temporary file, then renamed. A file that is short, damaged, from another
format, or another entry's, module's or machine's (copied or renamed into this one's place) is
ignored and the entry compiled again: the checksum keeps damaged code away from the JIT, the
header keeps code of another signature from being called with this one's arguments. (This
guards against damage and mix-ups; whoever can write the cache can write a matching header.)
"""
from __future__ import annotations

import ctypes
import hashlib
import json
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

# how arrays cross a C entry point: the kinds of its parameters, and the rank of a flat one
DTYPES = {"f32": "float32", "f64": "float64", "i64": "int64", "i32": "int32", "i8": "int8"}
FLAT = -1       # the rank of an f32[*] parameter

MAGIC = b"recipec machine code 1\n"

_KEEP: list = []     # compiled functions and loaded libraries: LLVM holds their code


@lru_cache(maxsize=1)
def _host() -> str:
    import llvmlite
    import llvmlite.binding as llvm
    import numba

    facts = [numba.__version__, llvmlite.__version__, sys.version.split()[0],
             llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()]
    return hashlib.sha256("\n".join(facts).encode()).hexdigest()[:16]


def path(module_file: str, name: str) -> Path:
    module = Path(module_file)
    return module.parent / "machine_code" / f"{module.stem}.{name}.{_host()}.bin"


def _identity(module_file: str, name: str) -> list[str]:
    """What a file's code is for, written in its header and checked on loading."""
    return [Path(module_file).stem, name, _host()]


def cached(module_file: str, name: str) -> bool:
    return path(module_file, name).exists()


@lru_cache(maxsize=1)
def _codegen():
    """Numba's JIT, ready to run loaded code: the target context (its init registers the
    helper functions compiled code calls), the NRT allocator and the threading layer. Not
    `refresh()`, which installs the registries only compiling needs."""
    from numba.core.registry import cpu_target
    from numba.core.runtime import rtsys
    from numba.np.ufunc.parallel import _launch_threads

    context = cpu_target.target_context
    rtsys.initialize(context)
    _launch_threads()
    return context.codegen()


def load(module_file: str, name: str) -> int | None:
    """The address of `name`'s entry point from the cache, or None when it holds no usable
    copy."""
    file = path(module_file, name)
    try:
        data = file.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(MAGIC):
            return None
        end = data.index(b"\n", len(MAGIC))
        header = json.loads(data[len(MAGIC):end])
        if header.get("for") != _identity(module_file, name):
            return None
        payload = data[end + 1:]
        if len(payload) != header["object"] + header["bitcode"] or \
                hashlib.sha256(payload).hexdigest() != header["sha256"]:
            return None
        obj, bitcode = payload[:header["object"]], payload[header["object"]:]
        library = _codegen().unserialize_library(
            (header["library"], "object", (obj, bitcode or None)))
        found = library.get_pointer_to_function(header["symbol"])
    except Exception:       # noqa: BLE001 - whatever a foreign or damaged file does, compile
        return None
    _KEEP.append(library)
    return found


def compile_and_save(module_file: str, name: str, function, signature, parallel) -> int:
    """Compile `function` as a C entry point of `signature`, keep its machine code, return its
    address."""
    from numba import cfunc

    entry = cfunc(signature, parallel=parallel, error_model="numpy")(function)
    _KEEP.append(entry)
    try:        # Numba's own cache format (its `_library` is not public API)
        library, _, (obj, bitcode) = entry._library.serialize_using_object_code()
    except (AttributeError, TypeError, ValueError):
        return entry.address        # works; only the next process compiles it again
    bitcode = bitcode or b""
    header = {"library": library, "symbol": entry.native_name, "object": len(obj),
              "bitcode": len(bitcode), "sha256": hashlib.sha256(obj + bitcode).hexdigest(),
              "for": _identity(module_file, name)}
    file = path(module_file, name)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
    except OSError:             # a read-only cache: this process runs it, the next compiles
        return entry.address
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(MAGIC + json.dumps(header).encode() + b"\n" + obj + bitcode)
        os.replace(tmp, file)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
    return entry.address


def address(module_file: str, name: str, function, signature, parallel) -> tuple[int, bool]:
    """(address of `name`'s entry point, whether it came from the cache): loaded, else
    compiled now and kept there."""
    found = load(module_file, name)
    if found is not None:
        return found, True
    return compile_and_save(module_file, name, function, signature, parallel), False


_CTYPES = {"int": ctypes.c_int64, "bool": ctypes.c_int64, "f32": ctypes.c_float,
           "f64": ctypes.c_double}


class Entry:
    """A Python-callable C entry point taking numpy arrays: each array crosses as its data
    pointer and shape (after a dtype, rank and contiguity check, so a wrong argument is an
    error, not a crash). Loaded (or compiled) at the first call; `from_cache` says which."""

    def __init__(self, module_file: str, name: str, function, signature, parallel,
                 params: list[tuple[str, str, int]]):
        self.name = name
        self._where = (module_file, name, function, signature, parallel)
        self._params = params
        self._function = None
        self.from_cache: bool | None = None

    def resolve(self):
        if self._function is None:
            entry_point, self.from_cache = address(*self._where)
            types = []
            for _, kind, rank in self._params:
                types += ([ctypes.c_int64] * (1 + (1 if rank == FLAT else rank)) if rank
                          else [_CTYPES[kind]])
            self._function = ctypes.CFUNCTYPE(None, *types)(entry_point)
        return self._function

    def __call__(self, *args):
        function = self.resolve()
        if len(args) != len(self._params):
            raise TypeError(f"{self.name}() takes {len(self._params)} arguments, "
                            f"got {len(args)}")
        flat = []
        for (pname, kind, rank), a in zip(self._params, args):
            if not rank:        # numpy scalars too: ctypes takes Python numbers only
                flat.append(float(a) if kind in ("f32", "f64") else int(a))
                continue
            if a.dtype != DTYPES[kind] or (rank != FLAT and a.ndim != rank) or \
                    not a.flags.c_contiguous:
                raise TypeError(f"{self.name}: {pname} must be a C-contiguous {DTYPES[kind]} "
                                f"array of rank {rank}, got {a.dtype} {a.shape}")
            flat.append(a.__array_interface__["data"][0])   # (a.ctypes runs Python code)
            flat.extend((a.size,) if rank == FLAT else a.shape)
        function(*flat)
