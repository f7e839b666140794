"""attn: fused attention and loss reductions, compiled through MLIR.

    >>> import numpy as np, attn
    >>> x = np.random.rand(4, 1000).astype(np.float32)
    >>> attn.ops.softmax(x).sum(axis=-1)          # compiled once, cached
    >>> kernel = attn.compile(open("model.mlir").read())
    >>> kernel(x)                                 # any attn program
    >>> print(attn.lower(source, to="fused"))     # the IR at a level
    >>> kernel.save("k.attnobj"); attn.load("k.attnobj")   # ahead of time
    >>> attn.cross_entropy(logits, target, label_smoothing=0.1)  # F.cross_entropy's
    >>> attn.linear_cross_entropy(hidden, classifier, target)   # no [N, V] logits
"""

from ._attn_core import CompileError, buffer_cache_bytes, trim_buffer_cache
from .arrays import aligned, empty
from .compiler import LEVELS, Kernel, clear_cache, compile, load, lower
from .functional import (cross_entropy, cross_entropy_backward, linear_cross_entropy,
                         linear_cross_entropy_backward)
from .ops import kernel_cache_info, set_kernel_cache_limits
from . import cache, ops

__all__ = ["CompileError", "Kernel", "LEVELS", "aligned", "buffer_cache_bytes",
           "cache", "clear_cache", "compile", "cross_entropy", "cross_entropy_backward",
           "empty", "kernel_cache_info", "linear_cross_entropy",
           "linear_cross_entropy_backward", "load", "lower", "ops",
           "set_kernel_cache_limits", "trim_buffer_cache"]
__version__ = cache.VERSION
