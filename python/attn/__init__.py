"""attn: fused attention and loss reductions, compiled through MLIR.

    >>> import numpy as np, attn
    >>> x = np.random.rand(4, 1000).astype(np.float32)
    >>> attn.ops.softmax(x).sum(axis=-1)          # compiled once, cached
    >>> kernel = attn.compile(open("model.mlir").read())
    >>> kernel(x)                                 # any attn program
    >>> print(attn.lower(source, to="fused"))     # the IR at a level
"""

from ._attn_core import CompileError, buffer_cache_bytes, trim_buffer_cache
from .arrays import aligned, empty
from .compiler import LEVELS, Kernel, compile, lower
from . import ops

__all__ = ["CompileError", "Kernel", "LEVELS", "aligned", "buffer_cache_bytes",
           "compile", "empty", "lower", "ops", "trim_buffer_cache"]
__version__ = "0.1.0"
