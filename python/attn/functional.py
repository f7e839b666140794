"""PyTorch's loss functions on numpy arrays, with PyTorch's semantics and
layouts, computed by attn's ops (attn.ops); each with its `_backward`.

    loss = attn.cross_entropy(logits, target, label_smoothing=0.1)
    dlogits = attn.cross_entropy_backward(1.0, logits, target, label_smoothing=0.1)
"""

import numpy as np

from . import ops
from .ops import linear_cross_entropy, linear_cross_entropy_backward

__all__ = ["cross_entropy", "cross_entropy_backward", "linear_cross_entropy",
           "linear_cross_entropy_backward"]


def _classes_last(input, target):
    """`input` with its class dimension (1, or 0 for a single row [C]) moved
    last, and `target` as attn takes it: class indices [N, d1, ...] as they
    are, class probabilities (float, of input's shape) moved alike."""
    if not isinstance(input, np.ndarray) or input.ndim < 1:
        raise TypeError("input must be a numpy array of rank >= 1 ([C], [N, C] or "
                        f"[N, C, d1, ...]), got {type(input).__name__}"
                        + (f" of rank {input.ndim}" if isinstance(input, np.ndarray) else ""))
    if not isinstance(target, np.ndarray):
        raise TypeError(f"target must be a numpy array, got {type(target).__name__}")
    probabilities = target.dtype.kind == "f"
    if probabilities and target.shape != input.shape:
        raise ValueError(f"class probabilities must have the input's shape {input.shape}, "
                         f"got {target.shape}")
    if not probabilities and target.shape != input.shape[:1] + input.shape[2:] \
            and not (input.ndim == 1 and target.ndim == 0):
        raise ValueError(f"target shape {target.shape} does not match the input's "
                         f"without its class dimension "
                         f"{input.shape[:1] + input.shape[2:]}")
    if input.ndim <= 2:
        return input, target
    moved = np.ascontiguousarray(np.moveaxis(input, 1, -1))
    if probabilities:
        target = np.ascontiguousarray(np.moveaxis(target, 1, -1))
    return moved, target


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """`torch.nn.functional.cross_entropy` on numpy arrays: input [C],
    [N, C] or [N, C, d1, ...] logits (classes in dimension 1), target the
    class indices [N, d1, ...] (int32 or int64) or class probabilities of
    the input's shape; `weight` [C], `ignore_index` (indices only),
    `reduction` and `label_smoothing` as PyTorch's."""
    logits, t = _classes_last(input, target)
    return ops.xent_logits(logits, t, ignore_index=ignore_index, reduction=reduction,
                           weight=weight, label_smoothing=label_smoothing)


def cross_entropy_backward(grad, input, target, weight=None, ignore_index=-100,
                           reduction="mean", label_smoothing=0.0):
    """The gradient of `cross_entropy(input, target, ...)` with respect to
    its input (of the input's shape and layout), from `grad`, the gradient
    with respect to its loss."""
    logits, t = _classes_last(input, target)
    d = ops.xent_logits_backward(grad, logits, t, ignore_index=ignore_index,
                                 reduction=reduction, weight=weight,
                                 label_smoothing=label_smoothing)
    return d if input.ndim <= 2 else np.moveaxis(d, -1, 1)
