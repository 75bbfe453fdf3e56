"""`view(a, shape)`: a C-contiguous array seen with another shape, for the generated kernels.

Why not `a.reshape(shape)`: Numba inlines its general reshape (the no-copy search over
strides, and the error path with its message) at every call site. A kernel has dozens of them
(flattened activations, per-channel views, the batch views of the input), and they made a large
part of its LLVM work: 50 reshapes took 1.95 s to compile, 50 views 0.5 s (measured on one
function, Numba's one-off start-up excluded). The kernels only ever view their own C-contiguous
buffers and parameters with a shape of the same size, which the compiler guarantees, so the
view needs no search and no check: it is the same data pointer with new shape and strides, and
it keeps its base alive like any Numba view.
"""
from __future__ import annotations

SOURCE = '''
from numba.core import cgutils as _cgutils
from numba.core.imputils import impl_ret_borrowed as _borrowed
from numba.np.arrayobj import make_array as _make_array, populate_array as _populate_array


@_intrinsic
def view(typingctx, a, shape):
    """`a` (C-contiguous) seen with `shape` (same size; not checked), without copying."""
    dims_types = list(shape.types) if isinstance(shape, types.BaseTuple) else [shape]
    result = types.Array(a.dtype, len(dims_types), "C")

    def codegen(context, builder, signature, args):
        source = _make_array(signature.args[0])(context, builder, args[0])
        values = (_cgutils.unpack_tuple(builder, args[1])
                  if isinstance(signature.args[1], types.BaseTuple) else [args[1]])
        dims = [context.cast(builder, v, t, types.intp) for v, t in zip(values, dims_types)]
        itemsize = context.get_constant(
            types.intp, context.get_abi_sizeof(context.get_data_type(a.dtype)))
        strides, step = [], itemsize
        for d in reversed(dims):
            strides.insert(0, step)
            step = builder.mul(step, d)
        out = _make_array(result)(context, builder)
        _populate_array(out, data=source.data, shape=dims, strides=strides, itemsize=itemsize,
                        meminfo=source.meminfo, parent=source.parent)
        return _borrowed(context, builder, result, out._getvalue())
    return result(a, shape), codegen
'''
