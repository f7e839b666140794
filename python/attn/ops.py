"""The attn ops on numpy arrays. Each call builds the attn IR for its shapes,
dtype and attributes, compiles it once (cached by that signature) and runs
it."""

import functools

import numpy as np

from . import compiler

_FLOAT_TYPES = {
    np.dtype(np.float16): "f16",
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
}
_INDEX_TYPES = {np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}


def _check_array(x, name, types, kind):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array, whose mask would be ignored: "
                        f"pass {name}.filled(value)")
    if x.dtype not in types:
        allowed = ", ".join(str(t) for t in types)
        raise TypeError(f"{name} must be a {kind} array ({allowed}), got {x.dtype}")
    return types[x.dtype]


def _tensor(shape, elt):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elt + ">"


def _check_rank(x, name, least):
    if x.ndim < least:
        raise ValueError(f"{name} must have rank >= {least}, got shape {x.shape}")


def _check_mask(mask, scores_shape, scores_name, elt):
    """An additive mask [M, N] or of the scores' shape."""
    if _check_array(mask, "mask", _FLOAT_TYPES, "floating-point") != elt:
        raise TypeError(f"mask must have the dtype of {scores_name}, got {mask.dtype}")
    if mask.ndim not in (2, len(scores_shape)) or mask.ndim > len(scores_shape):
        raise ValueError(
            f"mask must have shape [M, N] or the shape of {scores_name} "
            f"{tuple(scores_shape)}, got {mask.shape}")
    if tuple(mask.shape) != tuple(scores_shape[len(scores_shape) - mask.ndim:]):
        raise ValueError(
            f"mask shape {mask.shape} does not match the trailing dimensions "
            f"of {scores_name} {tuple(scores_shape)}")


# Threads for every op (see set_threads).
_threads = 1


def set_threads(n):
    """Run the ops on `n` threads (OpenMP) from now on; 1 by default."""
    global _threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive integer, got {n!r}")
    _threads = n


def _run(op, args, attrs, result_shape, operand_names, options=()):
    """Builds `%r = attn.<op> <operands> <attrs> : <types>` in @<op>, compiles
    (cached) and runs it."""
    signature = tuple((a.shape, a.dtype) for a in args)
    kernel = _kernel(op, attrs, tuple(result_shape), operand_names,
                     tuple(options), _threads, signature)
    return kernel(*args)


@functools.lru_cache(maxsize=256)
def _kernel(op, attrs, result_shape, operand_names, options, threads,
            signature):
    """The compiled kernel of one call signature (op, attributes, operand
    shapes and dtypes, pipeline options, threads): the IR text is only built
    and compiled the first time."""
    elts = [_FLOAT_TYPES.get(dtype) or _INDEX_TYPES[dtype] for _, dtype in signature]
    types = [_tensor(shape, e) for (shape, _), e in zip(signature, elts)]
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(types))
    result_type = _tensor(result_shape, elts[0])
    operands = operand_names(["%a" + str(i) for i in range(len(signature))])
    source = (
        f"func.func @{op}({params}) -> {result_type} {{\n"
        f"  %r = attn.{op} {operands}{attrs} : {', '.join(types)}\n"
        f"  return %r : {result_type}\n}}\n")
    return compiler.compile(source, threads=threads, **dict(options))


def _masked_operands(names):
    # x [, mask]
    return names[0] + (f" mask {names[1]}" if len(names) > 1 else "")


def _row_attrs(causal, masked_rows=None):
    attrs = " causal" if causal else ""
    if masked_rows is not None:
        if masked_rows not in ("zero", "nan"):
            raise ValueError(f"masked_rows must be 'zero' or 'nan', got {masked_rows!r}")
        if masked_rows != "zero":
            attrs += f" masked_rows = {masked_rows}"
    return attrs


def _row_op(op, x, mask, causal, masked_rows=None, reduce=False):
    elt = _check_array(x, "x", _FLOAT_TYPES, "floating-point")
    _check_rank(x, "x", 2 if causal else 1)
    args = [x]
    if mask is not None:
        _check_mask(mask, x.shape, "x", elt)
        args.append(mask)
    shape = x.shape[:-1] if reduce else x.shape
    return _run(op, args, _row_attrs(causal, masked_rows), shape, _masked_operands)


def masked_max(scores, mask):
    """max_j(scores[..., i, j] + mask[i, j]); mask [M, N] or scores' shape."""
    elt = _check_array(scores, "scores", _FLOAT_TYPES, "floating-point")
    _check_rank(scores, "scores", 1)
    _check_mask(mask, scores.shape, "scores", elt)
    return _run("masked_max", [scores, mask], "", scores.shape[:-1], ", ".join)


def sum_sq(x):
    """sum_j x[..., j]^2."""
    _check_array(x, "x", _FLOAT_TYPES, "floating-point")
    _check_rank(x, "x", 1)
    return _run("sum_sq", [x], "", x.shape[:-1], ", ".join)


def xent(p, q):
    """-sum_c q log p, with 0 log 0 = 0."""
    elt = _check_array(p, "p", _FLOAT_TYPES, "floating-point")
    if _check_array(q, "q", _FLOAT_TYPES, "floating-point") != elt:
        raise TypeError(f"q must have the dtype of p ({p.dtype}), got {q.dtype}")
    _check_rank(p, "p", 1)
    if q.shape != p.shape:
        raise ValueError(f"q must have the shape of p {p.shape}, got {q.shape}")
    return _run("xent", [p, q], "", p.shape[:-1], ", ".join)


def softmax(x, mask=None, causal=False, masked_rows="zero"):
    """Stable softmax over the last dimension (see attn.softmax)."""
    return _row_op("softmax", x, mask, causal, masked_rows)


def logsumexp(x, mask=None, causal=False):
    """Stable log-sum-exp over the last dimension."""
    return _row_op("logsumexp", x, mask, causal, reduce=True)


def log_softmax(x, mask=None, causal=False):
    """Stable log-softmax over the last dimension."""
    return _row_op("log_softmax", x, mask, causal)


def xent_logits(logits, target, ignore_index=-100, reduction="mean"):
    """Cross-entropy of logits [..., C] against integer targets [...]."""
    _check_array(logits, "logits", _FLOAT_TYPES, "floating-point")
    _check_array(target, "target", _INDEX_TYPES, "integer")
    _check_rank(logits, "logits", 1)
    if target.shape != logits.shape[:-1]:
        raise ValueError(
            f"target must have shape {logits.shape[:-1]} (logits without the "
            f"class dimension), got {target.shape}")
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"reduction must be 'none', 'sum' or 'mean', got {reduction!r}")
    if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
        raise TypeError(f"ignore_index must be an integer, got {type(ignore_index).__name__}")
    info = np.iinfo(target.dtype)
    if not info.min <= ignore_index <= info.max:
        raise ValueError(
            f"ignore_index {ignore_index} does not fit the target dtype {target.dtype}")
    attrs = f" ignore_index = {int(ignore_index)}" if ignore_index != -100 else ""
    if reduction != "mean":
        attrs += f" reduction = {reduction}"
    shape = target.shape if reduction == "none" else ()
    return _run("xent_logits", [logits, target], attrs, shape, ", ".join)


def attention(q, k, v, mask=None, causal=False, scale=None, masked_rows="zero",
              lowering=None, block_q=None, block_kv=None):
    """softmax(q kᵀ scale + mask) v with grouped-query heads (see
    attn.attention): q [B, Hq, M, D], k [B, Hkv, N, D], v [B, Hkv, N, Dv] (or
    without B, or without B and H)."""
    elt = _check_array(q, "q", _FLOAT_TYPES, "floating-point")
    for name, x in (("k", k), ("v", v)):
        if _check_array(x, name, _FLOAT_TYPES, "floating-point") != elt:
            raise TypeError(f"{name} must have the dtype of q ({q.dtype}), got {x.dtype}")
    rank = q.ndim
    if rank not in (2, 3, 4) or k.ndim != rank or v.ndim != rank:
        raise ValueError(
            "q, k and v must all have rank 2 ([S, D]), 3 ([H, S, D]) or 4 "
            f"([B, H, S, D]), got shapes {q.shape}, {k.shape}, {v.shape}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have the head dimension of q ({q.shape[-1]}), got {k.shape}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have the keys of k ({k.shape[-2]}), got {v.shape}")
    if rank == 4 and not (q.shape[0] == k.shape[0] == v.shape[0]):
        raise ValueError(f"q, k and v must have one batch size, got {q.shape}, {k.shape}, {v.shape}")
    if rank >= 3:
        hq, hkv = q.shape[-3], k.shape[-3]
        if v.shape[-3] != hkv:
            raise ValueError(f"v must have the heads of k ({hkv}), got {v.shape}")
        if hkv == 0 or hq % hkv:
            raise ValueError(f"the query heads ({hq}) must be a multiple of the key/value heads ({hkv})")
    scores = q.shape[:-1] + (k.shape[-2],)
    args = [q, k, v]
    if mask is not None:
        if _check_array(mask, "mask", _FLOAT_TYPES, "floating-point") != elt:
            raise TypeError(f"mask must have the dtype of q ({q.dtype}), got {mask.dtype}")
        try:
            if mask.ndim > len(scores):
                raise ValueError
            np.broadcast_shapes(mask.shape, scores)
            if any(m not in (1, s) for m, s in zip(mask.shape[::-1], scores[::-1])):
                raise ValueError
        except ValueError:
            raise ValueError(
                f"mask shape {mask.shape} does not broadcast to the scores {scores}") from None
        args.append(mask)
    attrs = ""
    if scale is not None:
        scale = float(scale)
        if not np.isfinite(scale):
            raise ValueError(f"scale must be finite, got {scale}")
        # The scores are scaled in float32 (float64 for float64 inputs).
        compute = np.float64 if q.dtype == np.float64 else np.float32
        with np.errstate(over="ignore"):
            if not np.isfinite(np.asarray(scale, compute)):
                raise ValueError(
                    f"scale must be finite in {np.dtype(compute)}, got {scale}")
        attrs += f" scale = {scale:.17e}"
    attrs += _row_attrs(causal, masked_rows)
    options = tuple(sorted(compiler._pipeline_options(
        attention=lowering, block_q=block_q, block_kv=block_kv).items()))
    shape = q.shape[:-1] + (v.shape[-1],)

    return _run("attention", args, attrs, shape, _attention_operands,
                [(k.replace("-", "_"), v) for k, v in options])


def _attention_operands(names):
    # q, k, v [, mask]
    return ", ".join(names[:3]) + (f" mask {names[3]}" if len(names) > 3 else "")
