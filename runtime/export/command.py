"""`recipec export MODEL --format onnx|npz|safetensors -o OUT`: written to a temporary file
and renamed, so OUT is the old file or the whole new one, never a part."""
from __future__ import annotations

import sys
from pathlib import Path

FORMATS = ("onnx", "npz", "safetensors")


def export_command(args) -> int:
    import io

    import numpy as np

    from ..checkpoint import write_bytes_atomic
    from ..model import load_model, resolve_model

    model = load_model(resolve_model(args.model, getattr(args, "runs", None)))
    out = Path(args.output or f"{model.recipe.name}.{args.format}")
    if not out.parent.exists():
        print(f"recipec: error: -o {out}: the folder {out.parent} does not exist",
              file=sys.stderr)
        return 2
    if getattr(args, "int8", False) and args.format != "onnx":
        print("recipec: error: --int8 is an ONNX export (the QDQ form); npz and safetensors "
              "write the float32 tensors", file=sys.stderr)
        return 2
    if args.format == "onnx":
        import importlib.util
        if importlib.util.find_spec("onnx") is None:
            print("recipec: error: --format onnx needs the onnx package: pip install "
                  "'recipec[export]'", file=sys.stderr)
            return 2
        from .onnx_model import onnx_model
        blob = onnx_model(model, int8=getattr(args, "int8", False)).SerializeToString()
    else:
        state = model.program.executable.state()
        tensors = {t.name: np.ascontiguousarray(state[t.name])
                   for t in model.program.executable.tensors if t.role in ("param", "stat")}
        if args.format == "npz":
            buffer = io.BytesIO()
            np.savez(buffer, **tensors)          # arrays only: np.load(allow_pickle=False)
            blob = buffer.getvalue()
        else:
            from safetensors.numpy import save
            blob = save(tensors, metadata={"recipe": model.recipe.name})
    write_bytes_atomic(out, blob)
    print(f"{out}: {args.format}, {len(blob):,} bytes", file=sys.stderr)
    return 0
