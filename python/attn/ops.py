"""The attn ops on numpy arrays. Each call builds the attn IR for its
signature family (rank, dtypes, attributes, options; sizes dynamic, see
_family), compiles it once (kept in memory and on disk, see attn.cache) and
runs it: a new shape of a known family costs no compilation."""

import functools

import numpy as np

from . import cache, compiler

_FLOAT_TYPES = {
    np.dtype(np.float16): "f16",
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
}
# numpy has no bfloat16: with dtype="bfloat16" an op takes and returns its
# bits, uint16 arrays (e.g. `torch_tensor.view(torch.int16).numpy()`).
_BF16_TYPES = {np.dtype(np.uint16): "bf16"}
_INDEX_TYPES = {np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}
_BOOL_TYPE = {np.dtype(np.bool_): "i1", np.dtype(np.int8): "i8"}


def _check_array(x, name, types, kind):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array, whose mask would be ignored: "
                        f"pass {name}.filled(value)")
    if x.dtype not in types:
        allowed = ", ".join("uint16 of bfloat16 bits" if types is _BF16_TYPES
                            else str(t) for t in types)
        article = "an" if kind[0] in "aeiou" else "a"
        raise TypeError(f"{name} must be {article} {kind} array ({allowed}), got {x.dtype}")
    return types[x.dtype]


def _float_types(dtype):
    """The arrays a floating-point operand may be: numpy's floats, or with
    dtype="bfloat16" the bits of bfloat16 values in uint16."""
    if dtype is None:
        return _FLOAT_TYPES
    if dtype == "bfloat16":
        return _BF16_TYPES
    raise ValueError(f"dtype must be None (the arrays' own) or 'bfloat16' "
                     f"(uint16 arrays holding bfloat16 bits), got {dtype!r}")


def _tensor(shape, elt):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elt + ">"


def _check_mask_dtype(mask, scores_name, elt, types=_FLOAT_TYPES):
    if _check_array(mask, "mask", types, "floating-point") != elt:
        raise TypeError(f"mask must have the dtype of {scores_name}, got {mask.dtype}")


# Threads for every op (see set_threads).
_threads = 1


def set_threads(n):
    """Run the ops on `n` threads (OpenMP) from now on; 1 by default."""
    global _threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a positive integer, got {n!r}")
    _threads = n


# Each op's operands in IR order: (the op's operand name, the argument's).
_OPERANDS = {
    "masked_max": [("scores", "scores"), ("mask", "mask")],
    "sum_sq": [("input", "x")],
    "xent": [("p", "p"), ("q", "q")],
    "softmax": [("input", "x"), ("mask", "mask")],
    "logsumexp": [("input", "x"), ("mask", "mask")],
    "log_softmax": [("input", "x"), ("mask", "mask")],
    "xent_logits": [("logits", "logits"), ("target", "target"), ("weight", "weight")],
    "attention": [("query", "q"), ("key", "k"), ("value", "v"), ("mask", "mask"),
                  ("alibi", "alibi_slopes")],
    # (dropout's state, when given, is the last argument: `rng` is seed, offset)
    "softmax_backward": [("grad", "grad"), ("output", "out")],
    "log_softmax_backward": [("grad", "grad"), ("output", "out")],
    "logsumexp_backward": [("grad", "grad"), ("input", "x"), ("output", "out"),
                           ("mask", "mask")],
    "sum_sq_backward": [("grad", "grad"), ("input", "x")],
    "masked_max_backward": [("grad", "grad"), ("scores", "scores"), ("mask", "mask"),
                            ("output", "out")],
    "xent_backward": [("grad", "grad"), ("p", "p"), ("q", "q")],
    "xent_logits_backward": [("grad", "grad"), ("logits", "logits"),
                             ("target", "target"), ("weight", "weight")],
    "attention_backward": [("grad", "grad_out"), ("query", "q"), ("key", "k"),
                           ("value", "v"), ("output", "out"), ("lse", "lse"),
                           ("mask", "mask"), ("alibi", "alibi_slopes")],
    "linear_xent": [("hidden", "embeddings"), ("classifier", "classifier"),
                    ("target", "targets"), ("bias", "bias"), ("weight", "weight")],
    "linear_xent_backward": [("grad", "grad"), ("hidden", "embeddings"),
                             ("classifier", "classifier"), ("target", "targets"),
                             ("lse", "lse"), ("bias", "bias"), ("weight", "weight")],
}


# Kernels of the ops, one per signature family (see _family), least
# recently used first out; `attn.set_kernel_cache_limits` bounds them.
kernel_cache = cache.KernelCache()

# Row lengths from which the softmax family's kernels take the one-pass
# online form (the pipelines' default `online-softmax-min-row`); shorter
# rows are computed one at a time, which needs a kernel of its own.
_ONLINE_MIN_ROW = 65536
_ROW_BUCKETED = {"softmax", "logsumexp", "log_softmax", "xent_logits",
                 "xent_logits_backward"}
# The argument whose rows those are, where it is not the first.
_ROW_ARGUMENT = {"xent_logits_backward": 1}


def _family(op, args, options, roles=None):
    """The shapes a kernel is compiled for and the options it is compiled
    with, from the arguments' shapes: every size is dynamic (`-1`) except
    what changes the computation or its schedule. Those are kept static:
    sizes 1 of attention's mask (they broadcast), attention's head counts (they group
    query heads onto key/value heads) and head dimensions (the contractions'
    register blocks); and bucketed: the softmax family's rows below or from
    `online-softmax-min-row`, attention's query and key blocks for fewer
    than 64 queries or keys (a decode step), a multiple of 16."""
    shapes = []
    # attention_backward's grad, q, k, v, out, lse, mask are attention's
    # q, k, v, mask with grad, out like q and lse like q's rows.
    # (`roles` says it for an attention with optional operands: m mask, s
    # ALiBi slopes.)
    if roles is None:
        roles = {"attention": "qkvm", "attention_backward": "qqkvqlm"}.get(op, "")
    for i, a in enumerate(args):
        if op.startswith("linear_xent"):
            # The features (the contractions' register blocks) stay static.
            shapes.append((-1, a.shape[1]) if a.ndim == 2 else (-1,) * a.ndim)
            continue
        role = roles[i] if i < len(roles) else ""
        if role == "c":
            # An array a flex_attention region captures: all dynamic.
            shapes.append((-1,) * a.ndim)
            continue
        if role == "b":
            # A block mask: its broadcast leading dimensions stay 1.
            shapes.append(tuple(1 if i < a.ndim - 2 and d == 1 else -1
                                for i, d in enumerate(a.shape)))
            continue
        if roles and a.dtype == np.int64:
            role = "r"  # dropout's [seed, offset]: tensor<2xi64>
        if role == "r":
            shapes.append(tuple(a.shape))
            continue
        shape = [1 if (role == "m" and d == 1) else -1 for d in a.shape]
        heads = -2 if role == "l" else -3
        if role and a.ndim >= -heads and (role != "l" or a.ndim >= 2):
            shape[heads] = a.shape[heads]  # heads (the mask's, broadcast or not)
        if role in ("q", "k", "v", "s"):
            shape[-1] = a.shape[-1]  # the head dimension; one slope per head
        shapes.append(tuple(shape))
    options = dict(options)
    # bf16 kernels depend on the host's bf16 dot product (a different
    # kernel where a test turns it off).
    if any(a.dtype == np.uint16 for a in args):
        options.setdefault("bf16_dot", compiler._HOST_BF16_DOT)
    rows = args[_ROW_ARGUMENT.get(op, 0)]
    if op in _ROW_BUCKETED and rows.ndim >= 1:
        if rows.shape[-1] < options.get("online_softmax_min_row", _ONLINE_MIN_ROW):
            options["short_dynamic_rows"] = True
    if roles and options.get("attention") != "decomposed":
        q, k = args[roles.index("q")], args[roles.index("k")]
        for name, size in (("block_q", q.shape[-2] if q.ndim >= 2 else 1),
                           ("block_kv", k.shape[-2] if k.ndim >= 2 else 1)):
            if name not in options and size < 64:
                options[name] = max(16, -(-size // 16) * 16)
    return tuple(shapes), tuple(sorted(options.items()))


def _run(op, args, attrs, operand_names, options=(), roles=None):
    """Builds `%r = attn.<op> <operands> <attrs> : <types>` in @<op> for the
    arguments' signature family, compiles it once (cached) and runs it."""
    shapes, family_options = _family(op, args, options, roles)
    key = (op, attrs, operand_names, family_options, _threads,
           tuple(zip(shapes, (a.dtype for a in args))))
    kernel = kernel_cache.get(key)
    if kernel is None:
        try:
            kernel = _kernel(op, attrs, operand_names, family_options, _threads,
                             key[-1])
        except ValueError:
            # A broken size rule: said with the arguments' own sizes.
            _check_static(op, attrs, operand_names, args)
            raise
        kernel_cache.put(key, kernel)
    try:
        return kernel(*args)
    except ValueError as e:
        if "runtime check failed" not in str(e):
            raise
        _check_static(op, attrs, operand_names, args)
        raise


def _check_static(op, attrs, operand_names, args):
    """Raises the verifier's ValueError for the arguments' exact shapes, if
    a size rule rejects them (the kernels check dynamic sizes at run time,
    with the same rules and less specific messages)."""
    _op_text(op, attrs, operand_names, [(a.shape, a.dtype) for a in args])


def _op_text(op, attrs, operand_names, signature):
    """The function parameters, the op's line and its result types for
    operands of `signature` ((shape, dtype) pairs; -1 sizes dynamic); the
    verifier's diagnostic, as a ValueError naming the arguments, if a size
    rule is broken (the rules live in the compiler alone)."""
    elts = [_FLOAT_TYPES.get(dtype) or _BF16_TYPES.get(dtype)
            or _INDEX_TYPES.get(dtype) or _BOOL_TYPE[dtype]
            for _, dtype in signature]
    types = [_tensor(["?" if d < 0 else d for d in shape], e)
             for (shape, _), e in zip(signature, elts)]
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(types))
    operands = operand_names(["%a" + str(i) for i in range(len(signature))])
    # Optional operands after the fixed ones name their kind in the types.
    type_text = getattr(operand_names, "types", ", ".join)
    # Dropout's state has its one type, which the op's syntax leaves out.
    op_types = [t for (_, dtype), t in zip(signature, types)
                if not (op.startswith("attention") and dtype == np.int64)]
    probe_line = f"attn.{op} {operands}{attrs} : {type_text(op_types)}"
    probe = f"func.func @probe({params}) {{\n  {probe_line}\n  return\n}}\n"
    try:
        results = compiler._attn_core.infer_result_types(probe)
    except compiler._attn_core.CompileError as e:
        # The verifier's error, without its location and notes.
        lines = str(e).split("\n")
        error = next((l for l in lines if ": error: " in l), lines[0])
        message = error.split(": error: ", 1)[-1]
        pairs = getattr(operand_names, "pairs", None) or _OPERANDS[op][:len(signature)]
        names = ", ".join(f"{ir} is {py}" for ir, py in pairs)
        raise ValueError(f"attn.ops.{op}: {message} ({names})") from None
    results = list(results)
    count = f":{len(results)}" if len(results) > 1 else ""
    return params, f"%r{count} = {probe_line}", results


def _kernel(op, attrs, operand_names, options, threads, signature):
    """The compiled kernel of one signature family (op, attributes, operand
    shapes with dynamic sizes and dtypes, pipeline options, threads)."""
    params, line, results = _op_text(op, attrs, operand_names, signature)
    names = ["%r"] if len(results) == 1 else [f"%r#{i}" for i in range(len(results))]
    source = (
        f"func.func @{op}({params}) -> ({', '.join(results)}) {{\n"
        f"  {line}\n"
        f"  return {', '.join(names)} : {', '.join(results)}\n}}\n")
    return compiler.compile(source, threads=threads, **dict(options))


def set_kernel_cache_limits(max_entries=None, max_bytes=None):
    """Keeps at most `max_entries` compiled kernels of the ops in memory
    (default 128) and at most `max_bytes` of their code (default 256 MiB),
    least recently used first out."""
    kernel_cache.set_limits(max_entries, max_bytes)


def kernel_cache_info():
    """The ops' kernel cache: entries, bytes of code, limits, hits, misses
    and evictions."""
    return kernel_cache.info()


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


def _row_op(op, x, mask, causal, masked_rows=None, reduce=False, dtype=None):
    types = _float_types(dtype)
    elt = _check_array(x, "x", types, "floating-point")
    args = [x]
    if mask is not None:
        _check_mask_dtype(mask, "x", elt, types)
        args.append(mask)
    return _run(op, args, _row_attrs(causal, masked_rows), _masked_operands)


def masked_max(scores, mask, dtype=None):
    """max_j(scores[..., i, j] + mask[i, j]); mask [M, N] or scores' shape.
    dtype="bfloat16": uint16 arrays of bfloat16 bits in and out (as for
    every op of this module that takes `dtype`)."""
    types = _float_types(dtype)
    elt = _check_array(scores, "scores", types, "floating-point")
    _check_mask_dtype(mask, "scores", elt, types)
    return _run("masked_max", [scores, mask], "", ", ".join)


def sum_sq(x, dtype=None):
    """sum_j x[..., j]^2 (in f32 for bfloat16, rounded once)."""
    _check_array(x, "x", _float_types(dtype), "floating-point")
    return _run("sum_sq", [x], "", ", ".join)


def xent(p, q):
    """-sum_c q log p, with 0 log 0 = 0."""
    elt = _check_array(p, "p", _FLOAT_TYPES, "floating-point")
    if _check_array(q, "q", _FLOAT_TYPES, "floating-point") != elt:
        raise TypeError(f"q must have the dtype of p ({p.dtype}), got {q.dtype}")
    return _run("xent", [p, q], "", ", ".join)


def softmax(x, mask=None, causal=False, masked_rows="zero", dtype=None):
    """Stable softmax over the last dimension (see attn.softmax)."""
    return _row_op("softmax", x, mask, causal, masked_rows, dtype=dtype)


def logsumexp(x, mask=None, causal=False, dtype=None):
    """Stable log-sum-exp over the last dimension."""
    return _row_op("logsumexp", x, mask, causal, reduce=True, dtype=dtype)


def log_softmax(x, mask=None, causal=False, dtype=None):
    """Stable log-softmax over the last dimension."""
    return _row_op("log_softmax", x, mask, causal, dtype=dtype)


def _xent_logits_attrs(target, ignore_index, reduction, label_smoothing=0.0,
                       z_loss=0.0, softcap=None):
    """The attributes of a cross-entropy of logits (xent_logits, linear_xent
    and their backwards)."""
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"reduction must be 'none', 'sum' or 'mean', got {reduction!r}")
    if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
        raise TypeError(f"ignore_index must be an integer, got {type(ignore_index).__name__}")
    # (class probabilities have no ignored rows)
    info = np.iinfo(target.dtype) if target.dtype.kind in "iu" else None
    if info is not None and not info.min <= ignore_index <= info.max:
        raise ValueError(
            f"ignore_index {ignore_index} does not fit the target dtype {target.dtype}")
    attrs = f" ignore_index = {int(ignore_index)}" if ignore_index != -100 else ""
    if reduction != "mean":
        attrs += f" reduction = {reduction}"
    label_smoothing = float(label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if label_smoothing:
        attrs += f" label_smoothing = {label_smoothing:.17e}"
    z_loss = float(z_loss)
    if not (z_loss >= 0.0 and np.isfinite(z_loss)):
        raise ValueError(f"z_loss must be finite and >= 0, got {z_loss}")
    if z_loss:
        attrs += f" z_loss = {z_loss:.17e}"
    if softcap is not None:
        softcap = float(softcap)
        if not (softcap > 0.0 and np.isfinite(softcap)):
            raise ValueError(f"softcap must be positive and finite, got {softcap}")
        attrs += f" softcap = {softcap:.17e}"
    return attrs


# The types of optional operands: a bias's after a comma, a weight's after
# the keyword `weight` (the ops' assembly formats).
_OPTIONAL_TYPE_PREFIX = {"bias": ", ", "weight": " weight "}


@functools.lru_cache(maxsize=None)
def _with_optional(op, count, present):
    """The operand text of `count` operands then the optional operands
    `present` ('bias', 'weight'), with `types` the op's type list and
    `pairs` the IR and Python names of its operands. One function per form,
    made once: it is part of the kernel cache's key."""
    def text(names):
        return ", ".join(names[:count]) + "".join(
            f" {kind} {name}" for kind, name in zip(present, names[count:]))

    def types(names):
        return ", ".join(names[:count]) + "".join(
            f"{_OPTIONAL_TYPE_PREFIX[kind]}{name}"
            for kind, name in zip(present, names[count:]))
    text.types = types
    text.pairs = (_OPERANDS[op][:count]
                  + [p for p in _OPERANDS[op][count:] if p[0] in present])
    return text


def _check_targets(target, logits):
    """Class indices (int32, int64) or class probabilities of the logits'
    dtype."""
    if isinstance(target, np.ndarray) and target.dtype.kind == "f":
        _check_like(target, "target", "logits (class probabilities)",
                    _FLOAT_TYPES[logits.dtype])
    else:
        _check_array(target, "target", _INDEX_TYPES, "integer")


def _check_weight(weight, logits, name):
    """A class weight [C] of the logits' dtype (or None)."""
    if weight is None:
        return None
    _check_like(weight, "weight", name, _FLOAT_TYPES[logits.dtype])
    return weight


def xent_logits(logits, target, ignore_index=-100, reduction="mean", weight=None,
                label_smoothing=0.0, z_loss=0.0, softcap=None):
    """Cross-entropy of logits [..., C] against integer targets [...] or
    class probabilities [..., C] of the logits' dtype (`F.cross_entropy`'s
    `weight` [C], `ignore_index`, `reduction`, `label_smoothing`); `z_loss`
    adds `z_loss * logsumexp(z)**2` per kept row, `softcap` caps the logits
    to `softcap * tanh(z / softcap)`."""
    _check_array(logits, "logits", _FLOAT_TYPES, "floating-point")
    _check_targets(target, logits)
    weight = _check_weight(weight, logits, "logits")
    attrs = _xent_logits_attrs(target, ignore_index, reduction, label_smoothing,
                               z_loss, softcap)
    args = [logits, target] + ([weight] if weight is not None else [])
    return _run("xent_logits", args, attrs,
                _with_optional("xent_logits", 2, ("weight",) * (weight is not None)))


def attention(q, k, v, mask=None, causal=False, scale=None, masked_rows="zero",
              lowering=None, block_q=None, block_kv=None, return_lse=False,
              dropout_p=0.0, seed=0, offset=0, window=None, softcap=None,
              alibi_slopes=None, key_padding_mask=None, key_lengths=None,
              cu_seqlens=None, dtype=None):
    """softmax(q kᵀ scale + mask) v with grouped-query heads (see
    attn.attention): q [B, Hq, M, D], k [B, Hkv, N, D], v [B, Hkv, N, Dv] (or
    without B, or without B and H). `mask` is additive (q's dtype: 0 keeps,
    -inf hides) or boolean (True keeps), broadcast to the scores [B, Hq, M,
    N]. With `return_lse`, returns (out, lse):
    lse [B, Hq, M] the logsumexp of each row's scaled, masked scores (+inf
    for a row that sees no key), what `attention_backward` needs.
    `dropout_p` drops each probability with that probability (the others
    scaled by 1 / (1 - dropout_p)), drawn from (`seed`, `offset`) and the
    score's indices alone: `attention_backward` with the same three
    regenerates them. Advance `offset` between calls for fresh masks.

    Variants, computed from the indices (never a materialized mask):
    `window=(left, right)` hides key j from query i unless
    `i + d - left <= j <= i + d + right` (FlashAttention-2's `window_size`,
    d = N - M; None or -1 for unbounded), with `causal` too if given;
    `softcap` caps each scaled score to `softcap * tanh(s / softcap)`;
    `alibi_slopes` [Hq] subtracts `slope[h] * |i + d - j|`.
    `key_padding_mask` [B, N] (True keeps) or `key_lengths` [B] (keys
    `[0, length)` kept) hide keys per batch entry (rank 4; [N] or a scalar
    at rank 2 and 3): they become a boolean mask [B, 1, 1, N].
    `cu_seqlens` (FlashAttention's varlen form: increasing integers from 0
    to S) packs documents [cu_seqlens[d], cu_seqlens[d + 1]) into one
    sequence of S queries and keys (M == N): a query sees the keys of its
    own document only (and with `causal`, those before it), through a
    mask_mod of the document ids, and the blocks between documents are
    never computed (a block mask).

    `dtype="bfloat16"`: q, k, v (an additive mask, the slopes) and the
    output are uint16 arrays of bfloat16 bits (numpy has no bfloat16); lse
    is float32. Where the host has AVX512_BF16
    (`attn.compiler.host_has_bf16_dot()`), both products take bf16 operands
    with f32 sums (vdpbf16ps), q * scale and the probabilities rounded to
    bfloat16 (see attn.online_attention); elsewhere everything is computed
    in f32 from the widened inputs. Either way the output is rounded to
    bfloat16 once."""
    types = _float_types(dtype)
    mask = _with_key_padding(q, k, mask, key_padding_mask, key_lengths)
    args = _attention_args(q, k, v, mask, types)
    present = ("mask",) if mask is not None else ()
    attrs = _attention_attrs(q, scale, causal, masked_rows)
    attrs += _variant_attrs(window, softcap)
    if alibi_slopes is not None:
        args.append(_check_slopes(alibi_slopes, q, types))
        present += ("alibi",)
    regions, roles = "", ""
    if cu_seqlens is not None:
        from . import flex
        kinds, sizes, doc, region = flex._documents(cu_seqlens, q, k, causal)
        args.append(kinds)
        present += (f"block_mask {sizes[0]} {sizes[1]}",)
        regions = region.replace("%CAPTURED0[", f"%a{len(args)}[")
        args.append(doc)
        roles = "c"
    dropout = _dropout(args, dropout_p, seed, offset)
    attrs += dropout
    if return_lse:
        attrs += " with_lse"
    attrs += regions
    options = tuple(sorted(compiler._pipeline_options(
        attention=lowering, block_q=block_q, block_kv=block_kv).items()))
    return _run("attention", args, attrs,
                _attention_operands("attention", 3, present, bool(dropout)),
                [(k.replace("-", "_"), v) for k, v in options],
                roles="qkv" + "".join(_ROLE[p.split()[0]] for p in present) + roles)


def _attention_args(q, k, v, mask, types=_FLOAT_TYPES):
    """q, k, v [, mask], of one dtype (a mask also bool)."""
    elt = _check_array(q, "q", types, "floating-point")
    for name, x in (("k", k), ("v", v)):
        if _check_array(x, name, types, "floating-point") != elt:
            raise TypeError(f"{name} must have the dtype of q ({q.dtype}), got {x.dtype}")
    args = [q, k, v]
    if mask is not None:
        _check_attention_mask(mask, q, elt, types)
        args.append(mask)
    return args


def _check_attention_mask(mask, q, elt, types=_FLOAT_TYPES):
    """An additive mask of q's dtype, or a boolean one."""
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_:
        return
    if _check_array(mask, "mask", types, "floating-point") != elt:
        raise TypeError(f"mask must have the dtype of q ({q.dtype}) or be "
                        f"boolean, got {mask.dtype}")


# An attention's optional operands: the role each has in _family.
_ROLE = {"mask": "m", "alibi": "s", "block_mask": "b"}


@functools.lru_cache(maxsize=None)
def _attention_operands(op, count, present, rng):
    """The operand text of an attention (`count` operands, then the optional
    `present` ones: 'mask', 'alibi'; with `rng`, a last argument, dropout's
    state, that the attributes name). One function per form, made once: it
    is part of the kernel cache's key."""
    # ('block_mask bq bkv': a block mask of blocks of bq x bkv.)
    def operand(kind, name):
        words = kind.split()
        if words[0] == "block_mask":
            return f" block_mask {name} sizes = [{words[1]}, {words[2]}]"
        return f" {kind} {name}"

    def text(names):
        if rng:
            names = names[:-1]
        return ", ".join(names[:count]) + "".join(
            operand(kind, name) for kind, name in zip(present, names[count:]))

    def types(names):
        # (The types passed have no rng.)
        return ", ".join(names[:count]) + "".join(
            (", " if kind == "mask" else f" {kind.split()[0]} ") + name
            for kind, name in zip(present, names[count:]))
    text.types = types
    kinds = [kind.split()[0] for kind in present]
    text.pairs = (_OPERANDS[op][:count] + [p for p in _OPERANDS[op][count:]
                                           if p[0] in kinds])
    return text


def _variant_attrs(window, softcap):
    """The attributes of a sliding window and a softcap."""
    attrs = ""
    if window is not None:
        if not isinstance(window, (tuple, list)) or len(window) != 2:
            raise ValueError(f"window must be a pair (left, right), got {window!r}")
        sizes = []
        for side, size in zip(("left", "right"), window):
            if size is None:
                size = -1
            if isinstance(size, bool) or not isinstance(size, (int, np.integer)) \
                    or size < -1:
                raise ValueError(f"window's {side} size must be an integer >= 0, "
                                 f"or -1 or None for unbounded, got {size!r}")
            sizes.append(int(size))
        attrs += f" window = [{sizes[0]}, {sizes[1]}]"
    if softcap is not None:
        cap = float(softcap)
        if not (np.isfinite(cap) and cap > 0):
            raise ValueError(f"softcap must be positive and finite, got {softcap!r}")
        attrs += f" softcap = {cap:.17e}"
    return attrs


def _check_slopes(slopes, q, types=_FLOAT_TYPES):
    """ALiBi's slopes [Hq] of q's dtype."""
    elt = types[q.dtype]
    if _check_array(slopes, "alibi_slopes", types, "floating-point") != elt:
        raise TypeError(f"alibi_slopes must have the dtype of q ({q.dtype}), "
                        f"got {slopes.dtype}")
    heads = q.shape[-3] if q.ndim >= 3 else 1
    if slopes.shape != (heads,):
        raise ValueError(f"alibi_slopes must have shape ({heads},) (one slope per "
                         f"query head), got {slopes.shape}")
    return slopes


def _with_key_padding(q, k, mask, key_padding_mask, key_lengths):
    """`mask` with the keys that `key_padding_mask` (True keeps) or
    `key_lengths` hide: a boolean mask [B, 1, 1, N] (rank 4) when there was
    no mask, the two combined otherwise."""
    if key_padding_mask is None and key_lengths is None:
        return mask
    if key_padding_mask is not None and key_lengths is not None:
        raise ValueError("give key_padding_mask or key_lengths, not both")
    if not isinstance(k, np.ndarray) or k.ndim < 2:
        raise TypeError("k must be a numpy.ndarray of rank >= 2")
    keys = k.shape[-2]
    batch = (k.shape[0],) if k.ndim == 4 else ()
    if key_padding_mask is not None:
        if not isinstance(key_padding_mask, np.ndarray) or \
                key_padding_mask.dtype != np.bool_:
            raise TypeError("key_padding_mask must be a boolean numpy.ndarray "
                            "(True keeps)")
        if key_padding_mask.shape != batch + (keys,):
            raise ValueError(f"key_padding_mask must have shape {batch + (keys,)}, "
                             f"got {key_padding_mask.shape}")
        keep = key_padding_mask
    else:
        lengths = np.asarray(key_lengths)
        if lengths.dtype.kind not in "iu" or lengths.shape != batch:
            raise ValueError(f"key_lengths must be integers of shape {batch}, "
                             f"got {lengths.dtype} {lengths.shape}")
        keep = np.arange(keys) < lengths[..., None]
    # [B, 1, 1, N] (or [N] at rank 2 and 3): broadcast over heads and rows.
    keep = keep.reshape(batch + (1,) * (k.ndim - 2 if batch else 0)
                        + (keys,)) if batch else keep
    if mask is None:
        return np.ascontiguousarray(keep)
    _check_attention_mask(mask, q, _FLOAT_TYPES[q.dtype])
    if mask.dtype == np.bool_:
        return np.ascontiguousarray(mask & keep)
    return np.ascontiguousarray(np.where(keep, mask, -np.inf).astype(mask.dtype))


def _attention_attrs(q, scale, causal, masked_rows):
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
    return attrs + _row_attrs(causal, masked_rows)


def _operands_then_mask(count):
    """The operand text of `count` operands then an optional mask. One
    function per form, made once: it is part of the kernel cache's key."""
    def text(names):
        plain = ", ".join(names[:count])
        return plain + (f" mask {names[count]}" if len(names) > count else "")
    return text


# logsumexp_backward's grad, x, out.
_THREE_THEN_MASK = _operands_then_mask(3)


def _dropout(args, dropout_p, seed, offset):
    """Appends dropout's generator state [seed, offset] to `args` and
    returns the attributes that name it, or "" without dropout."""
    p = float(dropout_p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1), got {dropout_p!r}")
    if p == 0.0:
        return ""
    for name, x in (("seed", seed), ("offset", offset)):
        if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
            raise TypeError(f"{name} must be an integer, got {type(x).__name__}")
    state = np.array([int(seed) & (2**64 - 1), int(offset) & (2**64 - 1)],
                     np.uint64).view(np.int64)
    args.append(state)
    return f" dropout = {p:.17e} rng %a{len(args) - 1}"


# Gradients: the vector-Jacobian products of the ops above. `grad` is the
# gradient of a loss with respect to the forward op's result; each returns
# the gradient with respect to the forward op's inputs (masks are constants).


def _check_like(x, name, ref_name, elt, types=_FLOAT_TYPES):
    if _check_array(x, name, types, "floating-point") != elt:
        raise TypeError(f"{name} must have the dtype of {ref_name}, got {x.dtype}")


def _check_grad(grad, ref, ref_name, types=_FLOAT_TYPES):
    """`grad` as an array of `ref`'s dtype (a Python number is a rank-0
    gradient; bfloat16 bits for dtype="bfloat16")."""
    if isinstance(grad, (int, float, np.floating, np.integer)) and not isinstance(grad, bool):
        if types is _BF16_TYPES:
            grad = _to_bf16_bits(np.asarray(grad, np.float32))
        else:
            grad = np.asarray(grad, dtype=ref.dtype)
    _check_like(grad, "grad", ref_name, types[ref.dtype], types)
    return grad


def _to_bf16_bits(x):
    """float32 values as bfloat16 bits (uint16), rounded to nearest even."""
    x = np.asarray(x, np.float32)
    u = np.atleast_1d(x).view(np.uint32).astype(np.uint64)
    one, half, sixteen = np.uint64(1), np.uint64(0x7FFF), np.uint64(16)
    rounded = ((u + half + ((u >> sixteen) & one)) >> sixteen).reshape(x.shape)
    return np.asarray(np.where(np.isnan(x), 0x7FC0, rounded), np.uint16)


def softmax_backward(grad, out):
    """The gradient of `softmax` with respect to its input, from its output
    `out` and the gradient `grad` with respect to it (both of the input's
    shape): out * (grad - sum(grad * out, -1)). Masked entries and fully
    masked rows get 0 (see attn.softmax_backward)."""
    elt = _check_array(out, "out", _FLOAT_TYPES, "floating-point")
    _check_like(grad, "grad", "out", elt)
    return _run("softmax_backward", [grad, out], "", ", ".join)


def log_softmax_backward(grad, out):
    """The gradient of `log_softmax` with respect to its input, from its
    output `out` and `grad`: grad - exp(out) * sum(grad, -1), 0 where
    `out` is -inf (masked entries)."""
    elt = _check_array(out, "out", _FLOAT_TYPES, "floating-point")
    _check_like(grad, "grad", "out", elt)
    return _run("log_softmax_backward", [grad, out], "", ", ".join)


def logsumexp_backward(grad, x, out, mask=None, causal=False):
    """The gradient of `logsumexp(x, mask, causal)` with respect to `x`,
    from its result `out` ([...]) and `grad` ([...]): grad * exp(x + mask -
    out); fully masked rows get 0."""
    elt = _check_array(x, "x", _FLOAT_TYPES, "floating-point")
    _check_like(grad, "grad", "x", elt)
    _check_like(out, "out", "x", elt)
    args = [grad, x, out]
    if mask is not None:
        _check_mask_dtype(mask, "x", elt)
        args.append(mask)

    return _run("logsumexp_backward", args, _row_attrs(causal), _THREE_THEN_MASK)


def sum_sq_backward(grad, x):
    """The gradient of `sum_sq(x)` with respect to `x`: 2 * x * grad[..., None]."""
    _check_array(x, "x", _FLOAT_TYPES, "floating-point")
    grad = _check_grad(grad, x, "x")
    return _run("sum_sq_backward", [grad, x], "", ", ".join)


def masked_max_backward(grad, scores, mask, out):
    """The gradient of `masked_max(scores, mask)` with respect to `scores`,
    from its result `out` ([...]) and `grad` ([...]): each row's grad goes
    to its first maximizing entry (the lowest index, as torch.max's), none
    for a fully masked row."""
    elt = _check_array(scores, "scores", _FLOAT_TYPES, "floating-point")
    _check_mask_dtype(mask, "scores", elt)
    _check_like(grad, "grad", "scores", elt)
    _check_like(out, "out", "scores", elt)
    return _run("masked_max_backward", [grad, scores, mask, out], "", ", ".join)


def xent_backward(grad, p, q):
    """The gradients of `xent(p, q)` with respect to p and q, from `grad`
    ([...]): (-grad q / p, 0 where q == 0; -grad log p). Returns (dp, dq)."""
    elt = _check_array(p, "p", _FLOAT_TYPES, "floating-point")
    _check_like(q, "q", "p", elt)
    grad = _check_grad(grad, p, "p")
    return _run("xent_backward", [grad, p, q], "", ", ".join)


def xent_logits_backward(grad, logits, target, ignore_index=-100, reduction="mean",
                         weight=None, label_smoothing=0.0, z_loss=0.0, softcap=None):
    """The gradient of `xent_logits(logits, target, ...)` (same options)
    with respect to the logits: g * (softmax(logits) - onehot(target)) per
    row without options, g the row's share of `grad` (grad[...] for 'none',
    a scalar for 'sum', a scalar divided by the kept rows' weights for
    'mean'); ignored rows get 0, rows with a target out of range NaN."""
    _check_array(logits, "logits", _FLOAT_TYPES, "floating-point")
    _check_targets(target, logits)
    grad = _check_grad(grad, logits, "logits")
    weight = _check_weight(weight, logits, "logits")
    attrs = _xent_logits_attrs(target, ignore_index, reduction, label_smoothing,
                               z_loss, softcap)
    args = [grad, logits, target] + ([weight] if weight is not None else [])
    return _run("xent_logits_backward", args, attrs,
                _with_optional("xent_logits_backward", 3,
                               ("weight",) * (weight is not None)))


def attention_backward(grad_out, q, k, v, out, lse, mask=None, causal=False,
                       scale=None, masked_rows="zero", lowering=None, block_q=None,
                       block_kv=None, dropout_p=0.0, seed=0, offset=0, window=None,
                       softcap=None, alibi_slopes=None, key_padding_mask=None,
                       key_lengths=None, dtype=None):
    """The gradients (dq, dk, dv) of `attention(q, k, v, mask, causal,
    scale, masked_rows)` from its output `out`, its `lse` (`return_lse=True`)
    and `grad_out`, the gradient of a loss with respect to `out` (see
    attn.attention_backward). dk and dv of a key/value head sum its group's
    query heads; rows that saw no key get zero gradients whatever
    `masked_rows` (checked, and otherwise unused). `lowering` is 'flash'
    (the default: FlashAttention-2's blocks of `block_q` x `block_kv`
    scores) or 'decomposed' (all the scores). `dropout_p`, `seed` and
    `offset` must be the forward's: its dropout is regenerated, not
    stored. The variants (`window`, `softcap`, `alibi_slopes`, key padding)
    must be the forward's too. `dtype="bfloat16"` as for `attention`
    (grad_out, out and the gradients are bf16 bits; lse float32): with
    AVX512_BF16 the five block products take bf16 operands, P and dS
    rounded to bf16, with f32 sums."""
    types = _float_types(dtype)
    args = _attention_args(q, k, v, None, types)
    elt = types[q.dtype]
    _check_like(grad_out, "grad_out", "q", elt, types)
    _check_like(out, "out", "q", elt, types)
    lse_elt = "f64" if elt == "f64" else "f32"
    if _check_array(lse, "lse", _FLOAT_TYPES, "floating-point") != lse_elt:
        raise TypeError(f"lse must be float{lse_elt[1:]} (the dtype attention(..., "
                        f"return_lse=True) returns), got {lse.dtype}")
    args = [grad_out] + args + [out, lse]
    mask = _with_key_padding(q, k, mask, key_padding_mask, key_lengths)
    present = ()
    if mask is not None:
        _check_attention_mask(mask, q, elt, types)
        args.append(mask)
        present += ("mask",)
    attrs = _attention_attrs(q, scale, causal, masked_rows)
    attrs = attrs.replace(" masked_rows = nan", "")
    attrs += _variant_attrs(window, softcap)
    if alibi_slopes is not None:
        args.append(_check_slopes(alibi_slopes, q, types))
        present += ("alibi",)
    dropout = _dropout(args, dropout_p, seed, offset)
    attrs += dropout
    options = tuple(sorted(compiler._pipeline_options(
        attention=lowering, block_q=block_q, block_kv=block_kv).items()))
    return _run("attention_backward", args, attrs,
                _attention_operands("attention_backward", 6, present, bool(dropout)),
                [(k.replace("-", "_"), v) for k, v in options],
                roles="qqkvql" + "".join(_ROLE[p] for p in present))


def _linear_xent(embeddings, classifier, targets, bias, weight, ignore_index,
                 softcap, reduction, label_smoothing, z_loss, types=_FLOAT_TYPES):
    """The arguments [embeddings, classifier, targets (, bias) (, weight)],
    which of the optional ones are present, and the attributes of a
    linear_xent."""
    elt = _check_array(embeddings, "embeddings", types, "floating-point")
    _check_like(classifier, "classifier", "embeddings", elt, types)
    _check_array(targets, "targets", _INDEX_TYPES, "integer")
    args, present = [embeddings, classifier, targets], ()
    if bias is not None:
        _check_like(bias, "bias", "embeddings", elt, types)
        args.append(bias)
        present += ("bias",)
    if weight is not None:
        _check_like(weight, "weight", "embeddings", elt, types)
        args.append(weight)
        present += ("weight",)
    attrs = _xent_logits_attrs(targets, ignore_index, reduction, label_smoothing,
                               z_loss, softcap)
    return args, present, attrs


def _linear_xent_options(lowering, block_tokens, block_classes):
    options = compiler._pipeline_options(
        attention=lowering, block_q=block_tokens, block_kv=block_classes)
    return [(k.replace("-", "_"), v) for k, v in sorted(options.items())]


def linear_cross_entropy(embeddings, classifier, targets, bias=None,
                         ignore_index=-100, softcap=None, reduction="mean",
                         label_smoothing=0.0, z_loss=0.0, weight=None,
                         return_lse=False, lowering=None, block_tokens=None,
                         block_classes=None, dtype=None):
    """cross_entropy(embeddings classifierᵀ + bias, targets) without the
    [N, V] logits (see attn.linear_xent): embeddings [N, D], classifier
    [V, D], bias [V], targets [N] integers. PyTorch's `ignore_index`,
    `reduction`, `label_smoothing` and class `weight` [V]; `softcap` caps
    the logits to
    `softcap * tanh(z / softcap)`; `z_loss` adds `z_loss * lse**2` per
    kept token. With `return_lse`, returns (loss, lse), lse [N] what
    `linear_cross_entropy_backward` needs. `lowering` 'flash' (default:
    blocks of `block_tokens` x `block_classes` logits) or 'decomposed'
    (all the logits).

    `dtype="bfloat16"`: embeddings, classifier, bias, weight and the loss
    are uint16 arrays of bfloat16 bits (lse float32). Where the host has
    AVX512_BF16 the blocked logits multiply bf16 pairs with f32 sums
    (exact products); everything else is f32, the loss rounded once."""
    args, present, attrs = _linear_xent(embeddings, classifier, targets, bias,
                                        weight, ignore_index, softcap, reduction,
                                        label_smoothing, z_loss,
                                        _float_types(dtype))
    if return_lse:
        attrs += " with_lse"
    return _run("linear_xent", args, attrs, _with_optional("linear_xent", 3, present),
                _linear_xent_options(lowering, block_tokens, block_classes))


def linear_cross_entropy_backward(grad, embeddings, classifier, targets, lse,
                                  bias=None, ignore_index=-100, softcap=None,
                                  reduction="mean", label_smoothing=0.0,
                                  z_loss=0.0, weight=None, grad_filter=None,
                                  lowering=None, block_tokens=None,
                                  block_classes=None, dtype=None):
    """The gradients (d embeddings, d classifier[, d bias]) of
    `linear_cross_entropy` with the same arguments, from its `lse`
    (`return_lse=True`) and `grad`, the gradient of a loss with respect to
    its loss ([N] for 'none', a scalar otherwise); the logits are
    recomputed in blocks, never all held. `grad_filter=eps` skips the
    gradient products of blocks of logits whose gradients are all below eps
    in magnitude (Cut Cross-Entropy's filtering; error bounds in
    attn.linear_xent_backward's description). `dtype="bfloat16"` as for
    `linear_cross_entropy` (grad too; the gradients are bf16 bits): with
    AVX512_BF16 the gradient products take the logits' gradients rounded
    to bfloat16."""
    types = _float_types(dtype)
    args, present, attrs = _linear_xent(embeddings, classifier, targets, bias,
                                        weight, ignore_index, softcap, reduction,
                                        label_smoothing, z_loss, types)
    grad = _check_grad(grad, embeddings, "embeddings", types)
    lse_elt = "f64" if embeddings.dtype == np.float64 else "f32"
    if _check_array(lse, "lse", _FLOAT_TYPES, "floating-point") != lse_elt:
        raise TypeError(f"lse must be float{lse_elt[1:]} (the dtype "
                        f"linear_cross_entropy(..., return_lse=True) returns), "
                        f"got {lse.dtype}")
    args = [grad] + args[:3] + [lse] + args[3:]
    if grad_filter is not None:
        grad_filter = float(grad_filter)
        if not (grad_filter >= 0.0 and np.isfinite(grad_filter)):
            raise ValueError(f"grad_filter must be finite and >= 0, got {grad_filter}")
        attrs += f" grad_filter = {grad_filter:.17e}"
    return _run("linear_xent_backward", args, attrs,
                _with_optional("linear_xent_backward", 5, present),
                _linear_xent_options(lowering, block_tokens, block_classes))
