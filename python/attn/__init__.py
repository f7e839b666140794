"""attn: fused attention and loss reductions, compiled through MLIR.

    >>> import numpy as np, attn
    >>> x = np.random.rand(4, 1000).astype(np.float32)
    >>> attn.ops.softmax(x).sum(axis=-1)          # compiled once, cached
    >>> kernel = attn.compile(open("model.mlir").read())
    >>> kernel(x)                                 # any attn program
    >>> print(attn.lower(source, to="fused"))     # the IR at a level
"""

from ._attn_core import CompileError
from .compiler import LEVELS, Kernel, compile, lower
from . import ops

__all__ = ["CompileError", "Kernel", "LEVELS", "compile", "lower", "ops"]
__version__ = "0.1.0"
