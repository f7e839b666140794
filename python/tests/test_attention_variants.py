"""attn.attention's variants (sliding window, softcap, ALiBi, boolean and
key-padding masks, and their combinations with causal, grouped-query heads
and M != N), forward, lse and backward, against a dense float64 reference
that applies the same functions to the whole score matrix in PyTorch, whose
autograd gives the reference gradients. Both lowerings, sizes off every
block, fully masked rows."""

import itertools
import os

import numpy as np
import pytest
import torch

from attn import ops


def dense_scores(q, k, scale, causal=False, window=None, softcap=None,
                 slopes=None, mask=None):
    """float64 scores [B, Hq, M, N] with every variant applied, -inf where
    hidden, from torch tensors (q [B, Hq, M, D], k [B, Hq, N, D])."""
    m, n = q.shape[-2], k.shape[-2]
    s = q @ k.transpose(-1, -2) * scale
    if softcap is not None:
        s = softcap * torch.tanh(s / softcap)
    i = torch.arange(m)[:, None]
    j = torch.arange(n)[None, :]
    offset = j - (i + n - m)  # key j right of row i's diagonal key
    if slopes is not None:
        s = s - torch.as_tensor(slopes, dtype=torch.float64)[:, None, None] * offset.abs()
    if mask is not None:
        mask = torch.as_tensor(mask)
        s = torch.where(mask, s, torch.tensor(-np.inf, dtype=torch.float64)) \
            if mask.dtype == torch.bool else s + mask.double()
    hidden = torch.zeros(m, n, dtype=torch.bool)
    if causal:
        hidden |= offset > 0
    if window is not None:
        left, right = window
        if left is not None and left >= 0:
            hidden |= offset < -left
        if right is not None and right >= 0:
            hidden |= offset > right
    return s.masked_fill(hidden, -np.inf)


def dense_attention(q, k, v, **variant):
    """(out, lse) in float64 torch; rows that see no key: out 0, lse +inf."""
    groups = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(groups, dim=1)
    v = v.repeat_interleave(groups, dim=1)
    scale = 1.0 / np.sqrt(q.shape[-1])
    s = dense_scores(q, k, scale, **variant)
    lse = torch.logsumexp(s, dim=-1)
    dead = torch.isneginf(lse)
    p = torch.exp(s - torch.where(dead, torch.zeros_like(lse), lse)[..., None])
    out = (p @ v).masked_fill(dead[..., None], 0.0)
    return out, lse.masked_fill(dead, np.inf)


def rel_err(got, want, floor=1e-30):
    """Normwise relative error; `floor` is the scale of a reference that is
    0 (a row that sees one key has dq = 0, computed as terms that cancel to
    a rounding)."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape
    assert not np.isnan(got).any()
    scale = max(float(np.abs(want).max(initial=0.0)), floor)
    return float(np.abs(got - want).max(initial=0.0)) / scale


TOL = {np.float32: 2e-5, np.float64: 1e-11}

# (M, N, Hq, Hkv, causal, window, softcap, alibi, mask kind)
CASES = [
    (100, 130, 4, 2, False, (20, 5), None, False, None),
    (128, 128, 4, 2, True, (32, 0), 30.0, True, None),
    (70, 200, 2, 2, False, (None, 3), None, False, "bool"),
    (64, 64, 4, 1, False, None, None, True, "bool"),
    (96, 160, 4, 2, True, (40, None), 5.0, False, "float"),
    # M > N with causal: the first rows see no key; a window of 0 both sides
    # keeps the diagonal key only.
    (150, 90, 2, 1, True, (0, 0), None, True, None),
    (33, 257, 2, 2, False, (64, 64), 2.0, True, "bool"),
    # Every key of a batch entry padded away: those rows see nothing.
    (40, 70, 2, 2, False, None, 10.0, False, "padding"),
]


def make_case(case, dtype, seed):
    m, n, hq, hkv, causal, window, softcap, alibi, mask_kind = case
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((2, hq, m, 16)).astype(dtype)
    k = rng.standard_normal((2, hkv, n, 16)).astype(dtype)
    v = rng.standard_normal((2, hkv, n, 8)).astype(dtype)
    kwargs = dict(causal=causal, window=window, softcap=softcap)
    ref_kwargs = dict(kwargs)
    if alibi:
        slopes = (2.0 ** -np.arange(1, hq + 1)).astype(dtype)
        kwargs["alibi_slopes"] = ref_kwargs["slopes"] = slopes
    if mask_kind == "bool":
        mask = rng.random((2, 1, m, n)) > 0.3
        kwargs["mask"] = ref_kwargs["mask"] = mask
    elif mask_kind == "float":
        mask = np.where(rng.random((m, n)) > 0.2, 0.0, -np.inf).astype(dtype)
        kwargs["mask"] = ref_kwargs["mask"] = mask
    elif mask_kind == "padding":
        lengths = np.array([n // 3, 0])
        kwargs["key_lengths"] = lengths
        ref_kwargs["mask"] = (np.arange(n) < lengths[:, None])[:, None, None, :]
    return q, k, v, kwargs, ref_kwargs


# Under ASan (scripts/test-sanitized) each compilation is several times
# slower: every case still runs, in float32 by both lowerings.
SANITIZED = "ASAN_OPTIONS" in os.environ


@pytest.mark.parametrize("lowering", ["flash", "decomposed"])
@pytest.mark.parametrize("dtype", [np.float32] if SANITIZED else [np.float32, np.float64])
@pytest.mark.parametrize("index", range(len(CASES)))
def test_forward_and_backward(index, dtype, lowering):
    q, k, v, kwargs, ref_kwargs = make_case(CASES[index], dtype, seed=index)
    out, lse = ops.attention(q, k, v, return_lse=True, lowering=lowering, **kwargs)
    tq, tk, tv = (torch.tensor(x, dtype=torch.float64, requires_grad=True)
                  for x in (q, k, v))
    want_out, want_lse = dense_attention(tq, tk, tv, **ref_kwargs)
    assert rel_err(out, want_out.detach().numpy()) < TOL[dtype]
    finite = np.isfinite(want_lse.detach().numpy())
    assert np.array_equal(np.isfinite(lse), finite)
    assert rel_err(lse[finite], want_lse.detach().numpy()[finite]) < TOL[dtype]

    rng = np.random.default_rng(100 + index)
    grad = rng.standard_normal(out.shape).astype(dtype)
    want_out.backward(torch.from_numpy(grad.astype(np.float64)))
    got = ops.attention_backward(grad, q, k, v, out, lse, lowering=lowering,
                                 **kwargs)
    for name, g, t in zip("qkv", got, (tq, tk, tv)):
        assert rel_err(g, t.grad.numpy(), floor=1.0) < 10 * TOL[dtype], name


def test_window_hides_far_keys_whatever_their_values():
    """A key outside every row's window is never read by the flash loop:
    NaN keys and values there leave the result finite and equal to the
    attention without them."""
    rng = np.random.default_rng(7)
    m = n = 512
    q = rng.standard_normal((1, 1, m, 16)).astype(np.float32)
    k = rng.standard_normal((1, 1, n, 16)).astype(np.float32)
    v = rng.standard_normal((1, 1, n, 16)).astype(np.float32)
    # Rows 448.. with a window of 64 to the left see keys 384..: poison the
    # first 256 keys and check those rows.
    kp, vp = k.copy(), v.copy()
    kp[..., :256, :] = np.nan
    vp[..., :256, :] = np.nan
    got = ops.attention(q, kp, vp, causal=True, window=(64, 0))[..., 448:, :]
    want = ops.attention(q, k, v, causal=True, window=(64, 0))[..., 448:, :]
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(got, want)


def test_sliding_window_equals_banded_boolean_mask():
    """window = (left, right) is the boolean band mask, materialized."""
    rng = np.random.default_rng(3)
    m, n = 200, 300
    q = rng.standard_normal((1, 2, m, 32)).astype(np.float64)
    k = rng.standard_normal((1, 2, n, 32)).astype(np.float64)
    v = rng.standard_normal((1, 2, n, 32)).astype(np.float64)
    offset = np.arange(n)[None, :] - (np.arange(m)[:, None] + n - m)
    band = (offset >= -17) & (offset <= 9)
    got = ops.attention(q, k, v, window=(17, 9))
    want = ops.attention(q, k, v, mask=band)
    assert rel_err(got, want) < 1e-13


def test_boolean_mask_fully_masked_rows_follow_masked_rows():
    """A row whose boolean mask is all False sees no key: zeros (or NaN with
    masked_rows='nan'), unlike a finite additive mask."""
    rng = np.random.default_rng(5)
    q = rng.standard_normal((3, 40, 16)).astype(np.float32)
    k = rng.standard_normal((3, 50, 16)).astype(np.float32)
    mask = np.ones((40, 50), bool)
    mask[7] = False
    out = ops.attention(q, k, k, mask=mask)
    assert (out[:, 7] == 0).all() and np.isfinite(out).all()
    nan = ops.attention(q, k, k, mask=mask, masked_rows="nan")
    assert np.isnan(nan[:, 7]).all() and np.isfinite(np.delete(nan, 7, axis=1)).all()


def test_key_padding_mask_and_lengths_agree():
    rng = np.random.default_rng(11)
    q = rng.standard_normal((2, 4, 30, 16)).astype(np.float32)
    k = rng.standard_normal((2, 2, 45, 16)).astype(np.float32)
    lengths = np.array([45, 12])
    keep = np.arange(45)[None, :] < lengths[:, None]
    a = ops.attention(q, k, k, key_lengths=lengths)
    b = ops.attention(q, k, k, key_padding_mask=keep)
    np.testing.assert_array_equal(a, b)
    # Combined with an additive mask: both apply.
    additive = np.where(rng.random((30, 45)) > 0.5, 0.0, -np.inf).astype(np.float32)
    tq, tk = (torch.tensor(x, dtype=torch.float64) for x in (q, k))
    want, _ = dense_attention(tq, tk, tk, mask=torch.from_numpy(
        np.where(keep[:, None, None, :], additive, -np.inf)))
    got = ops.attention(q, k, k, mask=additive, key_lengths=lengths)
    assert rel_err(got, want.numpy()) < 2e-5


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(window=(1, 2, 3)), ValueError, "window must be a pair"),
    (dict(window=(-2, 0)), ValueError, "window's left size"),
    (dict(window=(1.5, 0)), ValueError, "window's left size"),
    (dict(softcap=0.0), ValueError, "softcap must be positive"),
    (dict(softcap=float("inf")), ValueError, "softcap must be positive"),
    (dict(alibi_slopes=np.ones(3, np.float32)), ValueError, "alibi_slopes must have shape"),
    (dict(alibi_slopes=np.ones(4, np.float64)), TypeError, "alibi_slopes must have the dtype"),
    (dict(key_lengths=np.array([1.5, 2.0])), ValueError, "key_lengths must be integers"),
    (dict(key_padding_mask=np.ones((2, 9), bool)), ValueError, "key_padding_mask must have shape"),
    (dict(key_padding_mask=np.ones((2, 10), np.int8)), TypeError, "key_padding_mask must be a boolean"),
    (dict(mask=np.ones((5, 10), np.int8)), TypeError, "mask must be a floating-point"),
])
def test_bad_variant_arguments(kwargs, error, message):
    q = np.zeros((2, 4, 5, 8), np.float32)
    k = np.zeros((2, 2, 10, 8), np.float32)
    with pytest.raises(error, match=message):
        ops.attention(q, k, k, **kwargs)


@pytest.mark.parametrize("blocks", [(16, 16), (32, 16), (64, 64)])
def test_softcap_gradient_through_every_block_shape(blocks):
    """The softcap's derivative reads each block's own raw scores (a flash
    backward with small blocks, several key and query blocks per head)."""
    rng = np.random.default_rng(21)
    q = (3 * rng.standard_normal((1, 2, 48, 16))).astype(np.float64)
    k = (3 * rng.standard_normal((1, 2, 80, 16))).astype(np.float64)
    v = rng.standard_normal((1, 2, 80, 8)).astype(np.float64)
    kwargs = dict(softcap=2.0, causal=True, window=(40, 0))
    out, lse = ops.attention(q, k, v, return_lse=True, block_q=blocks[0],
                             block_kv=blocks[1], **kwargs)
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    want, _ = dense_attention(tq, tk, tv, **kwargs)
    grad = rng.standard_normal(out.shape)
    want.backward(torch.from_numpy(grad))
    got = ops.attention_backward(grad, q, k, v, out, lse, block_q=blocks[0],
                                 block_kv=blocks[1], **kwargs)
    for name, g, t in zip("qkv", got, (tq, tk, tv)):
        assert rel_err(g, t.grad.numpy(), floor=1.0) < 1e-10, name


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("rank", [2, 3, 4])
def test_packed_documents_equal_separate_attentions(causal, rank):
    """cu_seqlens (FlashAttention's varlen form): each document of the
    packed sequence attends within itself only, as if run alone; a
    one-token document and documents off every block boundary included."""
    rng = np.random.default_rng(31 + rank)
    cu = np.array([0, 1, 70, 200, 201, 333])
    lead = {2: (), 3: (4,), 4: (2, 4)}[rank]
    q = rng.standard_normal(lead + (333, 16)).astype(np.float32)
    k = rng.standard_normal(lead + (333, 16)).astype(np.float32)
    v = rng.standard_normal(lead + (333, 8)).astype(np.float32)
    out = ops.attention(q, k, v, causal=causal, cu_seqlens=cu)
    for start, end in zip(cu[:-1], cu[1:]):
        piece = (Ellipsis, slice(start, end), slice(None))
        tq, tk, tv = (torch.tensor(x[piece], dtype=torch.float64) for x in (q, k, v))
        if rank == 2:
            tq, tk, tv = (x[None, None] for x in (tq, tk, tv))
        elif rank == 3:
            tq, tk, tv = (x[None] for x in (tq, tk, tv))
        want, _ = dense_attention(tq, tk, tv, causal=causal)
        assert rel_err(out[piece], want.reshape(out[piece].shape).numpy()) < 2e-5


@pytest.mark.parametrize("cu, message", [
    (np.array([0, 5]), "must increase from 0 to 10"),
    (np.array([1, 10]), "must increase from 0 to 10"),
    (np.array([0, 6, 4, 10]), "must increase from 0 to 10"),
    (np.array([0.0, 10.0]), "1-D integer array"),
])
def test_bad_cu_seqlens(cu, message):
    q = np.zeros((2, 10, 8), np.float32)
    with pytest.raises(ValueError, match=message):
        ops.attention(q, q, q, cu_seqlens=cu)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("causal,window", [(True, (24, 0)), (False, (20, 7)),
                                           (False, (None, 3)), (False, (5, None))])
def test_window_backward_visits_only_reached_blocks(causal, window, threads):
    """The backward skips the blocks outside every row's window, in the
    keys pass (one thread: dK, dV and dQ) and in the queries pass (threads:
    dQ); with blocks of 16 and M != N, the gradients are autograd's (a
    block skipped that a row reaches would lose its share)."""
    rng = np.random.default_rng(41)
    m, n = 100, 130
    q = rng.standard_normal((1, 2, m, 16))
    k = rng.standard_normal((1, 2, n, 16))
    v = rng.standard_normal((1, 2, n, 8))
    kwargs = dict(causal=causal, window=window)
    ops.set_threads(threads)
    try:
        out, lse = ops.attention(q, k, v, return_lse=True, block_q=16,
                                 block_kv=16, **kwargs)
        grad = rng.standard_normal(out.shape)
        got = ops.attention_backward(grad, q, k, v, out, lse, block_q=16,
                                     block_kv=16, **kwargs)
    finally:
        ops.set_threads(1)
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    want, _ = dense_attention(tq, tk, tv, **kwargs)
    want.backward(torch.from_numpy(grad))
    for name, g, t in zip("qkv", got, (tq, tk, tv)):
        assert rel_err(g, t.grad.numpy(), floor=1.0) < 1e-10, name


def test_rank2_dynamic_alibi_slope_checked_at_run_time():
    """At rank 2 (one head) the slopes are [1]; a dynamic size is accepted by
    the verifier and checked when the kernel runs."""
    import attn
    kernel = attn.compile("""
func.func @a(%q: tensor<?x16xf64>, %s: tensor<?xf64>) -> tensor<?x16xf64> {
  %o = attn.attention %q, %q, %q alibi %s causal : tensor<?x16xf64>, tensor<?x16xf64>, tensor<?x16xf64> alibi tensor<?xf64>
  return %o : tensor<?x16xf64>
}""")
    rng = np.random.default_rng(4)
    q = rng.standard_normal((50, 16))
    got = kernel(q, np.array([0.25]))
    tq = torch.tensor(q)
    want, _ = dense_attention(tq[None, None], tq[None, None], tq[None, None],
                              causal=True, slopes=np.array([0.25]))
    assert rel_err(got, want[0, 0].detach().numpy()) < 1e-12
    with pytest.raises(ValueError, match="alibi slopes dimension 0 is not 1 "
                                         r"\(one head\)"):
        kernel(q, np.array([0.25, 0.5]))
