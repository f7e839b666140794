"""attn.flex_attention and attn.create_block_mask against a dense float64
reference that applies the same Python functions (called on numpy index
grids, which is what they are written for) to the whole score matrix:
FlexAttention's documented examples (ALiBi, soft-capping, relative
position, causal, sliding window, document masks from captured ids, prefix
LM), grouped-query heads, fully masked rows, float32 and float64; block
classification; and the functions that cannot be traced, rejected with
their construct and line."""

import os

import numpy as np
import pytest
import torch

import attn
from attn import create_block_mask, flex_attention

B, H, S, E = 2, 4, 150, 16
RNG = np.random.default_rng(0)
SLOPES = (2.0 ** -np.arange(1, H + 1)).astype(np.float32)
DOC = np.sort(RNG.integers(0, 5, S))
PREFIX = np.array([40, 90])


def dense(q, k, v, score_mod=None, mask_mod=None, scale=None):
    """float64 (out, lse): the functions applied to the index grids."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    k = np.repeat(k, q.shape[1] // k.shape[1], axis=1)
    v = np.repeat(v, q.shape[1] // v.shape[1], axis=1)
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum("bhmd,bhnd->bhmn", q, k) * scale
    b = np.arange(q.shape[0])[:, None, None, None]
    h = np.arange(q.shape[1])[None, :, None, None]
    i = np.arange(q.shape[2])[None, None, :, None]
    j = np.arange(k.shape[2])[None, None, None, :]
    if score_mod is not None:
        s = np.broadcast_to(score_mod(s, b, h, i, j), s.shape).astype(np.float64)
    if mask_mod is not None:
        s = np.where(np.broadcast_to(mask_mod(b, h, i, j), s.shape), s, -np.inf)
    m = s.max(-1, keepdims=True)
    dead = np.isneginf(m)
    p = np.exp(s - np.where(dead, 0, m))
    total = p.sum(-1, keepdims=True)
    out = np.where(dead, 0, (p @ v) / np.where(dead, 1, total))
    with np.errstate(divide="ignore"):
        lse = np.where(dead, -np.inf, np.log(total) + np.where(dead, 0, m))[..., 0]
    return out, lse


# FlexAttention's examples, as plain functions.
def alibi(score, b, h, q_idx, kv_idx):
    return score - SLOPES[h] * np.abs(q_idx - kv_idx)


def softcap(score, b, h, q_idx, kv_idx):
    return 20.0 * np.tanh(score / 20.0)


def relative(score, b, h, q_idx, kv_idx):
    return score + (q_idx - kv_idx) / 64


def causal(b, h, q_idx, kv_idx):
    return q_idx >= kv_idx


def sliding(b, h, q_idx, kv_idx):
    return (q_idx >= kv_idx) & (q_idx - kv_idx <= 32)


def document(b, h, q_idx, kv_idx):
    return (DOC[q_idx] == DOC[kv_idx]) & (q_idx >= kv_idx)


def prefix_lm(b, h, q_idx, kv_idx):
    return (kv_idx <= PREFIX[b]) | (q_idx >= kv_idx)


def odd_heads_see_nothing_before_10(b, h, q_idx, kv_idx):
    # Rows q < 10 of odd heads see no key: fully masked rows.
    return ~((h % 2 == 1) & (q_idx < 10))


CASES = [(alibi, None), (softcap, causal), (relative, sliding), (None, document),
         (alibi, prefix_lm), (softcap, odd_heads_see_nothing_before_10),
         (None, None)]


# Under ASan (scripts/test-sanitized) each compilation is several times
# slower: the examples run in float32 only.
SANITIZED = "ASAN_OPTIONS" in os.environ


@pytest.mark.parametrize("dtype", [np.float32] if SANITIZED else [np.float32, np.float64])
@pytest.mark.parametrize("score_mod, mask_mod", CASES)
def test_against_dense(score_mod, mask_mod, dtype):
    q = RNG.standard_normal((B, H, S, E)).astype(dtype)
    k = RNG.standard_normal((B, 2, S + 7, E)).astype(dtype)[:, :, :S]
    v = RNG.standard_normal((B, 2, S, 8)).astype(dtype)
    k = np.ascontiguousarray(k)
    block_mask = None
    if mask_mod is not None:
        block_mask = create_block_mask(mask_mod, B, H, S, S, BLOCK_SIZE=64)
    out, lse = flex_attention(q, k, v, score_mod=score_mod, block_mask=block_mask,
                              enable_gqa=True, return_lse=True)
    want, want_lse = dense(q, k, v, score_mod, mask_mod)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, want, atol=tol, rtol=tol)
    np.testing.assert_array_equal(np.isneginf(lse), np.isneginf(want_lse))
    finite = np.isfinite(want_lse)
    np.testing.assert_allclose(lse[finite], want_lse[finite], atol=tol, rtol=tol)


def test_scale_and_float16():
    q = RNG.standard_normal((1, 2, 40, 8)).astype(np.float16)
    k = RNG.standard_normal((1, 2, 50, 8)).astype(np.float16)
    out = flex_attention(q, k, k, score_mod=alibi, scale=0.5)
    want, _ = dense(q, k, k, alibi, scale=0.5)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.astype(np.float64), want, atol=3e-3)


def test_captured_arrays_of_every_kind():
    """Closure, globals and default arguments; float16, float64, int32 and
    bool arrays; a 2-D array indexed by two traced indices."""
    bias = RNG.standard_normal((S, S)).astype(np.float64)
    keep = RNG.random(S) > 0.2
    ids = DOC.astype(np.int32)
    half = SLOPES.astype(np.float16)

    def score_mod(score, b, h, q_idx, kv_idx, scale=half):
        return score + bias[q_idx, kv_idx] - scale[h]

    def mask_mod(b, h, q_idx, kv_idx):
        return keep[kv_idx] & (ids[q_idx] >= ids[kv_idx])

    q = RNG.standard_normal((1, H, S, E)).astype(np.float32)
    k = RNG.standard_normal((1, H, S, E)).astype(np.float32)
    mask = create_block_mask(mask_mod, 1, H, S, S)
    out = flex_attention(q, k, k, score_mod=score_mod, block_mask=mask)
    want, _ = dense(q, k, k, lambda s, b, h, i, j: s + bias[i, j] - half[h].astype(np.float64),
                    mask_mod)
    np.testing.assert_allclose(out, want, atol=2e-5)


def test_block_mask_classification():
    """Each block is empty, partial or full exactly as the dense mask says;
    B and H None broadcast; the last, partial, blocks are classified on
    their real rows and keys."""
    mask = create_block_mask(sliding, None, None, 300, 260, BLOCK_SIZE=(64, 32))
    assert mask.kinds.shape == (1, 1, 5, 9)
    dense_mask = sliding(0, 0, np.arange(300)[:, None], np.arange(260)[None, :])
    for i in range(5):
        for j in range(9):
            block = dense_mask[64 * i:64 * (i + 1), 32 * j:32 * (j + 1)]
            want = 0 if not block.any() else (2 if block.all() else 1)
            assert mask.kinds[0, 0, i, j] == want, (i, j)
    assert 0 < mask.sparsity() < 100
    assert "BlockMask" in repr(mask)


def _q():
    x = RNG.standard_normal((1, 2, 20, 8)).astype(np.float32)
    return x, x, x


@pytest.mark.parametrize("fn, message", [
    (lambda s, b, h, q, kv: s if q > kv else -s, "Python control flow"),
    (lambda s, b, h, q, kv: s + (1 if q else 0), "Python control flow"),
    (lambda s, b, h, q, kv: s + int(q), "cannot become a Python number"),
    (lambda s, b, h, q, kv: s + [1.0, 2.0][h], "cannot become a Python number"),
    (lambda s, b, h, q, kv: s + np.cumsum(s), "numpy.cumsum is not supported"),
    (lambda s, b, h, q, kv: s + np.arctan2(s, s), "numpy.arctan2 is not supported"),
    (lambda s, b, h, q, kv: SLOPES[:h], "indexed by a slice"),
    (lambda s, b, h, q, kv: s + SLOPES.sum(), "can only be indexed"),
    (lambda s, b, h, q, kv: s + SLOPES[q, kv], "of rank 1 indexed with 2"),
    (lambda s, b, h, q, kv: (s, s), "must return one number"),
    (lambda s, b, h, q, kv: s + "x", "cannot enter a traced"),
])
def test_untraceable_score_mods_name_the_construct_and_line(fn, message):
    with pytest.raises(attn.TraceError, match=message) as info:
        flex_attention(*_q(), score_mod=fn)
    assert "test_flex.py:" in str(info.value) or "must return" in message


def test_untraceable_mask_mod_and_wrong_result():
    def not_boolean(b, h, q_idx, kv_idx):
        return q_idx - kv_idx

    mask = create_block_mask(lambda b, h, q, kv: q >= kv, 1, 2, 20, 20)
    mask.mask_mod = not_boolean
    with pytest.raises(attn.TraceError, match="must return a boolean"):
        flex_attention(*_q(), block_mask=mask)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(block_mask="causal"), TypeError, "block_mask must come from"),
    (dict(block_mask=create_block_mask(causal, 1, 2, 30, 20)), ValueError, "Q_LEN=30"),
    (dict(block_mask=create_block_mask(causal, 3, 2, 20, 20)), ValueError, "B=3"),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        flex_attention(*_q(), **kwargs)


def test_grouped_heads_need_enable_gqa():
    q = RNG.standard_normal((1, 4, 20, 8)).astype(np.float32)
    k = RNG.standard_normal((1, 2, 20, 8)).astype(np.float32)
    with pytest.raises(ValueError, match="enable_gqa=True"):
        flex_attention(q, k, k)


# The regions twice: on the forward and on its backward.
REGIONS = """score_mod {
  ^bb0(%s: f64, %b: index, %h: index, %i: index, %j: index):
    BODY
  } mask_mod {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %keep = arith.cmpi sge, %i, %j : index
    attn.yield %keep : i1
  }"""
BACKWARD = """
func.func @f(%q: tensor<1x2x?x8xf64>, %k: tensor<1x2x?x8xf64>, %v: tensor<1x2x?x8xf64>,
             %g: tensor<1x2x?x8xf64>, %w: tensor<2xf64>)
    -> (tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>) {
  %o, %lse = attn.attention %q, %k, %v with_lse REGIONS
      : tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>
  %dq, %dk, %dv = attn.attention_backward %g, %q, %k, %v, %o, %lse REGIONS
      : tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>,
      tensor<1x2x?x8xf64>, tensor<1x2x?xf64>
  return %dq, %dk, %dv : tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>, tensor<1x2x?x8xf64>
}
""".replace("REGIONS", REGIONS)

# score_mod bodies (MLIR) and the same function in torch.
SCORE_MODS = {
    "scaled by a captured per-head weight": (
        """%c = tensor.extract %w[%h] : tensor<2xf64>
    %r = arith.mulf %s, %c : f64
    attn.yield %r : f64""",
        lambda s, w, h: s * w[h]),
    "tanh soft-capping written out": (
        """%c = arith.constant 3.0 : f64
    %x = arith.divf %s, %c : f64
    %t = math.tanh %x : f64
    %r = arith.mulf %t, %c : f64
    attn.yield %r : f64""",
        lambda s, w, h: 3.0 * torch.tanh(s / 3.0)),
    "exp, log, abs, max and select": (
        """%one = arith.constant 1.0 : f64
    %a = math.absf %s : f64
    %e = math.exp %a : f64
    %p = arith.addf %e, %one : f64
    %l = math.log %p : f64
    %m = arith.maximumf %l, %s : f64
    %neg = arith.cmpf olt, %s, %one : f64
    %half = arith.constant 0.5 : f64
    %sh = arith.mulf %s, %half : f64
    %r = arith.select %neg, %sh, %m : f64
    attn.yield %r : f64""",
        lambda s, w, h: torch.where(s < 1.0, 0.5 * s,
                                    torch.maximum(torch.log(torch.exp(s.abs()) + 1.0), s))),
}


@pytest.mark.parametrize("lowering", ["flash", "decomposed"])
@pytest.mark.parametrize("name", list(SCORE_MODS))
def test_score_mod_gradient_against_torch_autograd(name, lowering):
    """attention_backward differentiates score_mod (forward-mode rules over
    its ops): dq, dk, dv against PyTorch's autograd of the same function."""
    body, fn = SCORE_MODS[name]
    kernel = attn.compile(BACKWARD.replace("BODY", body), attention=lowering,
                          block_q=16, block_kv=16)
    rng = np.random.default_rng(3)
    q, k, v, g = (rng.standard_normal((1, 2, 37, 8)) for _ in range(4))
    w = np.array([0.7, -1.3])
    got = kernel(q, k, v, g, w)
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    s = fn(tq @ tk.transpose(-1, -2) / np.sqrt(8), torch.tensor(w),
           torch.arange(2)[None, :, None, None])
    s = s.masked_fill(torch.ones(37, 37, dtype=torch.bool).triu(1), -np.inf)
    (torch.softmax(s, -1) @ tv).backward(torch.tensor(g))
    for got_grad, t in zip(got, (tq, tk, tv)):
        np.testing.assert_allclose(got_grad, t.grad.numpy(), atol=1e-10, rtol=1e-9)


def test_torch_flex_attention_autograd():
    """attn.torch.flex_attention under autograd: forward, lse and the
    gradients of query, key and value against PyTorch's autograd of the
    dense formulation, with a captured tensor in score_mod and a document
    mask built by attn.torch.create_block_mask on index tensors."""
    import attn.torch as at
    gen = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 2, 90, 8, dtype=torch.float64, generator=gen,
                           requires_grad=True) for _ in range(3))
    weights = torch.tensor([0.5, 2.0], dtype=torch.float64)
    doc = torch.arange(90) // 30

    def score_mod(s, b, h, q_idx, kv_idx):
        return s * weights[h] + (q_idx - kv_idx) / 16

    def mask_mod(b, h, q_idx, kv_idx):
        return (doc[q_idx] == doc[kv_idx]) & (q_idx >= kv_idx)

    mask = at.create_block_mask(mask_mod, None, None, 90, 90)
    out, lse = at.flex_attention(q, k, v, score_mod=score_mod, block_mask=mask,
                                 return_lse=True)
    grad = torch.randn(out.shape, dtype=torch.float64, generator=gen)
    out.backward(grad)
    got = [t.grad.clone() for t in (q, k, v)]
    for t in (q, k, v):
        t.grad = None
    i, j = torch.arange(90)[:, None], torch.arange(90)[None, :]
    s = q @ k.transpose(-1, -2) / np.sqrt(8)
    s = s * weights[None, :, None, None] + (i - j) / 16
    s = s.masked_fill(~((doc[i] == doc[j]) & (i >= j)), -np.inf)
    want = torch.softmax(s, -1) @ v
    want.backward(grad)
    torch.testing.assert_close(out, want, atol=1e-12, rtol=1e-10)
    torch.testing.assert_close(lse, torch.logsumexp(s, -1), atol=1e-12, rtol=1e-10)
    for g, t in zip(got, (q, k, v)):
        torch.testing.assert_close(g, t.grad, atol=1e-10, rtol=1e-9)


@pytest.mark.parametrize("with_mask", [False, True])
def test_torch_flex_attention_gradcheck(with_mask):
    """torch.autograd.gradcheck in float64 (central differences of the
    compiled forward against the compiled backward), grouped-query heads,
    a tanh score_mod reading a captured tensor, and a sliding-window mask."""
    import attn.torch as at
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(1, 4, 12, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    k, v = (torch.randn(1, 2, 12, 4, dtype=torch.float64, generator=gen,
                        requires_grad=True) for _ in range(2))
    caps = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)

    def score_mod(s, b, h, q_idx, kv_idx):
        return caps[h] * np.tanh(s / caps[h])

    mask = None
    if with_mask:
        mask = at.create_block_mask(lambda b, h, qi, ki: (qi >= ki) & (qi - ki < 5),
                                    None, None, 12, 12, BLOCK_SIZE=64)
    fn = lambda q, k, v: at.flex_attention(q, k, v, score_mod=score_mod, block_mask=mask,
                                           enable_gqa=True)
    assert torch.autograd.gradcheck(fn, (q, k, v), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_torch_flex_attention_half_types(dtype):
    import attn.torch as at
    gen = torch.Generator().manual_seed(2)
    q, k, v = (torch.randn(1, 2, 40, 8, generator=gen).to(dtype).requires_grad_()
               for _ in range(3))
    out = at.flex_attention(q, k, v, score_mod=lambda s, b, h, qi, ki: s - (qi - ki) / 8)
    assert out.dtype == dtype
    out.float().sum().backward()
    i, j = torch.arange(40)[:, None], torch.arange(40)[None, :]
    s = q.float() @ k.float().transpose(-1, -2) / np.sqrt(8) - (i - j) / 8
    want = torch.softmax(s, -1) @ v.float()
    tol = 1e-2 if dtype == torch.bfloat16 else 2e-3
    torch.testing.assert_close(out.float(), want, atol=tol, rtol=tol)
    assert q.grad is not None and q.grad.dtype == dtype


@pytest.mark.parametrize("threads", [1, 2])
def test_backward_skips_empty_blocks(threads):
    """flex_attention_backward with a document block mask of 16 x 16 blocks
    (most of them empty): both backward passes skip the empty blocks (an
    scf.if per block) and the gradients are still autograd's of the dense
    masked attention, on one thread (keys pass) and two (queries pass)."""
    from attn import ops
    rng = np.random.default_rng(12)
    n = 96
    q, k, v = (rng.standard_normal((1, 2, n, 8)) for _ in range(3))
    doc = np.arange(n) // 24

    def mask_mod(b, h, qi, ki):
        return (doc[qi] == doc[ki]) & (qi >= ki)

    mask = attn.create_block_mask(mask_mod, None, None, n, n, BLOCK_SIZE=16)
    ops.set_threads(threads)
    try:
        out, lse = attn.flex_attention(q, k, v, block_mask=mask, return_lse=True)
        grad = rng.standard_normal(out.shape)
        got = attn.flex_attention_backward(grad, q, k, v, out, lse, block_mask=mask)
    finally:
        ops.set_threads(1)
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    i, j = np.arange(n)[:, None], np.arange(n)[None, :]
    keep = torch.from_numpy((doc[i] == doc[j]) & (i >= j))
    s = (tq @ tk.transpose(-1, -2) / np.sqrt(8)).masked_fill(~keep, -np.inf)
    (torch.softmax(s, -1) @ tv).backward(torch.from_numpy(grad))
    for g, t in zip(got, (tq, tk, tv)):
        np.testing.assert_allclose(g, t.grad.numpy(), atol=1e-10, rtol=1e-9)
