"""Every attn op against PyTorch, differentially, over seeded random shapes.

The references are PyTorch's own functions (`F.cross_entropy`,
`torch.softmax`, `torch.logsumexp`, ...) evaluated in float64 on the same
float32 inputs: nothing here is computed by attn. Shapes, scales (1, 10,
1000), masks, ignored rows and causal / grouped-query attention shapes are
drawn from seeded generators, so a failure names a reproducible case.

Tolerances follow the float32 rounding of each op: a log-domain result
(logsumexp, log_softmax, a loss) is off by a few ulp of the largest logit
magnitude; a probability by that much relative to itself.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import attn

EPS = np.finfo(np.float32).eps

# xent_logits row counts around every vector width and lane count of the
# pipeline (the reduction over rows is split into lanes of 8 to 64).
XENT_ROWS = list(range(1, 18)) + [63, 64, 65, 71, 72, 73, 127, 128, 129, 200, 257]


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def log_tol(x, n):
    """Absolute error bound of a float32 log-domain result over rows of n
    values of at most |x| in magnitude."""
    return 64 * EPS * (float(np.max(np.abs(x), initial=1.0)) + math.log(max(n, 2)))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("ignored", [False, True])
def test_xent_logits_row_counts(reduction, ignored):
    """The sum and mean over rows at every row count near a lane boundary:
    the lanes of the row reduction once paired each chunk's row statistics
    with the first chunk's target logits (72+ rows)."""
    rng = np.random.default_rng(24 + ignored)
    for rows in XENT_ROWS:
        z = rng.standard_normal((rows, 100)).astype(np.float32)
        t = rng.integers(0, 100, rows)
        if ignored:
            t[rng.random(rows) < 0.25] = -100
        want = F.cross_entropy(t64(z), torch.from_numpy(t), reduction=reduction)
        got = attn.ops.xent_logits(z, t, reduction=reduction)
        np.testing.assert_allclose(
            np.asarray(got, np.float64), want.numpy(), rtol=1e-5,
            atol=log_tol(z, 100), equal_nan=True,
            err_msg=f"rows={rows} reduction={reduction} ignored={ignored}")


def _shape(rng, rank, last):
    lead = [int(rng.integers(1, 5)) for _ in range(rank - 1)]
    return tuple(lead) + (last,)


def _lengths(rng, count):
    """Row lengths: small, odd, vector multiples, and one long row."""
    pool = [1, 2, 3, 7, 8, 15, 16, 17, 33, 64, 100, 127, 128, 129, 257, 1000]
    return [int(v) for v in rng.choice(pool, count)]


SCALES = (1.0, 10.0, 1000.0)


def _cases(seed, count):
    rng = np.random.default_rng(seed)
    for n, length in enumerate(_lengths(rng, count)):
        rank = int(rng.integers(1, 4))
        yield rng, _shape(rng, rank, length), SCALES[n % 3]


@pytest.mark.parametrize("case", range(3))
def test_sum_sq(case):
    for rng, shape, scale in _cases(100 + case, 12):
        x = (rng.standard_normal(shape) * scale).astype(np.float32)
        want = (t64(x) ** 2).sum(-1).numpy()
        got = attn.ops.sum_sq(x)
        np.testing.assert_allclose(got, want, rtol=8 * EPS * math.sqrt(shape[-1]) + 1e-6,
                                   err_msg=f"shape={shape} scale={scale}")


@pytest.mark.parametrize("case", range(3))
def test_masked_max(case):
    for rng, shape, scale in _cases(200 + case, 12):
        if len(shape) < 2:
            shape = (3,) + shape
        s = (rng.standard_normal(shape) * scale).astype(np.float32)
        m = np.where(rng.random(shape[-2:]) < 0.3, -np.inf, 0.0).astype(np.float32)
        m[0, :] = -np.inf  # a row masked whole: -inf
        want = torch.amax(t64(s) + t64(m), dim=-1).numpy()
        got = attn.ops.masked_max(s, m)
        # A sum of two float32 values, rounded once: exact up to that rounding.
        np.testing.assert_allclose(got, want, rtol=EPS, err_msg=f"shape={shape}")


@pytest.mark.parametrize("case", range(3))
def test_xent(case):
    for rng, shape, _ in _cases(300 + case, 12):
        p = rng.random(shape).astype(np.float32) + np.float32(1e-3)
        q = rng.random(shape).astype(np.float32)
        q[rng.random(shape) < 0.2] = 0
        p[(q == 0) & (rng.random(shape) < 0.5)] = 0  # 0 log 0 = 0
        want = -torch.special.xlogy(t64(q), t64(p)).sum(-1).numpy()
        got = attn.ops.xent(p, q)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5,
                                   err_msg=f"shape={shape}")


def _row_mask(rng, shape):
    """An additive [M, N] mask with -inf entries and a row masked whole."""
    m = np.where(rng.random(shape[-2:]) < 0.3, -np.inf, 0.0).astype(np.float32)
    m[-1, :] = -np.inf
    return m


def _causal_mask(m_rows, n_cols):
    """attn's causal: key j hidden from query i when j > i + (N - M)."""
    i = np.arange(m_rows)[:, None]
    j = np.arange(n_cols)[None, :]
    return np.where(j > i + (n_cols - m_rows), -np.inf, 0.0)


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize("variant", ["plain", "mask", "causal"])
def test_softmax_family(op, variant):
    rng = np.random.default_rng(["softmax", "log_softmax", "logsumexp"].index(op) * 10
                                + ["plain", "mask", "causal"].index(variant))
    for _, shape, scale in _cases(int(rng.integers(1 << 30)), 9):
        if variant != "plain" and len(shape) < 2:
            shape = (int(rng.integers(1, 6)),) + shape
        x = (rng.standard_normal(shape) * scale).astype(np.float32)
        mask = _row_mask(rng, shape) if variant == "mask" else None
        full = t64(x)
        if mask is not None:
            full = full + t64(mask)
        if variant == "causal":
            full = full + t64(_causal_mask(shape[-2], shape[-1]))
        fn = getattr(attn.ops, op)
        got = fn(x, mask=mask, causal=variant == "causal")
        tol = log_tol(x, shape[-1])
        dead = torch.isinf(full).all(-1).numpy()  # rows that see no value
        if op == "softmax":
            want = torch.softmax(full, -1).numpy()
            want[dead] = 0  # attn's default for a row masked whole
            np.testing.assert_allclose(got, want, rtol=tol, atol=1e-30,
                                       err_msg=f"shape={shape} scale={scale}")
        else:
            want = (torch.log_softmax(full, -1) if op == "log_softmax"
                    else torch.logsumexp(full, -1)).numpy()
            want[dead] = -np.inf
            np.testing.assert_allclose(got, want, rtol=0, atol=tol,
                                       err_msg=f"shape={shape} scale={scale}")


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_xent_logits(reduction):
    rng = np.random.default_rng(["none", "sum", "mean"].index(reduction) + 400)
    for _, shape, scale in _cases(int(rng.integers(1 << 30)), 12):
        z = (rng.standard_normal(shape) * scale).astype(np.float32)
        t = rng.integers(0, shape[-1], shape[:-1])
        ignore = int(rng.choice([-100, 0, 1]))
        if t.ndim:
            t[rng.random(t.shape) < 0.2] = ignore
        want = F.cross_entropy(
            t64(z.reshape(-1, shape[-1])), torch.from_numpy(t.reshape(-1)),
            ignore_index=ignore, reduction=reduction).numpy()
        got = attn.ops.xent_logits(z, t, ignore_index=ignore, reduction=reduction)
        np.testing.assert_allclose(
            np.asarray(got, np.float64).reshape(-1), want.reshape(-1), rtol=1e-5,
            atol=log_tol(z, shape[-1]), equal_nan=True,
            err_msg=f"shape={shape} scale={scale} ignore={ignore}")


def _attention_reference(q, k, v, mask, causal, scale):
    """softmax(q kᵀ scale + mask) v in float64 torch, key/value heads
    repeated over their group of query heads; a row that sees no key -> 0."""
    q, k, v = t64(q), t64(k), t64(v)
    if q.dim() >= 3 and k.shape[-3] != q.shape[-3]:
        group = q.shape[-3] // k.shape[-3]
        k = k.repeat_interleave(group, dim=-3)
        v = v.repeat_interleave(group, dim=-3)
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    if mask is not None:
        s = s + t64(mask)
    if causal:
        s = s + t64(_causal_mask(s.shape[-2], s.shape[-1]))
    dead = torch.isinf(s).all(-1, keepdim=True) & (s < 0).all(-1, keepdim=True)
    p = torch.softmax(s, -1)
    p = torch.where(dead, torch.zeros_like(p), p)
    return torch.matmul(p, v).numpy()


@pytest.mark.parametrize("case", range(8))
def test_attention(case):
    rng = np.random.default_rng(500 + case)
    for _ in range(4):
        batch = int(rng.integers(1, 3))
        hkv = int(rng.integers(1, 3))
        hq = hkv * int(rng.integers(1, 4))  # grouped-query heads
        m = int(rng.choice([1, 3, 16, 37, 64, 65]))
        n = int(rng.choice([1, 5, 16, 64, 100, 130]))
        d = int(rng.choice([8, 16, 32]))
        causal = bool(rng.integers(2))
        if causal and n < m:
            n = m  # every query sees a key (rows seeing none are tested below)
        scale = float(rng.choice([1 / math.sqrt(d), 0.5, 2.0]))
        magnitude = float(rng.choice([1.0, 3.0]))
        q = (rng.standard_normal((batch, hq, m, d)) * magnitude).astype(np.float32)
        k = (rng.standard_normal((batch, hkv, n, d)) * magnitude).astype(np.float32)
        v = rng.standard_normal((batch, hkv, n, d)).astype(np.float32)
        mask = None
        if rng.integers(2):
            mask = np.where(rng.random((m, n)) < 0.2, -np.inf, 0.0).astype(np.float32)
            mask[0, :] = -np.inf  # a query that sees no key: zeros
        want = _attention_reference(q, k, v, mask, causal, scale)
        got = attn.ops.attention(q, k, v, mask=mask, causal=causal, scale=scale)
        # Scores off by ulps of |q||k| scale; outputs are averages of v.
        score = float(np.abs(q).max() * np.abs(k).max() * d * scale)
        tol = 64 * EPS * (score + 1) * float(np.abs(v).max())
        np.testing.assert_allclose(
            got, want, rtol=0, atol=tol,
            err_msg=f"B={batch} Hq={hq} Hkv={hkv} M={m} N={n} D={d} "
                    f"causal={causal} mask={mask is not None} scale={scale}")


@pytest.mark.parametrize("length", [65536, 70001])
def test_online_softmax_rows(length):
    """Rows long enough for the one-pass online softmax, split into lanes
    (whose index arithmetic the causal select reads) and a tail."""
    rng = np.random.default_rng(length)
    x = (rng.standard_normal((3, length)) * 10).astype(np.float32)
    causal = t64(x) + t64(_causal_mask(3, length))
    tol = log_tol(x, length)
    np.testing.assert_allclose(attn.ops.logsumexp(x, causal=True),
                               torch.logsumexp(causal, -1).numpy(), rtol=0, atol=tol)
    np.testing.assert_allclose(attn.ops.log_softmax(x, causal=True),
                               torch.log_softmax(causal, -1).numpy(), rtol=0, atol=tol)
    t = rng.integers(0, length, 3)
    for reduction in ("none", "sum", "mean"):
        want = F.cross_entropy(t64(x), torch.from_numpy(t), reduction=reduction)
        np.testing.assert_allclose(
            np.asarray(attn.ops.xent_logits(x, t, reduction=reduction), np.float64),
            want.numpy(), rtol=1e-5, atol=tol)


@pytest.mark.parametrize("cache_bytes", [0, 64, 4096, 65536])
@pytest.mark.parametrize("threads", [1, 2])
def test_mask_blocks(cache_bytes, threads):
    """Rows in blocks that keep a broadcast mask cached (--attn-vectorize-
    reductions, --attn-fuse-rows): blocks of one row, of a few, a shorter
    last block (257 rows, a prime), none; with threads over the batch."""
    rng = np.random.default_rng(cache_bytes + threads)
    shape, mask_shape = (3, 2, 257, 96), (257, 96)
    x = (rng.standard_normal(shape) * 10).astype(np.float32)
    m = _row_mask(rng, mask_shape)
    full = t64(x) + t64(m)
    dead = torch.isinf(full).all(-1).numpy()
    tol = log_tol(x, shape[-1])
    ty = lambda s: "tensor<" + "x".join(map(str, s)) + "xf32>"
    X, M, R = ty(shape), ty(mask_shape), ty(shape[:-1])
    for op, result, reference, rtol, atol in (
            ("masked_max", R, torch.amax(full, -1).numpy(), EPS, 0),
            ("softmax", X, torch.softmax(full, -1).numpy(), tol, 1e-30),
            ("log_softmax", X, torch.log_softmax(full, -1).numpy(), 0, tol),
            ("logsumexp", R, torch.logsumexp(full, -1).numpy(), 0, tol)):
        operands = "%x, %m" if op == "masked_max" else "%x mask %m"
        kernel = attn.compile(
            f"func.func @f(%x: {X}, %m: {M}) -> {result} {{\n"
            f"  %r = attn.{op} {operands} : {X}, {M}\n"
            f"  return %r : {result}\n}}\n",
            cache_bytes=cache_bytes, threads=threads)
        want = reference.copy()
        if op == "softmax":
            want[dead] = 0
        elif op != "masked_max":
            want[dead] = -np.inf
        np.testing.assert_allclose(kernel(x, m), want, rtol=rtol, atol=atol,
                                   err_msg=f"{op} cache_bytes={cache_bytes}")
