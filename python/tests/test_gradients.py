"""The gradient ops (attn.ops.<op>_backward) against independent references:
central finite differences of the float64 numpy references (references.py)
on small cases, and PyTorch 1.13 autograd of the math formulation in float64
on seeded random cases (masks, causal, ignored rows, sizes off every vector
width, 1 and 2 threads, float32 and float64). Then the numerics each op
documents: -inf masks, fully masked rows, logits of 1e4, p = 0, ties."""

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from attn import ops

import references as ref

# Normwise relative error bounds of the issue: f32 1e-4, f64 1e-10.
TOL = {np.float32: 1e-4, np.float64: 1e-10}


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def rel_err(got, want):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    scale = max(float(np.max(np.abs(want[ok]), initial=0.0)), 1e-30)
    return float(np.max(np.abs(got[ok] - want[ok]), initial=0.0)) / scale


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    ops.set_threads(request.param)
    yield request.param
    ops.set_threads(1)


# --------------------------------------------------------------------------
# Finite differences (central, float64) of the numpy references
# --------------------------------------------------------------------------

def numeric_grad(f, x, w, h=1e-6):
    """d(sum(w * f(x)))/dx by central differences."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        fp, fm = f(xp), f(xm)
        with np.errstate(invalid="ignore"):  # -inf - -inf of a constant entry
            g[i] = np.sum(np.where(w == 0, 0.0, w * (fp - fm))) / (2 * h)
    return g


def small_mask(rng, shape, p=0.25):
    m = np.where(rng.random(shape) < p, -np.inf, 0.0)
    m[..., 0] = 0.0  # every row keeps a key (the fully masked are tested below)
    return m


def test_fd_softmax(rng):
    x = rng.standard_normal((2, 3, 5))
    mask = small_mask(rng, (3, 5))
    w = rng.standard_normal(x.shape)
    y = ops.softmax(x, mask, causal=True)
    got = ops.softmax_backward(w, y)
    want = numeric_grad(lambda z: ref.ref_softmax(z, mask, causal=True), x, w)
    assert rel_err(got, want) < 1e-7


def test_fd_log_softmax(rng):
    x = rng.standard_normal((3, 6))
    mask = small_mask(rng, (3, 6))
    y = ops.log_softmax(x, mask)
    # The gradient of a masked (-inf) entry reaches nothing: its weight is 0.
    w = np.where(np.isinf(y), 0.0, rng.standard_normal(x.shape))
    got = ops.log_softmax_backward(w, y)
    want = numeric_grad(lambda z: ref.ref_log_softmax(z, mask), x, w)
    assert rel_err(got, want) < 1e-7


def test_fd_logsumexp(rng):
    x = rng.standard_normal((2, 4, 7)) * 3
    mask = small_mask(rng, (4, 7))
    w = rng.standard_normal((2, 4))
    lse = ops.logsumexp(x, mask, causal=True)
    got = ops.logsumexp_backward(w, x, lse, mask, causal=True)
    want = numeric_grad(lambda z: ref.ref_logsumexp(z, mask, causal=True), x, w)
    assert rel_err(got, want) < 1e-7


def test_fd_sum_sq(rng):
    x = rng.standard_normal((3, 9))
    w = rng.standard_normal(3)
    got = ops.sum_sq_backward(w, x)
    assert rel_err(got, numeric_grad(ref.ref_sum_sq, x, w)) < 1e-7


def test_fd_masked_max(rng):
    x = rng.standard_normal((2, 3, 8))
    mask = small_mask(rng, (3, 8))
    w = rng.standard_normal((2, 3))
    got = ops.masked_max_backward(w, x, mask, ops.masked_max(x, mask))
    want = numeric_grad(lambda z: ref.ref_masked_max(z, mask), x, w)
    assert rel_err(got, want) < 1e-7


def test_fd_xent(rng):
    p = rng.uniform(0.05, 1.0, (3, 5))
    q = rng.uniform(0.0, 1.0, (3, 5))
    q[0, 1] = 0.0
    w = rng.standard_normal(3)
    dp, dq = ops.xent_backward(w, p, q)
    assert rel_err(dp, numeric_grad(lambda z: ref.ref_xent(z, q), p, w)) < 1e-7
    assert rel_err(dq, numeric_grad(lambda z: ref.ref_xent(p, z), q, w)) < 1e-7


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_fd_xent_logits(rng, reduction):
    z = rng.standard_normal((5, 7)) * 2
    t = rng.integers(0, 7, 5)
    t[1] = -100
    w = rng.standard_normal(5) if reduction == "none" else np.float64(1.3)
    got = ops.xent_logits_backward(w, z, t, reduction=reduction)
    want = numeric_grad(lambda v: ref.ref_xent_logits(v, t, reduction=reduction), z,
                        np.asarray(w))
    assert rel_err(got, want) < 1e-7


# --------------------------------------------------------------------------
# PyTorch autograd (float64) on seeded random cases
# --------------------------------------------------------------------------

# 16 seeds x 7 ops x 2 dtypes = 224 cases (x threads); under ASan
# (scripts/test-sanitized), where each compilation is slower, 4 seeds.
SEEDS = range(4 if "ASAN_OPTIONS" in os.environ else 16)


def random_shape(rng, rank):
    # Sizes off every vector width and lane count: 1..40, a few 63..130.
    sizes = [int(rng.choice([rng.integers(1, 41), rng.integers(63, 131)]))
             for _ in range(rank)]
    return tuple(sizes)


def random_mask(rng, shape, full_rows=True):
    m = np.where(rng.random(shape) < rng.uniform(0, 0.5), -np.inf, 0.0)
    if full_rows and shape[0] > 1 and rng.random() < 0.5:
        m[rng.integers(0, shape[0])] = -np.inf
    return m


def autograd(f, *inputs, grad):
    """The gradients of sum(grad * f(*inputs)) by torch autograd in f64."""
    ts = [t64(x).requires_grad_() for x in inputs]
    out = f(*ts)
    out.backward(t64(grad))
    return [t.grad.numpy() for t in ts]


def dead_rows(mask_like):
    """Rows every entry of which is -inf."""
    return np.all(np.isneginf(mask_like), axis=-1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_torch_softmax(seed, dtype, threads):
    rng = np.random.default_rng([1, seed])
    shape = random_shape(rng, 3)
    x = (rng.standard_normal(shape) * rng.choice([1, 10])).astype(dtype)
    mask = random_mask(rng, shape[-2:]).astype(dtype)
    causal = bool(rng.random() < 0.5)
    g = rng.standard_normal(shape).astype(dtype)
    y = ops.softmax(x, mask, causal=causal)
    got = ops.softmax_backward(g, y)
    hidden = np.isneginf(ref.masked_scores(x, mask, causal))
    dead = np.all(hidden, axis=-1)
    safe = torch.from_numpy(dead[..., None])

    def f(x):
        z = x.masked_fill(torch.from_numpy(hidden), -np.inf)
        return torch.softmax(z.masked_fill(safe, 0.0), -1).masked_fill(safe, 0.0)
    (want,) = autograd(f, x, grad=g)
    assert rel_err(got, want) < TOL[dtype]
    assert np.all(got[hidden] == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_torch_log_softmax(seed, dtype, threads):
    rng = np.random.default_rng([2, seed])
    shape = random_shape(rng, 2)
    x = (rng.standard_normal(shape) * rng.choice([1, 30])).astype(dtype)
    mask = random_mask(rng, shape).astype(dtype)
    y = ops.log_softmax(x, mask)
    hidden = np.isneginf(mask)
    g = np.where(hidden, 0, rng.standard_normal(shape)).astype(dtype)
    got = ops.log_softmax_backward(g, y)
    dead = torch.from_numpy(dead_rows(mask)[..., None])

    def f(x):
        z = x.masked_fill(torch.from_numpy(hidden), -np.inf).masked_fill(dead, 0.0)
        return torch.log_softmax(z, -1).masked_fill(torch.from_numpy(hidden), 0.0)
    (want,) = autograd(f, x, grad=g)
    assert rel_err(got, want) < TOL[dtype]
    assert np.all(got[hidden] == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_torch_logsumexp(seed, dtype, threads):
    rng = np.random.default_rng([3, seed])
    shape = random_shape(rng, 3)
    x = (rng.standard_normal(shape) * rng.choice([1, 100])).astype(dtype)
    mask = random_mask(rng, shape[-2:]).astype(dtype)
    causal = bool(rng.random() < 0.5)
    g = rng.standard_normal(shape[:-1]).astype(dtype)
    lse = ops.logsumexp(x, mask, causal=causal)
    got = ops.logsumexp_backward(g, x, lse, mask, causal=causal)
    hidden = np.isneginf(ref.masked_scores(x, mask, causal))
    dead = torch.from_numpy(np.all(hidden, axis=-1)[..., None])

    def f(x):
        z = x.masked_fill(torch.from_numpy(hidden), -np.inf).masked_fill(dead, 0.0)
        return torch.logsumexp(z, -1).masked_fill(dead[..., 0], 0.0)
    (want,) = autograd(f, x, grad=g)
    assert rel_err(got, want) < TOL[dtype]
    assert np.all(got[hidden] == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_torch_sum_sq(seed, dtype, threads):
    rng = np.random.default_rng([4, seed])
    shape = random_shape(rng, int(rng.integers(1, 4)))
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape[:-1]).astype(dtype)
    got = ops.sum_sq_backward(g, x)
    (want,) = autograd(lambda x: (x * x).sum(-1), x, grad=g)
    assert rel_err(got, want) < TOL[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_torch_masked_max(seed, dtype, threads):
    rng = np.random.default_rng([5, seed])
    shape = random_shape(rng, 3)
    x = rng.standard_normal(shape).astype(dtype)
    mask = random_mask(rng, shape[-2:]).astype(dtype)
    g = rng.standard_normal(shape[:-1]).astype(dtype)
    got = ops.masked_max_backward(g, x, mask, ops.masked_max(x, mask))
    dead = dead_rows(mask)

    def f(x):
        return torch.max(x + t64(mask), -1).values
    (want,) = autograd(f, x, grad=np.where(dead, 0, g))
    assert rel_err(got, want) < TOL[dtype]
    assert np.all(got[:, dead] == 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_torch_xent(seed, dtype, threads):
    rng = np.random.default_rng([6, seed])
    shape = random_shape(rng, 2)
    p = rng.uniform(0.01, 1.0, shape).astype(dtype)
    q = np.where(rng.random(shape) < 0.3, 0.0, rng.random(shape)).astype(dtype)
    g = rng.standard_normal(shape[:-1]).astype(dtype)
    dp, dq = ops.xent_backward(g, p, q)
    want_p, want_q = autograd(lambda p, q: -(q * torch.log(p)).sum(-1), p, q, grad=g)
    assert rel_err(dp, want_p) < TOL[dtype]
    assert rel_err(dq, want_q) < TOL[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", SEEDS)
def test_torch_xent_logits(seed, dtype, threads):
    rng = np.random.default_rng([7, seed])
    rows, classes = random_shape(rng, 2)
    z = (rng.standard_normal((rows, classes)) * rng.choice([1, 10, 1000])).astype(dtype)
    t = rng.integers(0, classes, rows)
    t[rng.random(rows) < 0.2] = -100
    t[0] = rng.integers(0, classes)  # a mean over at least one kept row
    reduction = ["none", "sum", "mean"][seed % 3]
    if reduction == "none":
        g = rng.standard_normal(rows).astype(dtype)
    else:
        g = np.asarray(rng.standard_normal(), dtype)
    got = ops.xent_logits_backward(g, z, t, reduction=reduction)
    (want,) = autograd(
        lambda z: F.cross_entropy(z, torch.from_numpy(t), reduction=reduction), z, grad=g)
    assert rel_err(got, want) < TOL[dtype]
    assert np.all(got[t == -100] == 0)


# --------------------------------------------------------------------------
# The numerics each op documents
# --------------------------------------------------------------------------

def test_softmax_backward_huge_logits_and_dead_rows():
    x = np.array([[1e4, 0.0, -1e4, 1e4 - 1.0], [1.0, 2.0, 3.0, 4.0]], np.float32)
    mask = np.zeros((2, 4), np.float32)
    mask[1] = -np.inf
    g = np.ones_like(x)
    g[0, 0] = 3.0
    dx = ops.softmax_backward(g, ops.softmax(x, mask))
    assert np.all(np.isfinite(dx))
    assert np.all(dx[1] == 0)  # fully masked: constant zeros
    p = ref.ref_softmax(x)[0]
    want = p * (g[0] - np.dot(g[0], p))
    np.testing.assert_allclose(dx[0], want, atol=1e-6)
    # masked_rows = nan rows get NaN gradients.
    assert np.all(np.isnan(ops.softmax_backward(g, ops.softmax(x, mask, masked_rows="nan"))[1]))


def test_log_softmax_backward_masked_entries():
    x = np.array([[1e4, -1e4, 5.0, 0.0], [0.0, 0.0, 0.0, 0.0]], np.float32)
    mask = np.array([[0, 0, -np.inf, 0], [-np.inf] * 4], np.float32)
    y = ops.log_softmax(x, mask)
    g = np.full_like(x, 2.0)
    dx = ops.log_softmax_backward(g, y)
    assert dx[0, 2] == 0 and np.all(dx[1] == 0)
    # Kept entries: g - softmax * sum of the kept g (6).
    np.testing.assert_allclose(dx[0], [2 - 6, 2, 0, 2], atol=1e-5)


def test_logsumexp_backward_dead_row_and_huge():
    x = np.array([[1e4, 1e4, -1e4], [1.0, 2.0, 3.0]], np.float32)
    mask = np.array([[0, 0, 0], [-np.inf] * 3], np.float32)
    lse = ops.logsumexp(x, mask)
    dx = ops.logsumexp_backward(np.array([1.0, 5.0], np.float32), x, lse, mask)
    # exp(x - lse) carries lse's rounding: half an ulp of 1e4 in f32 (5e-4).
    np.testing.assert_allclose(dx[0], [0.5, 0.5, 0.0], rtol=1e-3)
    assert np.all(dx[1] == 0)


def test_masked_max_backward_ties_go_to_the_first():
    s = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, 5.0, 1.0, 1.0]],
                 np.float32)
    mask = np.zeros((3, 4), np.float32)
    mask[2, 0] = -np.inf  # the first tie is masked: the second takes it
    g = np.array([1.0, 2.0, 3.0], np.float32)
    ds = ops.masked_max_backward(g, s, mask, ops.masked_max(s, mask))
    np.testing.assert_array_equal(ds, [[0, 1, 0, 0], [2, 0, 0, 0], [0, 3, 0, 0]])


def test_masked_max_backward_dead_and_nan_rows():
    s = np.array([[1.0, 2.0], [np.nan, 1.0]], np.float32)
    mask = np.array([[-np.inf, -np.inf], [0, 0]], np.float32)
    out = ops.masked_max(s, mask)
    ds = ops.masked_max_backward(np.ones(2, np.float32), s, mask, out)
    assert np.all(ds == 0)


def test_xent_backward_zero_probabilities():
    p = np.array([[0.0, 0.0, 0.5]], np.float64)
    q = np.array([[0.0, 0.3, 0.7]], np.float64)
    dp, dq = ops.xent_backward(np.array([2.0]), p, q)
    assert dp[0, 0] == 0  # q == 0: its term is 0 whatever p
    assert dp[0, 1] == -np.inf
    np.testing.assert_allclose(dp[0, 2], -2 * 0.7 / 0.5)
    assert dq[0, 0] == np.inf and dq[0, 1] == np.inf
    np.testing.assert_allclose(dq[0, 2], -2 * np.log(0.5))


def test_xent_logits_backward_ignored_and_out_of_range():
    z = np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], np.float32)
    t = np.array([0, -100, 7])
    dz = ops.xent_logits_backward(np.float32(1.0), z, t, reduction="sum")
    np.testing.assert_allclose(dz[0], [0, 0, 0], atol=1e-6)  # right and sure
    assert np.all(dz[1] == 0)
    assert np.all(np.isnan(dz[2]))
    # A mean over no kept row: every row is ignored.
    dz = ops.xent_logits_backward(np.float32(1.0), z[:2], np.array([-100, -100]))
    assert np.all(dz == 0)


def test_half_precision_is_computed_in_f32(rng):
    x = rng.standard_normal((4, 50)).astype(np.float16)
    g = rng.standard_normal((4, 50)).astype(np.float16)
    y = ops.softmax(x)
    dx = ops.softmax_backward(g, y)
    assert dx.dtype == np.float16
    y64 = y.astype(np.float64)
    want = y64 * (g - (g * y64).sum(-1, keepdims=True))
    assert rel_err(dx, want) < 2e-3
    p = rng.uniform(0.1, 1, (3, 20)).astype(np.float16)
    dp, dq = ops.xent_backward(np.ones(3, np.float16), p, p)
    assert dp.dtype == dq.dtype == np.float16
    np.testing.assert_allclose(dp, -1.0, rtol=1e-3)


# --------------------------------------------------------------------------
# Errors name the argument
# --------------------------------------------------------------------------

def test_errors_name_the_argument():
    x = np.zeros((4, 8), np.float32)
    with pytest.raises(TypeError, match="grad must have the dtype of out"):
        ops.softmax_backward(x.astype(np.float64), x)
    with pytest.raises(ValueError, match=r"softmax_backward: .*grad dimension 1 \(7\).*"
                                         r"output dimension 1 \(8\).*grad is grad"):
        ops.softmax_backward(np.zeros((4, 7), np.float32), x)
    with pytest.raises(ValueError, match=r"sum_sq_backward: .*grad.*rank 1"):
        ops.sum_sq_backward(x, x)
    with pytest.raises(ValueError, match=r"xent_logits_backward: .*rank-0 grad"):
        ops.xent_logits_backward(np.zeros(4, np.float32), x, np.zeros(4, np.int64))
    with pytest.raises(ValueError, match=r"reduction must be"):
        ops.xent_logits_backward(np.float32(1), x, np.zeros(4, np.int64), reduction="avg")
    with pytest.raises(ValueError, match=r"expects class probabilities of the logits' rank"):
        ops.xent_logits_backward(np.float32(1), x, np.zeros(4, np.float32))
