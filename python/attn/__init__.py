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
    >>> mask = attn.create_block_mask(lambda b, h, q, kv: q >= kv, None, None, S, S)
    >>> attn.flex_attention(q, k, v, score_mod=lambda s, b, h, q, kv: s - (q - kv),
    ...                     block_mask=mask)                # FlexAttention's
"""

from ._attn_core import CompileError, buffer_cache_bytes, trim_buffer_cache
from .arrays import aligned, empty
from .compiler import LEVELS, Kernel, clear_cache, compile, load, lower
from .flex import (BlockMask, TraceError, create_block_mask, flex_attention,
                   flex_attention_backward)
from .functional import (cross_entropy, cross_entropy_backward, linear_cross_entropy,
                         linear_cross_entropy_backward)
from .ops import kernel_cache_info, set_kernel_cache_limits
from . import cache, ops

__all__ = ["BlockMask", "CompileError", "Kernel", "LEVELS", "TraceError", "aligned",
           "buffer_cache_bytes", "cache", "clear_cache", "compile",
           "create_block_mask", "cross_entropy", "cross_entropy_backward",
           "empty", "flex_attention", "flex_attention_backward", "kernel_cache_info", "linear_cross_entropy",
           "linear_cross_entropy_backward", "load", "lower", "ops",
           "set_kernel_cache_limits", "trim_buffer_cache"]
__version__ = cache.VERSION
