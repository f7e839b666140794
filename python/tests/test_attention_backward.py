"""attn.attention's row logsumexp (return_lse) and attn.attention_backward
against independent references: central finite differences of the float64
numpy reference attention, and PyTorch 1.13 autograd of the math
formulation `softmax(q kᵀ scale + mask) v` in float64, on 224 seeded random
cases: grouped-query and multi-query heads, causal with M < N and M > N
(rows that see no key), masks with broadcast dimensions, sizes off every
block, 1 and 2 threads, float32 (normwise relative error <= 1e-4) and
float64 (<= 1e-10)."""

import os

import numpy as np
import pytest
import torch

from attn import ops

import references as ref

TOL = {np.float32: 1e-4, np.float64: 1e-10}

# Under ASan (scripts/test-sanitized) each compilation is several times
# slower: a seventh of the random cases still runs every family and path.
CASES = 16 if "ASAN_OPTIONS" in os.environ else 112


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def rel_err(got, want, floor=1e-30):
    """Normwise relative error; `floor` is the scale of a reference that is
    0 (a query that sees one key has dq = 0 exactly, computed as a sum of
    terms that cancel to a rounding)."""
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape
    assert not np.any(np.isnan(got))
    scale = max(float(np.max(np.abs(want), initial=0.0)), floor)
    return float(np.max(np.abs(got - want), initial=0.0)) / scale


def ref_lse(q, k, mask=None, causal=False, scale=None):
    """float64 logsumexp of each row's scaled, masked scores; +inf for a row
    that sees no key."""
    q, k = np.asarray(q, np.float64), np.asarray(k, np.float64)
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    if q.ndim >= 3:
        k = np.repeat(k, q.shape[-3] // k.shape[-3], axis=-3)
    s = ref.masked_scores(np.matmul(q, np.swapaxes(k, -1, -2)) * scale, mask, causal)
    m = s.max(axis=-1, keepdims=True, initial=-np.inf)
    dead = np.isneginf(m)
    with np.errstate(divide="ignore"):
        lse = np.log(np.exp(s - np.where(dead, 0, m)).sum(-1)) + np.where(dead, 0, m)[..., 0]
    return np.where(dead[..., 0], np.inf, lse)


def torch_attention(q, k, v, mask, causal, scale):
    """softmax(q kᵀ scale + mask) v in torch, rows that see no key 0."""
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    if q.dim() >= 3:
        group = q.shape[-3] // k.shape[-3]
        k = k.repeat_interleave(group, dim=-3)
        v = v.repeat_interleave(group, dim=-3)
    s = q @ k.transpose(-1, -2) * scale
    bias = np.zeros(s.shape[-2:])
    if causal:
        bias = ref.causal_bias(s.shape[-2], s.shape[-1])
    s = s + t64(bias)
    if mask is not None:
        s = s + t64(mask)
    dead = torch.isneginf(s).all(-1, keepdim=True)
    p = torch.softmax(s.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)
    return p @ v


# (rank, Hq, Hkv, D, Dv, mask layout, causal, scale): the compiled families;
# the sizes B, M, N and the mask's contents vary within each.
FAMILIES = [
    (4, 4, 2, 16, 16, None, True, None),
    (4, 2, 2, 8, 5, "MN", False, None),
    (4, 3, 1, 5, 8, "B1MN", True, 0.3),
    (3, 2, 2, 16, 16, "1N", False, None),
    (2, 1, 1, 7, 3, None, True, None),
    (4, 4, 1, 16, 16, "111N", True, None),
    (3, 6, 2, 4, 4, "HMN", True, 2.0),
    (4, 2, 1, 16, 16, None, False, 0.125),
]


def random_case(seed, dtype):
    rng = np.random.default_rng([11, seed])
    rank, hq, hkv, d, dv, layout, causal, scale = FAMILIES[seed % len(FAMILIES)]
    b = int(rng.integers(1, 3))
    # Sizes off the 64-row blocks (65..140); every fifth case a decode-like
    # 1..16 rows or keys (blocks of 16). Fewer or more distinct block sizes
    # would change nothing but the number of kernels compiled.
    m = int(rng.integers(1, 17) if seed % 5 == 0 else rng.integers(64, 141))
    n = int(rng.integers(1, 17) if seed % 5 == 1 else rng.integers(64, 141))
    lead = {4: (b,), 3: (), 2: ()}[rank]
    heads_q = (hq,) if rank >= 3 else ()
    heads_kv = (hkv,) if rank >= 3 else ()
    q = rng.standard_normal(lead + heads_q + (m, d)).astype(dtype)
    k = rng.standard_normal(lead + heads_kv + (n, d)).astype(dtype)
    v = rng.standard_normal(lead + heads_kv + (n, dv)).astype(dtype)
    mask = None
    if layout is not None:
        shape = {"MN": (m, n), "B1MN": (b, 1, m, n), "1N": (1, n), "111N": (1, 1, 1, n),
                 "HMN": (hq, m, n)}[layout]
        mask = np.where(rng.random(shape) < rng.uniform(0, 0.4), -np.inf,
                        rng.standard_normal(shape)).astype(dtype)
        if layout in ("MN", "HMN") and m > 1 and rng.random() < 0.5:
            mask[..., int(rng.integers(0, m)), :] = -np.inf  # a row sees no key
    grad = rng.standard_normal(lead + heads_q + (m, dv)).astype(dtype)
    return q, k, v, mask, causal, scale, grad


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    ops.set_threads(request.param)
    yield request.param
    ops.set_threads(1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", range(CASES))
def test_against_torch_autograd(seed, dtype):
    q, k, v, mask, causal, scale, grad = random_case(seed, dtype)
    out, lse = ops.attention(q, k, v, mask, causal=causal, scale=scale, return_lse=True)
    assert lse.dtype == dtype and lse.shape == q.shape[:-1]
    want_lse = ref_lse(q, k, mask, causal, scale)
    assert np.array_equal(np.isinf(lse), np.isinf(want_lse))
    finite = np.isfinite(want_lse)
    np.testing.assert_allclose(lse[finite], want_lse[finite],
                               rtol=TOL[dtype], atol=TOL[dtype])
    dq, dk, dv = ops.attention_backward(grad, q, k, v, out, lse, mask, causal=causal,
                                        scale=scale)
    qt, kt, vt = (t64(x).requires_grad_() for x in (q, k, v))
    torch_attention(qt, kt, vt, mask, causal, scale).backward(t64(grad))
    # The size of one term of a gradient: the scale of a reference of 0.
    term = float(np.max(np.abs(grad))) * max(float(np.max(np.abs(x))) for x in (q, k, v))**2
    for name, got, want in (("dq", dq, qt.grad), ("dk", dk, kt.grad), ("dv", dv, vt.grad)):
        assert got.dtype == dtype and got.shape == want.shape, name
        assert rel_err(got, want.numpy(), term * 1e-3) < TOL[dtype], name


@pytest.mark.parametrize("seed", [0, 2, 6])
def test_threads_agree_with_torch(seed, threads):
    q, k, v, mask, causal, scale, grad = random_case(seed, np.float32)
    out, lse = ops.attention(q, k, v, mask, causal=causal, scale=scale, return_lse=True)
    grads = ops.attention_backward(grad, q, k, v, out, lse, mask, causal=causal,
                                   scale=scale)
    qt, kt, vt = (t64(x).requires_grad_() for x in (q, k, v))
    torch_attention(qt, kt, vt, mask, causal, scale).backward(t64(grad))
    for got, want in zip(grads, (qt.grad, kt.grad, vt.grad)):
        assert rel_err(got, want.numpy()) < 1e-4


@pytest.mark.parametrize("seed", [1, 2, 6, 11, 13])
@pytest.mark.parametrize("lowering,block_q,block_kv", [
    ("decomposed", None, None), ("flash", 16, 32), ("flash", 32, 16)])
def test_lowerings_agree_with_torch(seed, lowering, block_q, block_kv):
    q, k, v, mask, causal, scale, grad = random_case(seed, np.float64)
    out, lse = ops.attention(q, k, v, mask, causal=causal, scale=scale, return_lse=True)
    grads = ops.attention_backward(grad, q, k, v, out, lse, mask, causal=causal,
                                   scale=scale, lowering=lowering, block_q=block_q,
                                   block_kv=block_kv)
    qt, kt, vt = (t64(x).requires_grad_() for x in (q, k, v))
    torch_attention(qt, kt, vt, mask, causal, scale).backward(t64(grad))
    for got, want in zip(grads, (qt.grad, kt.grad, vt.grad)):
        assert rel_err(got, want.numpy()) < 1e-10


def numpy_backward(q, k, v, grad, causal):
    """The analytic gradients of the math attention (one head per key/value
    head), in float64 numpy: P = softmax(S), dV = Pᵀ dO, dP = dO vᵀ,
    dS = P (dP - rowsum(dP P)), dQ = dS k scale, dK = dSᵀ q scale."""
    scale = 1 / np.sqrt(q.shape[-1])
    s = q @ np.swapaxes(k, -1, -2) * scale
    if causal:
        s = s + ref.causal_bias(s.shape[-2], s.shape[-1])
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    dp = grad @ np.swapaxes(v, -1, -2)
    ds = p * (dp - (dp * p).sum(-1, keepdims=True)) * scale
    return ds @ k, np.swapaxes(ds, -1, -2) @ q, np.swapaxes(p, -1, -2) @ grad


@pytest.mark.parametrize("causal", [False, True])
def test_larger_against_numpy(causal):
    # 2 heads of 300 queries and 450 keys, D 64: several blocks each way.
    rng = np.random.default_rng(9)
    q = rng.standard_normal((2, 300, 64))
    k = rng.standard_normal((2, 450, 64))
    v = rng.standard_normal((2, 450, 64))
    grad = rng.standard_normal((2, 300, 64))
    out, lse = ops.attention(q, k, v, causal=causal, return_lse=True)
    grads = ops.attention_backward(grad, q, k, v, out, lse, causal=causal)
    for got, want in zip(grads, numpy_backward(q, k, v, grad, causal)):
        assert rel_err(got, want) < 1e-10


def test_finite_differences():
    rng = np.random.default_rng(5)
    q = rng.standard_normal((1, 4, 5, 3))
    k = rng.standard_normal((1, 2, 7, 3))
    v = rng.standard_normal((1, 2, 7, 2))
    mask = np.where(rng.random((5, 7)) < 0.3, -np.inf, 0.0)
    mask[:, 0] = 0.0
    w = rng.standard_normal((1, 4, 5, 2))
    out, lse = ops.attention(q, k, v, mask, causal=True, return_lse=True)
    grads = ops.attention_backward(w, q, k, v, out, lse, mask, causal=True)
    h = 1e-6
    for x, got in zip((q, k, v), grads):
        want = np.zeros_like(x)
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            old = x[i]
            x[i] = old + h
            fp = ref.ref_attention(q, k, v, mask, causal=True)
            x[i] = old - h
            fm = ref.ref_attention(q, k, v, mask, causal=True)
            x[i] = old
            want[i] = np.sum(w * (fp - fm)) / (2 * h)
        assert rel_err(got, want) < 1e-7


@pytest.mark.parametrize("lowering", ["flash", "decomposed"])
def test_lse_of_rows_that_see_no_key(lowering):
    # Causal with M > N: the first M - N rows see no key; a masked row too.
    rng = np.random.default_rng(1)
    q = rng.standard_normal((2, 9, 8)).astype(np.float32)
    k = rng.standard_normal((2, 4, 8)).astype(np.float32)
    v = rng.standard_normal((2, 4, 8)).astype(np.float32)
    mask = np.zeros((9, 4), np.float32)
    mask[7] = -np.inf
    for masked_rows in ("zero", "nan"):
        out, lse = ops.attention(q, k, v, mask, causal=True, masked_rows=masked_rows,
                                 lowering=lowering, return_lse=True)
        dead = np.zeros(9, bool)
        dead[:5] = dead[7] = True
        assert np.all(lse[:, dead] == np.inf)
        np.testing.assert_allclose(lse[:, ~dead], ref_lse(q, k, mask, True)[:, ~dead],
                                   rtol=1e-6)
        grad = np.ones_like(out)
        dq, dk, dv = ops.attention_backward(grad, q, k, v, out, lse, mask, causal=True,
                                            masked_rows=masked_rows)
        # No NaN of a masked_rows = nan output leaks into the keys' gradients.
        assert np.all(dq[:, dead] == 0)
        assert np.all(np.isfinite(dk)) and np.all(np.isfinite(dv))
        qt, kt, vt = (t64(x).requires_grad_() for x in (q, k, v))
        torch_attention(qt, kt, vt, mask, True, None).backward(t64(grad))
        assert rel_err(dk, kt.grad.numpy()) < 1e-4
        assert rel_err(dv, vt.grad.numpy()) < 1e-4


def test_half_precision_lse_is_float32():
    rng = np.random.default_rng(2)
    q = rng.standard_normal((2, 16, 8)).astype(np.float16)
    k = rng.standard_normal((2, 16, 8)).astype(np.float16)
    v = rng.standard_normal((2, 16, 8)).astype(np.float16)
    out, lse = ops.attention(q, k, v, return_lse=True)
    assert out.dtype == np.float16 and lse.dtype == np.float32
    np.testing.assert_allclose(lse, ref_lse(q, k), rtol=1e-5, atol=1e-5)
    grad = rng.standard_normal(out.shape).astype(np.float16)
    dq, dk, dv = ops.attention_backward(grad, q, k, v, out, lse)
    assert dq.dtype == dk.dtype == dv.dtype == np.float16
    qt, kt, vt = (t64(x).requires_grad_() for x in (q, k, v))
    torch_attention(qt, kt, vt, None, False, None).backward(t64(grad))
    for got, want in zip((dq, dk, dv), (qt.grad, kt.grad, vt.grad)):
        assert rel_err(got, want.numpy()) < 5e-3  # f16 rounding of inputs and out


def test_huge_scores():
    # Scores of 1e4: P = exp(s - lse) <= 1, no overflow.
    q = np.array([[100.0, 0.0], [0.0, 100.0]], np.float64)
    k = np.array([[100.0, 0.0], [0.0, 100.0], [99.0, 1.0]], np.float64)
    v = np.array([[1.0], [2.0], [3.0]], np.float64)
    out, lse = ops.attention(q, k, v, scale=1.0, return_lse=True)
    grads = ops.attention_backward(np.ones_like(out), q, k, v, out, lse, scale=1.0)
    qt, kt, vt = (t64(x).requires_grad_() for x in (q, k, v))
    torch_attention(qt, kt, vt, None, False, 1.0).backward(torch.ones(2, 1, dtype=torch.float64))
    for got, want in zip(grads, (qt.grad, kt.grad, vt.grad)):
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(got, want.numpy(), atol=1e-9)


def test_errors_name_the_argument():
    q = np.zeros((2, 4, 8), np.float32)
    out, lse = ops.attention(q, q, q, return_lse=True)
    with pytest.raises(TypeError, match="lse must be float32"):
        ops.attention_backward(out, q, q, q, out, lse.astype(np.float64))
    with pytest.raises(TypeError, match="grad_out must have the dtype of q"):
        ops.attention_backward(out.astype(np.float64), q, q, q, out, lse)
    with pytest.raises(ValueError, match=r"attention_backward: .*lse dimension 1 \(3\).*"
                                         r"query dimension 1 \(4\).*lse is lse"):
        ops.attention_backward(out, q, q, q, out, lse[:, :3])
    with pytest.raises(ValueError, match=r"attention_backward: .*grad.*grad is grad_out"):
        ops.attention_backward(out[:, :, :5], q, q, q, out, lse)


# --------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------

def dropout_bits(p, seed, offset, shape, heads_first=True):
    """The keep bits attn draws for scores of `shape` [B, H, M, N], read
    from attn itself: with q = 0 every probability is 1/N, and v = I makes
    out[b, h, i, j] = Z / ((1 - p) N)."""
    b, h, m, n = shape
    q = np.zeros((b, h, m, 1))
    k = np.zeros((b, h, n, 1))
    v = np.broadcast_to(np.eye(n), (b, h, n, n)).copy()
    out = ops.attention(q, k, v, dropout_p=p, seed=seed, offset=offset)
    return out * (1 - p) * n > 0.5


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_keep_rate(p):
    z = dropout_bits(p, seed=2024, offset=0, shape=(1, 4, 256, 256))
    # Binomial: within 5 standard deviations of 1 - p.
    n = z.size
    assert abs(z.mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)


def test_dropout_rows_heads_and_offsets_are_independent():
    p = 0.5
    z = dropout_bits(p, seed=7, offset=3, shape=(2, 2, 256, 256)).astype(np.float64)
    limit = 5 / np.sqrt(z[0, 0].size)  # 5 sigma of a correlation of independent bits

    def corr(a, b):
        a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
        return float(a @ b / np.sqrt((a @ a) * (b @ b)))
    assert abs(corr(z[0, 0, :-1], z[0, 0, 1:])) < limit      # adjacent rows
    assert abs(corr(z[0, 0, :, :-1], z[0, 0, :, 1:])) < limit  # adjacent keys
    assert abs(corr(z[0, 0], z[0, 1])) < limit               # heads
    assert abs(corr(z[0, 0], z[1, 0])) < limit               # batches
    other = dropout_bits(p, seed=7, offset=4, shape=(2, 2, 256, 256)).astype(np.float64)
    assert abs(corr(z, other)) < limit                       # the next offset
    again = dropout_bits(p, seed=7, offset=3, shape=(2, 2, 256, 256))
    assert np.array_equal(z, again)                          # a function of the state


@pytest.mark.parametrize("lowering", ["flash", "decomposed"])
@pytest.mark.parametrize("seed", [0, 2, 3, 6])
def test_dropout_forward_and_backward_against_torch(seed, lowering, threads):
    q, k, v, mask, causal, scale, grad = random_case(seed, np.float64)
    p, state = 0.25, (987654321987, 42 + seed)
    out, lse = ops.attention(q, k, v, mask, causal=causal, scale=scale, return_lse=True,
                             lowering=lowering, dropout_p=p, seed=state[0],
                             offset=state[1])
    # The bits of these scores, read from attn with q = 0 and v = I.
    # (Ranks 2 and 3 are rank 4 with leading batch and head indices 0.)
    m, n = q.shape[-2], k.shape[-2]
    lead = (1,) * (4 - q.ndim) + q.shape[:-2]
    z = dropout_bits(p, state[0], state[1], lead + (m, n)).reshape(q.shape[:-1] + (n,))
    # The forward's lse is the undropped one.
    np.testing.assert_allclose(lse[np.isfinite(lse)],
                               ref_lse(q, k, mask, causal, scale)[np.isfinite(lse)],
                               rtol=1e-10)
    grads = ops.attention_backward(grad, q, k, v, out, lse, mask, causal=causal,
                                   scale=scale, lowering=lowering, dropout_p=p,
                                   seed=state[0], offset=state[1])
    qt, kt, vt = (t64(x).requires_grad_() for x in (q, k, v))
    if q.ndim >= 3:
        g = q.shape[-3] // k.shape[-3]
        kk, vv = kt.repeat_interleave(g, dim=-3), vt.repeat_interleave(g, dim=-3)
    else:
        kk, vv = kt, vt
    s = qt @ kk.transpose(-1, -2) * (scale if scale is not None else 1 / np.sqrt(q.shape[-1]))
    s = s + t64(ref.causal_bias(m, n) if causal else np.zeros((m, n)))
    if mask is not None:
        s = s + t64(mask)
    dead = torch.isneginf(s).all(-1, keepdim=True)
    probs = torch.softmax(s.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)
    o = (probs * t64(z) / (1 - p)) @ vv
    np.testing.assert_allclose(out, o.detach().numpy(), atol=1e-12)
    o.backward(t64(grad))
    for got, want in zip(grads, (qt.grad, kt.grad, vt.grad)):
        assert rel_err(got, want.numpy()) < 1e-10


def test_dropout_errors():
    q = np.zeros((2, 4, 8), np.float32)
    with pytest.raises(ValueError, match=r"dropout_p must be in \[0, 1\)"):
        ops.attention(q, q, q, dropout_p=1.0)
    with pytest.raises(TypeError, match="seed must be an integer"):
        ops.attention(q, q, q, dropout_p=0.5, seed=1.5)


def test_flash_backward_with_dynamic_head_dimension():
    """The flash backward compiled for a dynamic head dimension (attn.ops
    keeps it static; a user's function need not): its blocks of [rows, D]
    are sized at run time. Gradients against PyTorch's autograd."""
    import attn
    src = """
func.func @b(%do: tensor<1x2x?x?xf64>, %q: tensor<1x2x?x?xf64>, %k: tensor<1x2x?x?xf64>, %v: tensor<1x2x?x?xf64>, %o: tensor<1x2x?x?xf64>, %lse: tensor<1x2x?xf64>) -> (tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>) {
  %dq, %dk, %dv = attn.attention_backward %do, %q, %k, %v, %o, %lse causal : tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>, tensor<1x2x?xf64>
  return %dq, %dk, %dv : tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>, tensor<1x2x?x?xf64>
}"""
    kernel = attn.compile(src)
    rng = np.random.default_rng(8)
    for m, n, d in [(70, 90, 24), (5, 130, 7)]:
        q = rng.standard_normal((1, 2, m, d))
        k, v = rng.standard_normal((2, 1, 2, n, d))
        out, lse = ops.attention(q, k, v, causal=True, return_lse=True)
        grad = rng.standard_normal(out.shape)
        got = kernel(grad, q, k, v, out, lse)
        tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
        s = (tq @ tk.transpose(-1, -2) / np.sqrt(d)).masked_fill(
            torch.ones(m, n, dtype=torch.bool).triu(n - m + 1), -np.inf)
        (torch.softmax(s, -1) @ tv).backward(torch.from_numpy(grad))
        for g, t in zip(got, (tq, tk, tv)):
            np.testing.assert_allclose(g, t.grad.numpy(), atol=1e-12, rtol=1e-10)
