"""Bytecode of the kernel cache's generated modules, checked against their source and itself.

Why not Python's own `__pycache__`: a .pyc file is validated by its source's mtime and size
only (a stale or foreign .pyc carrying the right stamp is run as it is) and holds no checksum
of the code it carries, so a damaged one can run damaged code. So generated modules are never
imported through Python's pyc machinery. Their compiled code is kept in
`<module folder>/bytecode/<module>.<cache tag>.bin`: a magic line, Python's bytecode magic
number, the sha256 of the source it was compiled from, the sha256 of the marshalled code, then
that code. A file that is missing, short, damaged, from another Python or for another source is
ignored: the source is compiled again (milliseconds to a tenth of a second) and the file
rewritten (temporary file, then rename; a cache that cannot be written is only slower).
It is kept even under PYTHONDONTWRITEBYTECODE: compiling a convnet's modules from source took
0.1 s of its 0.5 s warm start.

These checks catch damage and mix-ups (an interrupted write, a copied or stale cache), not an
adversary who can write the cache: such a one can write matching checksums too.
"""
from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
import types
from pathlib import Path

MAGIC = b"recipec bytecode 1\n"


def path(module_file: str | Path) -> Path:
    module = Path(module_file)
    return module.parent / "bytecode" / f"{module.stem}.{sys.implementation.cache_tag}.bin"


def _head(source: bytes) -> bytes:
    return MAGIC + importlib.util.MAGIC_NUMBER + hashlib.sha256(source).digest()


def code_for(module_file: str | Path, source: bytes) -> types.CodeType:
    """The code object of `source` (the text of `module_file`): from the bytecode file when
    that holds this source's code intact, else compiled now and kept there."""
    file = path(module_file)
    head = _head(source)
    code = load(file, head)
    if code is None:
        code = compile(source, str(module_file), "exec", dont_inherit=True)
        save(file, head, code)
    return code


def load(file: Path, head: bytes) -> types.CodeType | None:
    try:
        data = file.read_bytes()
    except OSError:
        return None
    if not data.startswith(head) or len(data) < len(head) + 32:
        return None
    digest, body = data[len(head):len(head) + 32], data[len(head) + 32:]
    if hashlib.sha256(body).digest() != digest:
        return None
    try:
        code = marshal.loads(body)
    except Exception:       # noqa: BLE001 - intact but unreadable here: compile instead
        return None
    return code if isinstance(code, types.CodeType) else None


def save(file: Path, head: bytes, code: types.CodeType) -> None:
    body = marshal.dumps(code)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".tmp")
    except OSError:
        return              # a read-only cache: the next process compiles the source again
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(head + hashlib.sha256(body).digest() + body)
        os.replace(tmp, file)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
