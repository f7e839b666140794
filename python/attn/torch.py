"""attn's ops as PyTorch functions, differentiable under torch.autograd.

    import attn.torch as at
    out = at.scaled_dot_product_attention(q, k, v, is_causal=True)
    loss = at.cross_entropy(logits, target)
    loss = at.linear_cross_entropy(hidden, classifier, target)  # no logits held
    loss.backward()

`MultiheadAttention` is `torch.nn.MultiheadAttention` on attn's attention,
and `patch(model)` swaps it into a model. Each function is a
`torch.autograd.Function` whose forward and backward are
attn kernels (attn.ops and their `_backward` ops). CPU tensors only;
contiguous float32 and float64 tensors are read and written in place
(shared buffers, no copy), others are copied once; float16 is computed by
attn's f16 kernels. bfloat16 (which numpy lacks) goes to attention's bf16
kernels as its bits (`ops.attention(..., dtype="bfloat16")`: bf16 dot
products where the CPU has them); the other ops and the backward passes
compute it in float32 and round back. The signatures and semantics are PyTorch 2.x's (documented by
PyTorch; 1.13 lacks some of them)."""

import numpy as np
import torch

from . import flex, ops

_DTYPES = (torch.float16, torch.float32, torch.float64, torch.bfloat16)


def _check(t, name, like=None):
    """`t` validated: a CPU floating tensor (of `like`'s dtype)."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if t.device.type != "cpu":
        raise RuntimeError(f"{name} must be on the CPU (attn runs there), got {t.device}")
    if like is not None and t.dtype != like.dtype:
        raise RuntimeError(f"expected {name} to have the dtype of the other inputs "
                           f"({like.dtype}), got {t.dtype}")
    if t.dtype not in _DTYPES:
        raise RuntimeError(f"{name} must be float16, bfloat16, float32 or float64, "
                           f"got {t.dtype}")
    return t


def _np(t):
    """A numpy view of `t` (a copy when it is not contiguous; float32 for
    bfloat16)."""
    t = t.detach()
    if t.dtype == torch.bfloat16:
        t = t.float()
    return t.contiguous().numpy()


def _bits(t):
    """The bits of a bfloat16 tensor as a uint16 numpy array (what
    attn.ops takes with dtype="bfloat16")."""
    return t.detach().contiguous().view(torch.int16).numpy().view(np.uint16)


def _from_bits(a):
    """The bfloat16 tensor whose bits are the uint16 array `a`."""
    return torch.from_numpy(np.ascontiguousarray(a).view(np.int16)).view(
        torch.bfloat16)


def _torch(a, dtype):
    """The numpy result `a` as a tensor of `dtype` (sharing its buffer)."""
    a = np.asarray(a)
    # (np.ascontiguousarray would make a rank-0 loss rank 1.)
    t = torch.from_numpy(a if a.flags.c_contiguous else a.copy())
    return t if t.dtype == dtype else t.to(dtype)


def _last(t, dim):
    """`t` with `dim` moved last (attn works on the last dimension)."""
    dim = dim % t.dim() if t.dim() else 0
    return t if dim == t.dim() - 1 else t.movedim(dim, -1)


def _back(t, dim, ndim):
    dim = dim % ndim if ndim else 0
    return t if dim == ndim - 1 else t.movedim(-1, dim)


def _output_function(name, forward_op, backward_op):
    """An autograd Function of a row op whose gradient follows from its
    output (softmax, log_softmax): y = forward_op(x), dx = backward_op(dy, y)."""
    def forward(ctx, x):
        y = _torch(forward_op(_np(x)), x.dtype)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return _torch(backward_op(_np(grad.to(y.dtype)), _np(y)), y.dtype)
    return type(name, (torch.autograd.Function,),
                {"forward": staticmethod(forward), "backward": staticmethod(backward)})


_Softmax = _output_function("_Softmax", ops.softmax, ops.softmax_backward)
_LogSoftmax = _output_function("_LogSoftmax", ops.log_softmax, ops.log_softmax_backward)


class _LogSumExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        out = _torch(ops.logsumexp(_np(x)), x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _torch(ops.logsumexp_backward(_np(grad.to(x.dtype)), _np(x), _np(out)),
                      x.dtype)


def softmax(input, dim=-1):
    """`torch.softmax(input, dim)` (a fully `-inf` row gives zeros)."""
    x = _last(_check(input, "input"), dim)
    return _back(_Softmax.apply(x), dim, input.dim())


def log_softmax(input, dim=-1):
    """`torch.log_softmax(input, dim)`."""
    x = _last(_check(input, "input"), dim)
    return _back(_LogSoftmax.apply(x), dim, input.dim())


def logsumexp(input, dim, keepdim=False):
    """`torch.logsumexp(input, dim, keepdim)` over one dimension."""
    if not isinstance(dim, int):
        raise TypeError(f"dim must be an int (one dimension), got {dim!r}")
    x = _last(_check(input, "input"), dim)
    out = _LogSumExp.apply(x)
    return out.unsqueeze(dim % input.dim()) if keepdim else out


class _CrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, target, weight, options):
        t = _targets(target)
        w = None if weight is None else _np(weight.to(logits.dtype))
        loss = ops.xent_logits(_np(logits), t, weight=w, **options)
        ctx.save_for_backward(logits, target, weight)
        ctx.options = options
        return _torch(np.asarray(loss), logits.dtype)

    @staticmethod
    def backward(ctx, grad):
        logits, target, weight = ctx.saved_tensors
        g = _np(grad.to(logits.dtype))
        w = None if weight is None else _np(weight.to(logits.dtype))
        dz = ops.xent_logits_backward(g, _np(logits), _targets(target), weight=w,
                                      **ctx.options)
        return _torch(dz, logits.dtype), None, None, None


def _targets(target):
    """Class indices as they are; class probabilities as float arrays
    (float32 for bfloat16)."""
    if target.is_floating_point():
        return _np(target)
    return target.detach().contiguous().numpy()


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """`torch.nn.functional.cross_entropy`: input `[N, C]` or `[N, C, d1,
    ...]` (classes in dimension 1) or `[C]`; target class indices (int64)
    of the input's shape without its class dimension, or class
    probabilities of the input's shape; `weight` [C], `ignore_index`,
    `reduction` and `label_smoothing` as PyTorch's. Differentiable in the
    input (the target and the weight get no gradient)."""
    _check(input, "input")
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor, got {type(target).__name__}")
    if target.requires_grad:
        raise RuntimeError("attn.torch.cross_entropy: target must not require grad "
                           "(class probabilities get no gradient)")
    if weight is not None:
        _check(weight, "weight")
        if weight.requires_grad:
            raise RuntimeError("attn.torch.cross_entropy: weight must not require grad")
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    logits = input if input.dim() <= 1 else input.movedim(1, -1)
    if target.is_floating_point():
        if target.dtype != input.dtype:
            raise RuntimeError(f"class probabilities must have the input's dtype "
                               f"({input.dtype}), got {target.dtype}")
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"class probabilities of shape {tuple(target.shape)} do "
                               f"not match the input's {tuple(input.shape)}")
        target = target if target.dim() <= 1 else target.movedim(1, -1)
    else:
        if target.dtype not in (torch.int64, torch.int32):
            raise RuntimeError(f"target must hold class indices (int64) or class "
                               f"probabilities, got {target.dtype}")
        expected = tuple(logits.shape[:-1])
        if tuple(target.shape) != expected:
            raise RuntimeError(f"target shape {tuple(target.shape)} does not match the "
                               f"input's without its class dimension {expected}")
    options = dict(ignore_index=int(ignore_index), reduction=reduction,
                   label_smoothing=float(label_smoothing))
    return _CrossEntropy.apply(logits, target, weight, options)

class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, bias, target, options):
        h, w = _np(hidden), _np(weight)
        b = None if bias is None else _np(bias)
        t = target.detach().contiguous().numpy()
        loss, lse = ops.linear_cross_entropy(h, w, t, b, return_lse=True, **options)
        ctx.save_for_backward(hidden, weight, bias, target, _torch(lse, torch.float64
                                                                   if lse.dtype == np.float64
                                                                   else torch.float32))
        ctx.options = options
        return _torch(np.asarray(loss), hidden.dtype)

    @staticmethod
    def backward(ctx, grad):
        hidden, weight, bias, target, lse = ctx.saved_tensors
        h, w = _np(hidden), _np(weight)
        b = None if bias is None else _np(bias)
        g = _np(grad.to(hidden.dtype))
        grads = ops.linear_cross_entropy_backward(
            g, h, w, target.contiguous().numpy(), lse.numpy(), b, **ctx.options)
        dh, dw = _torch(grads[0], hidden.dtype), _torch(grads[1], weight.dtype)
        db = None if bias is None else _torch(grads[2], bias.dtype)
        return dh, dw, db, None, None


def linear_cross_entropy(input, weight, target, bias=None, ignore_index=-100,
                         softcap=None, reduction="mean", label_smoothing=0.0,
                         z_loss=0.0):
    """`F.cross_entropy(F.linear(input, weight, bias), target, ...)` without
    the logits (attn.linear_xent): input `[..., D]`, weight `[V, D]`, bias
    `[V]`, target `[...]` class indices. `softcap` caps the logits to
    `softcap * tanh(z / softcap)`; `z_loss` adds `z_loss * logsumexp(z)**2`
    per kept token. Differentiable in input, weight and bias; the backward
    recomputes the logits in blocks."""
    _check(input, "input")
    _check(weight, "weight", input)
    if bias is not None:
        _check(bias, "bias", input)
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor, got {type(target).__name__}")
    if target.dtype not in (torch.int64, torch.int32):
        raise RuntimeError(f"target must hold class indices (int64), got {target.dtype}")
    if input.dim() < 1 or tuple(target.shape) != tuple(input.shape[:-1]):
        raise RuntimeError(f"target shape {tuple(target.shape)} does not match the "
                           f"input's without its feature dimension "
                           f"{tuple(input.shape[:-1])}")
    if reduction not in ("none", "sum", "mean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    options = dict(ignore_index=int(ignore_index), softcap=softcap, reduction=reduction,
                   label_smoothing=float(label_smoothing), z_loss=float(z_loss))
    lead = tuple(input.shape[:-1])
    loss = _LinearCrossEntropy.apply(input.reshape(-1, input.shape[-1]), weight, bias,
                                     target.reshape(-1), options)
    return loss.reshape(lead) if reduction == "none" else loss


class _Attention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, mask, causal, scale, dropout_p, seed, offset):
        args = dict(causal=causal, scale=scale, dropout_p=dropout_p, seed=seed,
                    offset=offset)
        m = None if mask is None else _np(mask)
        if q.dtype == torch.bfloat16:
            # attn's bf16 kernels, on the tensors' bits.
            m = None if mask is None else (
                m if mask.dtype == torch.bool else _bits(mask))
            out, lse = ops.attention(_bits(q), _bits(k), _bits(v), m,
                                     return_lse=True, dtype="bfloat16", **args)
            out = _from_bits(out)
        else:
            out, lse = ops.attention(_np(q), _np(k), _np(v), m, return_lse=True,
                                     **args)
            out = _torch(out, q.dtype)
        ctx.save_for_backward(q, k, v, out, torch.from_numpy(lse))
        ctx.mask, ctx.args = m, args
        return out

    @staticmethod
    def backward(ctx, grad):
        q, k, v, out, lse = ctx.saved_tensors
        if q.dtype == torch.bfloat16:
            dq, dk, dv = ops.attention_backward(
                _bits(grad.to(q.dtype)), _bits(q), _bits(k), _bits(v), _bits(out),
                lse.numpy(), ctx.mask, dtype="bfloat16", **ctx.args)
            return (_from_bits(dq), _from_bits(dk), _from_bits(dv),
                    None, None, None, None, None, None)
        dq, dk, dv = ops.attention_backward(
            _np(grad.to(q.dtype)), _np(q), _np(k), _np(v), _np(out), lse.numpy(),
            ctx.mask, **ctx.args)
        return (_torch(dq, q.dtype), _torch(dk, k.dtype), _torch(dv, v.dtype),
                None, None, None, None, None, None)


class _FlexAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, score_mod, block_mask, scale, enable_gqa):
        args = dict(score_mod=score_mod, block_mask=block_mask, scale=scale,
                    enable_gqa=enable_gqa)
        out, lse = flex.flex_attention(_np(q), _np(k), _np(v), return_lse=True, **args)
        lse_t = torch.from_numpy(lse)
        ctx.save_for_backward(q, k, v, _torch(out, q.dtype), lse_t)
        ctx.args = args
        ctx.mark_non_differentiable(lse_t)
        return _torch(out, q.dtype), lse_t

    @staticmethod
    def backward(ctx, grad, grad_lse):
        q, k, v, out, lse = ctx.saved_tensors
        work = _np(q).dtype
        dq, dk, dv = flex.flex_attention_backward(
            _np(grad.to(q.dtype)).astype(work, copy=False), _np(q), _np(k), _np(v),
            _np(out).astype(work, copy=False), lse.numpy(), **ctx.args)
        return (_torch(dq, q.dtype), _torch(dk, k.dtype), _torch(dv, v.dtype),
                None, None, None, None)


def flex_attention(query, key, value, score_mod=None, block_mask=None, scale=None,
                   enable_gqa=False, return_lse=False):
    """PyTorch 2.5's `torch.nn.attention.flex_attention.flex_attention` on
    CPU tensors [B, H, L, E] (see `attn.flex_attention`): `score_mod` and
    the block mask's `mask_mod` are traced Python functions, which may
    capture tensors or numpy arrays; differentiable with respect to query,
    key and value (the backward differentiates score_mod). Block masks come
    from `attn.torch.create_block_mask`."""
    q = _check(query, "query")
    k, v = _check(key, "key", q), _check(value, "value", q)
    out, lse = _FlexAttention.apply(q, k, v, score_mod, block_mask, scale, enable_gqa)
    return (out, lse) if return_lse else out


def create_block_mask(mask_mod, B, H, Q_LEN, KV_LEN, device="cpu", BLOCK_SIZE=128,
                      _compile=False):
    """PyTorch 2.5's `create_block_mask` (see `attn.create_block_mask`):
    `mask_mod(b, h, q_idx, kv_idx)` is evaluated on index tensors, as
    PyTorch does, once per shape."""
    del _compile

    def on_tensors(b, h, q_idx, kv_idx):
        to = lambda x: torch.from_numpy(np.asarray(x))
        return np.asarray(mask_mod(to(b), to(h), to(q_idx), to(kv_idx)))
    mask = flex.create_block_mask(on_tensors, B, H, Q_LEN, KV_LEN, device, BLOCK_SIZE)
    mask.mask_mod = mask_mod  # traced into the kernel as written
    return mask


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """PyTorch 2.5's `F.scaled_dot_product_attention`: query `[..., Hq, L,
    E]`, key `[..., H, S, E]`, value `[..., H, S, Ev]`; a boolean
    `attn_mask` keeps the `True` entries, a float one is added; `is_causal`
    keeps key j for query i when j <= i (top-left aligned); `enable_gqa`
    lets Hq be a multiple of H. Dropout draws its seed from torch's
    generator (`torch.manual_seed` makes it reproducible)."""
    _check(query, "query")
    _check(key, "key", query)
    _check(value, "value", query)
    if query.dim() < 2 or key.dim() != query.dim() or value.dim() != query.dim():
        raise RuntimeError("query, key and value must have the same rank (>= 2), got "
                           f"{query.dim()}, {key.dim()} and {value.dim()}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("attn_mask and is_causal cannot both be set")
    if query.dim() >= 3 and query.shape[-3] != key.shape[-3] and not enable_gqa:
        raise RuntimeError(f"query has {query.shape[-3]} heads and key {key.shape[-3]}: "
                           "pass enable_gqa=True for grouped-query attention")
    L, S = query.shape[-2], key.shape[-2]
    mask = None
    causal = False
    if is_causal:
        if L == S:
            causal = True  # top-left and bottom-right alignments coincide
        else:
            mask = torch.zeros(L, S, dtype=query.dtype).masked_fill(
                torch.ones(L, S, dtype=torch.bool).triu(1), float("-inf"))
    elif attn_mask is not None:
        if not isinstance(attn_mask, torch.Tensor):
            raise TypeError(f"attn_mask must be a torch.Tensor, got {type(attn_mask).__name__}")
        if attn_mask.dtype == torch.bool:
            mask = torch.zeros(attn_mask.shape, dtype=query.dtype).masked_fill(
                ~attn_mask, float("-inf"))
        else:
            mask = _check(attn_mask, "attn_mask", query).detach()
    # Leading dimensions beyond [B, H] fold into B.
    lead = query.shape[:-3] if query.dim() > 4 else None
    q, k, v = query, key, value
    if lead is not None:
        q, k, v = (x.reshape((-1,) + tuple(x.shape[-3:])) for x in (q, k, v))
        if mask is not None and mask.dim() > 4:
            mask = mask.reshape((-1,) + tuple(mask.shape[-3:]))
    seed = offset = 0
    if dropout_p > 0.0:
        seed, offset = (int(x) for x in torch.randint(0, 2**62, (2,)))
    out = _Attention.apply(q, k, v, mask, causal, scale, float(dropout_p), seed, offset)
    if lead is not None:
        out = out.reshape(tuple(lead) + tuple(out.shape[-3:]))
    return out


class MultiheadAttention(torch.nn.MultiheadAttention):
    """`torch.nn.MultiheadAttention` whose attention is attn's: the same
    constructor arguments, parameters and `state_dict`, the same `forward`
    (`key_padding_mask`, `attn_mask`, `is_causal`, `batch_first`); the
    projections stay PyTorch's `F.linear`. `need_weights=True` (which
    returns the attention weights attn never forms) and `add_bias_kv` /
    `add_zero_attn` fall back to PyTorch's own forward. A query that every
    mask hides gets zeros (PyTorch's gives NaN)."""

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        if need_weights or self.bias_k is not None or self.add_zero_attn:
            return super().forward(query, key, value, key_padding_mask=key_padding_mask,
                                   need_weights=need_weights, attn_mask=attn_mask,
                                   average_attn_weights=average_attn_weights)
        batched = query.dim() == 3
        if not batched:
            query, key, value = (x.unsqueeze(1) for x in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        L, N, E = query.shape
        S = key.shape[0]
        H, Dh = self.num_heads, self.head_dim
        F_ = torch.nn.functional
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        # [L, N, E] -> [N, H, L, Dh]
        heads = lambda x, n: x.reshape(n, N, H, Dh).permute(1, 2, 0, 3)
        q = heads(F_.linear(query, w_q, b_q), L)
        k = heads(F_.linear(key, w_k, b_k), S)
        v = heads(F_.linear(value, w_v, b_v), S)
        # One additive mask [N | 1, H | 1, L | 1, S]: attn_mask ([L, S] or
        # [N H, L, S]; True hides) plus key_padding_mask ([N, S]; True hides).
        mask = None

        def additive(m):
            if m.dtype == torch.bool:
                return torch.zeros(m.shape, dtype=q.dtype).masked_fill(m, float("-inf"))
            return m.to(q.dtype)
        if attn_mask is not None:
            mask = additive(attn_mask)
            mask = mask.reshape(N, H, L, S) if mask.dim() == 3 else mask.reshape(1, 1, L, S)
        if key_padding_mask is not None:
            padding = additive(key_padding_mask).reshape(N, 1, 1, S)
            mask = padding if mask is None else mask + padding
        if is_causal and attn_mask is None:
            raise RuntimeError("is_causal is a hint that attn_mask is causal: "
                               "pass attn_mask with it")
        p = self.dropout if self.training else 0.0
        out = scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        out = out.permute(2, 0, 1, 3).reshape(L, N, E)
        out = F_.linear(out, self.out_proj.weight, self.out_proj.bias)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, None


def patch(model):
    """Makes every `torch.nn.MultiheadAttention` in `model` an attn
    `MultiheadAttention`, keeping its parameters (the same objects);
    returns `model`."""
    for module in model.modules():
        if type(module) is torch.nn.MultiheadAttention:
            module.__class__ = MultiheadAttention
    return model
