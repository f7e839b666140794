"""Differential tests of attn.ops against float64 numpy references.

The references (references.py) are written from the op semantics documented
in include/AttnDialect/Dialect/Attn/AttnOps.td and share no code with the
package. Shapes are chosen to hit size-1 dimensions, odd sizes and sizes that
are not multiples of the vector widths and block sizes (8, 16, 64), at ranks
1 to 4; several seeds reuse each shape so that the compiled-kernel cache keeps
the number of compilations modest.
"""

import itertools

import numpy as np
import pytest

import attn
from attn import ops
from references import (_f64, causal_bias, masked_scores, ref_attention,
                        ref_log_softmax, ref_logsumexp, ref_masked_max,
                        ref_softmax, ref_sum_sq, ref_xent, ref_xent_logits)

SEEDS = [0, 1]

# (rtol, atol) per dtype; atol is scaled by the magnitude of the data.
TOL = {
    np.dtype(np.float16): (1e-2, 2e-3),
    np.dtype(np.float32): (1e-5, 1e-6),
    np.dtype(np.float64): (1e-12, 1e-13),
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def check(got, want, dtype, magnitude=1.0):
    """`got` has dtype and shape of `want` and matches it within the dtype's
    tolerance (inf and NaN positions must match exactly)."""
    dtype = np.dtype(dtype)
    assert isinstance(got, np.ndarray)
    assert got.dtype == dtype
    assert got.shape == np.shape(want)
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=rtol,
                               atol=atol * magnitude, equal_nan=True)


def run_unmodified(fn, *arrays, **kwargs):
    """Calls fn(*arrays, **kwargs) and checks that it wrote to no input."""
    before = [a.copy() for a in arrays]
    kw_before = {k: v.copy() for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    result = fn(*arrays, **kwargs)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    for k, b in kw_before.items():
        np.testing.assert_array_equal(kwargs[k], b)
    for a in list(arrays) + [kwargs[k] for k in kw_before]:
        assert not np.shares_memory(result, a)
    return result


def random_mask(rng, shape, p_masked=0.25, dead_row=True, dtype=np.float32):
    """An additive mask: finite values with some -inf entries; with
    `dead_row`, its first row (of the trailing two dims) fully masked."""
    mask = rng.uniform(-1.0, 1.0, size=shape)
    mask[rng.random(shape) < p_masked] = -np.inf
    if dead_row and len(shape) >= 2 and shape[-2] > 1:
        mask[..., 0, :] = -np.inf
    return mask.astype(dtype)


def mask_for(rng, kind, shape, dtype=np.float32):
    if kind is None:
        return None
    if kind == "mn":
        return random_mask(rng, shape[-2:], dtype=dtype)
    assert kind == "full"
    return random_mask(rng, shape, dtype=dtype)


def normal(rng, shape, dtype=np.float32, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


# --------------------------------------------------------------------------
# masked_max, sum_sq, xent
# --------------------------------------------------------------------------

MASKED_MAX_CASES = [
    ((7,), "full"),
    ((1, 1), "mn"),
    ((3, 17), "mn"),
    ((2, 5, 65), "full"),
    ((1, 2, 1, 130), "mn"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape,kind", MASKED_MAX_CASES)
def test_masked_max(shape, kind, seed):
    rng = np.random.default_rng(seed)
    x = normal(rng, shape, scale=3.0)
    mask = mask_for(rng, kind, shape)
    got = run_unmodified(ops.masked_max, x, mask)
    check(got, ref_masked_max(x, mask), np.float32, 3.0)


def test_masked_max_fully_masked_rows_are_neg_inf():
    x = np.arange(51, dtype=np.float32).reshape(3, 17)
    mask = np.zeros((3, 17), np.float32)
    mask[1] = -np.inf
    mask[2, :16] = -np.inf
    got = ops.masked_max(x, mask)
    np.testing.assert_array_equal(got, [16.0, -np.inf, 50.0])


def test_masked_max_float64(rng):
    x = normal(rng, (3, 17), np.float64)
    mask = random_mask(rng, (3, 17), dtype=np.float64)
    check(ops.masked_max(x, mask), ref_masked_max(x, mask), np.float64)


SUM_SQ_SHAPES = [(1,), (7,), (1, 1), (3, 17), (2, 5, 65), (1, 2, 1, 130)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SUM_SQ_SHAPES)
def test_sum_sq(shape, seed):
    rng = np.random.default_rng(seed)
    x = normal(rng, shape)
    got = run_unmodified(ops.sum_sq, x)
    check(got, ref_sum_sq(x), np.float32)


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_sum_sq_other_dtypes(dtype, rng):
    x = rng.uniform(-1, 1, (3, 17)).astype(dtype)
    check(ops.sum_sq(x), ref_sum_sq(x), dtype, magnitude=17.0)


def test_sum_sq_inf_and_nan():
    x = np.ones((3, 17), np.float32)
    x[1, 5] = -np.inf
    x[2, 16] = np.nan
    got = ops.sum_sq(x)
    assert got[0] == 17.0
    assert got[1] == np.inf
    assert np.isnan(got[2])


def _distribution(rng, shape, p_zero=0.0, dtype=np.float32):
    d = rng.random(shape) + 1e-3
    if p_zero:
        d[rng.random(shape) < p_zero] = 0.0
    s = d.sum(axis=-1, keepdims=True)
    return (d / np.where(s == 0, 1, s)).astype(dtype)


XENT_SHAPES = [(7,), (1, 1), (3, 17), (2, 3, 1, 65)]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", XENT_SHAPES)
def test_xent(shape, seed):
    rng = np.random.default_rng(seed)
    p = _distribution(rng, shape)
    q = _distribution(rng, shape, p_zero=0.3)
    got = run_unmodified(ops.xent, p, q)
    check(got, ref_xent(p, q), np.float32, magnitude=10.0)


def test_xent_zero_probabilities():
    p = np.full((3, 17), 1.0 / 17, np.float32)
    q = np.full((3, 17), 1.0 / 17, np.float32)
    # row 0: p == 0 where q == 0 contributes exactly 0 (0 log 0 = 0)
    p[0, :4] = 0.0
    q[0, :4] = 0.0
    # row 1: p == 0 where q > 0 is an infinite loss
    p[1, 3] = 0.0
    # row 2: q one-hot, p zero everywhere else
    q[2] = 0.0
    q[2, 7] = 1.0
    p[2] = 0.0
    p[2, 7] = 0.5
    got = ops.xent(p, q)
    want = ref_xent(p, q)
    assert np.isfinite(got[0])
    check(got[:1], want[:1], np.float32)
    assert got[1] == np.inf
    np.testing.assert_allclose(got[2], np.log(2.0), rtol=1e-6)


def test_xent_float64(rng):
    p = _distribution(rng, (3, 17), dtype=np.float64)
    q = _distribution(rng, (3, 17), p_zero=0.3, dtype=np.float64)
    check(ops.xent(p, q), ref_xent(p, q), np.float64)


# --------------------------------------------------------------------------
# softmax, logsumexp, log_softmax
# --------------------------------------------------------------------------

ROW_OPS = {
    "softmax": (ops.softmax, ref_softmax),
    "logsumexp": (ops.logsumexp, ref_logsumexp),
    "log_softmax": (ops.log_softmax, ref_log_softmax),
}

# (shape, mask kind, causal). Causal rows cover M == N, M < N and M > N
# (the first M - N rows of the last fully masked).
ROW_CASES = [
    ((7,), None, False),
    ((1, 1), None, False),
    ((3, 17), "mn", False),
    ((2, 5, 65), "full", False),
    ((2, 3, 4, 9), "mn", False),
    ((1, 2, 1, 130), None, False),
    ((2, 6, 6), None, True),
    ((3, 11), "mn", True),
    ((2, 1, 9, 4), "full", True),
]


def _row_case_id(case):
    shape, kind, causal = case
    return "x".join(map(str, shape)) + (f"-{kind}" if kind else "") + (
        "-causal" if causal else "")


def _magnitude(op, x):
    # logsumexp and log_softmax are of the magnitude of the logits
    if op == "softmax":
        return 1.0
    finite = np.abs(x[np.isfinite(x)])
    return max(1.0, float(finite.max()) if finite.size else 1.0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case", ROW_CASES, ids=_row_case_id)
@pytest.mark.parametrize("op", list(ROW_OPS))
def test_row_ops(op, case, seed):
    fn, ref = ROW_OPS[op]
    shape, kind, causal = case
    rng = np.random.default_rng(seed)
    x = normal(rng, shape, scale=2.0)
    mask = mask_for(rng, kind, shape)
    kwargs = {}
    if mask is not None:
        kwargs["mask"] = mask
    if causal:
        kwargs["causal"] = True
    got = run_unmodified(fn, x, **kwargs)
    want = ref(x, mask, causal)
    check(got, want, np.float32, _magnitude(op, x))
    if op == "softmax":
        # masked entries are exactly 0; live rows sum to 1
        z = masked_scores(x, mask, causal)
        assert np.all(got[np.isneginf(z)] == 0.0)


@pytest.mark.parametrize("op,dtype", [
    ("softmax", np.float64), ("logsumexp", np.float64), ("log_softmax", np.float64),
    ("softmax", np.float16), ("log_softmax", np.float16)])
def test_row_ops_other_dtypes(op, dtype, rng):
    fn, ref = ROW_OPS[op]
    x = normal(rng, (3, 17), dtype)
    mask = random_mask(rng, (3, 17), dtype=dtype)
    got = fn(x, mask=mask)
    check(got, ref(x, mask), dtype, _magnitude(op, x.astype(np.float64)))


@pytest.mark.parametrize("shape", [(2, 1, 9, 4), (3, 11)])
def test_softmax_masked_rows_nan(shape, rng):
    x = normal(rng, shape)
    mask = random_mask(rng, shape[-2:])  # first row fully masked
    got = ops.softmax(x, mask=mask, causal=True, masked_rows="nan")
    want = ref_softmax(x, mask, True, masked_rows="nan")
    assert np.isnan(got[..., 0, :]).all()
    check(got, want, np.float32)
    # and "zero" (the default) gives zeros there
    zero = ops.softmax(x, mask=mask, causal=True, masked_rows="zero")
    assert (zero[..., 0, :] == 0).all()
    check(zero, ref_softmax(x, mask, True), np.float32)


def test_fully_masked_rows():
    x = np.ones((3, 17), np.float32)
    mask = np.zeros((3, 17), np.float32)
    mask[1] = -np.inf
    x[2] = -np.inf  # -inf logits are masked too
    sm = ops.softmax(x, mask=mask)
    np.testing.assert_array_equal(sm[1], 0.0)
    np.testing.assert_array_equal(sm[2], 0.0)
    np.testing.assert_allclose(sm[0], 1.0 / 17, rtol=1e-6)
    smn = ops.softmax(x, mask=mask, masked_rows="nan")
    assert np.isnan(smn[1]).all() and np.isnan(smn[2]).all()
    np.testing.assert_allclose(smn[0], 1.0 / 17, rtol=1e-6)
    lse = ops.logsumexp(x, mask=mask)
    assert lse[1] == -np.inf and lse[2] == -np.inf
    np.testing.assert_allclose(lse[0], 1.0 + np.log(17.0), rtol=1e-6)
    lsm = ops.log_softmax(x, mask=mask)
    assert np.all(lsm[1] == -np.inf) and np.all(lsm[2] == -np.inf)
    np.testing.assert_allclose(lsm[0], -np.log(17.0), rtol=1e-6)


@pytest.mark.parametrize("big", [1e4, -1e4])
@pytest.mark.parametrize("op", list(ROW_OPS))
def test_row_ops_large_logits(op, big, rng):
    fn, ref = ROW_OPS[op]
    x = (big + rng.uniform(-3, 3, (3, 17))).astype(np.float32)
    x[0, 5] = big + 40.0  # one dominating entry
    mask = random_mask(rng, (3, 17), dead_row=False)
    mask[0, 5] = 0.0
    got = fn(x, mask=mask)
    # The op adds the mask in float32 (half an ulp of 1e4 is 5e-4): the
    # reference starts from the same rounded scores.
    want = ref(x + mask)
    assert not np.isnan(got).any()
    check(got, want, np.float32, magnitude=1.0 if op == "softmax" else abs(big))
    if op == "softmax":
        assert got[0, 5] > 1 - 1e-6  # the others are at least e^-34 smaller


def test_causal_shapes_softmax_exact_pattern():
    x = np.zeros((2, 3, 5), np.float32)  # M=3 < N=5: row i sees i + 3 keys
    got = ops.softmax(x, causal=True)
    for i in range(3):
        np.testing.assert_allclose(got[:, i, : i + 3], 1.0 / (i + 3), rtol=1e-6)
        assert np.all(got[:, i, i + 3:] == 0)
    x = np.zeros((5, 3), np.float32)  # M=5 > N=3: rows 0, 1 see nothing
    got = ops.softmax(x, causal=True)
    assert np.all(got[:2] == 0)
    for i in range(2, 5):
        np.testing.assert_allclose(got[i, : i - 1], 1.0 / (i - 1), rtol=1e-6)
    lse = ops.logsumexp(x, causal=True)
    assert np.all(lse[:2] == -np.inf)
    np.testing.assert_allclose(lse[2:], np.log([1.0, 2.0, 3.0]), atol=1e-6)
    lsm = ops.log_softmax(x, causal=True)
    assert np.all(lsm[:2] == -np.inf)


@pytest.mark.parametrize("n", [70001, 100003])
def test_long_rows_not_a_multiple_of_the_lanes(n, rng):
    """Rows long enough for the one-pass online softmax whose length is no
    multiple of its 16 lanes: the lanes take the first 16 x (n // 16), the
    rest follows them (causal: its key index shifted). The sums stay
    reassociated (in-order, a row of 100003 was off by 3e-4)."""
    x = normal(rng, (4, n), scale=3.0)
    check(ops.softmax(x, causal=True), ref_softmax(x, causal=True), np.float32)
    check(ops.logsumexp(x, causal=True), ref_logsumexp(x, causal=True),
          np.float32, magnitude=20.0)
    dynamic = attn.compile("""
    func.func @f(%x: tensor<?x?xf32>) -> tensor<?xf32> {
      %r = attn.logsumexp %x : tensor<?x?xf32>
      return %r : tensor<?xf32>
    }""")
    # Rows of unknown length take the lanes from 64 elements on.
    for rows in (x, x[:, :17], x[:, :15], x[:, :63], x[:, :64], x[:, :65]):
        check(dynamic(np.ascontiguousarray(rows)), ref_logsumexp(rows), np.float32,
              magnitude=20.0)
    in_order = attn.compile("""
    func.func @f(%x: tensor<?x?xf32>) -> tensor<?xf32> {
      %r = attn.logsumexp %x : tensor<?x?xf32>
      return %r : tensor<?xf32>
    }""", reassoc=False)
    np.testing.assert_allclose(in_order(x), ref_logsumexp(x), rtol=1e-4)


def test_nan_and_inf_propagate_to_their_row():
    x = np.zeros((3, 17), np.float32)
    x[1, 4] = np.nan
    x[2, 9] = np.inf
    sm = ops.softmax(x)
    assert np.isnan(sm[1]).all()
    np.testing.assert_allclose(sm[0], 1.0 / 17, rtol=1e-6)
    lse = ops.logsumexp(x)
    assert np.isnan(lse[1])
    assert np.isnan(lse[2])  # +inf - +inf
    np.testing.assert_allclose(lse[0], np.log(17.0), rtol=1e-6)


def test_empty_rows():
    x = np.zeros((3, 0), np.float32)
    np.testing.assert_array_equal(ops.sum_sq(x), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(ops.xent(x, x), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(ops.logsumexp(x), [-np.inf] * 3)
    np.testing.assert_array_equal(ops.masked_max(x, x), [-np.inf] * 3)
    assert ops.softmax(x).shape == (3, 0)


# --------------------------------------------------------------------------
# xent_logits
# --------------------------------------------------------------------------

def _targets(rng, shape, c, dtype, p_ignore=0.25, ignore_index=-100):
    t = rng.integers(0, c, size=shape)
    t = np.where(rng.random(shape) < p_ignore, ignore_index, t)
    return np.asarray(t, dtype=dtype)


XENT_LOGITS_CASES = [
    ((7,), np.int64, "none"),
    ((1, 1), np.int64, "mean"),
    ((5, 17), np.int64, "sum"),
    ((5, 17), np.int64, "mean"),
    ((2, 3, 65), np.int64, "none"),
    ((2, 3, 65), np.int32, "mean"),
    ((2, 1, 3, 9), np.int64, "sum"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape,tdtype,reduction", XENT_LOGITS_CASES)
def test_xent_logits(shape, tdtype, reduction, seed):
    rng = np.random.default_rng(seed)
    logits = normal(rng, shape, scale=3.0)
    target = _targets(rng, shape[:-1], shape[-1], tdtype)
    if target.size > 1 and (target == -100).all():
        target.flat[0] = 0
    got = run_unmodified(ops.xent_logits, logits, target, reduction=reduction)
    want = ref_xent_logits(logits, target, reduction=reduction)
    check(got, want, np.float32, magnitude=10.0 * max(1, target.size))
    if reduction == "none":
        assert np.all(got[target == -100] == 0.0)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_xent_logits_every_row_ignored(reduction):
    logits = np.ones((5, 17), np.float32)
    target = np.full((5,), -100, np.int64)
    got = ops.xent_logits(logits, target, reduction=reduction)
    if reduction == "none":
        np.testing.assert_array_equal(got, np.zeros(5))
    elif reduction == "sum":
        assert got.shape == () and got == 0.0
    else:
        assert got.shape == () and np.isnan(got)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_xent_logits_out_of_range_target(reduction, rng):
    logits = normal(rng, (5, 17))
    target = np.array([3, 17, -1, -100, 1000], np.int64)
    got = ops.xent_logits(logits, target, reduction=reduction)
    want = ref_xent_logits(logits, target, reduction=reduction)
    if reduction == "none":
        assert np.isnan(got[1]) and np.isnan(got[2]) and np.isnan(got[4])
        assert got[3] == 0.0 and np.isfinite(got[0])
    else:
        assert np.isnan(got)
    check(got, want, np.float32, 10.0)


def test_xent_logits_custom_ignore_index(rng):
    logits = normal(rng, (5, 17))
    # with ignore_index=3, -100 is an ordinary (out-of-range) target
    target = np.array([3, 0, 3, 16, 5], np.int64)
    for reduction in ("none", "mean"):
        got = ops.xent_logits(logits, target, ignore_index=3, reduction=reduction)
        want = ref_xent_logits(logits, target, ignore_index=3, reduction=reduction)
        check(got, want, np.float32, 10.0)
    got = ops.xent_logits(logits, target, ignore_index=np.int64(3), reduction="none")
    assert got[0] == 0.0 and got[2] == 0.0
    target[1] = -100
    got = ops.xent_logits(logits, target, ignore_index=3, reduction="none")
    assert np.isnan(got[1])


@pytest.mark.parametrize("big", [1e4, -1e4])
def test_xent_logits_large_logits(big, rng):
    logits = (big + rng.uniform(-3, 3, (5, 17))).astype(np.float32)
    logits[0, 2] = big + 30.0
    target = np.array([2, 0, -100, 16, 2], np.int64)
    for reduction in ("none", "sum", "mean"):
        got = ops.xent_logits(logits, target, reduction=reduction)
        assert np.all(np.isfinite(got))
        want = ref_xent_logits(logits, target, reduction=reduction)
        check(got, want, np.float32, magnitude=abs(big))


def test_xent_logits_float64(rng):
    logits = normal(rng, (5, 17), np.float64)
    target = _targets(rng, (5,), 17, np.int64)
    for reduction in ("none", "mean"):
        got = ops.xent_logits(logits, target, reduction=reduction)
        check(got, ref_xent_logits(logits, target, reduction=reduction), np.float64, 10.0)


# --------------------------------------------------------------------------
# attention
# --------------------------------------------------------------------------

LOWERINGS = [
    dict(),  # flash with the default blocks
    dict(lowering="flash", block_q=2, block_kv=3),
    dict(lowering="decomposed"),
]
FLASH_23 = dict(lowering="flash", block_q=2, block_kv=3)
FLASH_44 = dict(lowering="flash", block_q=4, block_kv=4)
DECOMPOSED = dict(lowering="decomposed")


def _lowering_id(kw):
    if not kw:
        return "default"
    return "-".join(f"{v}" if k == "lowering" else f"{k}{v}" for k, v in kw.items())


def qkv(rng, lead_q, lead_kv, m, n, d, dv, dtype=np.float32, scale=1.0):
    q = normal(rng, lead_q + (m, d), dtype, scale)
    k = normal(rng, lead_kv + (n, d), dtype, scale)
    v = normal(rng, lead_kv + (n, dv), dtype)
    return q, k, v


# (query leading dims, key/value leading dims, M, N, D, Dv)
ATTENTION_SHAPES = [
    pytest.param((), (), 5, 7, 8, 3, id="rank2"),
    pytest.param((), (), 1, 1, 1, 1, id="rank2-ones"),
    pytest.param((2,), (2,), 4, 9, 5, 6, id="rank3-mha"),
    pytest.param((2, 4), (2, 2), 5, 7, 6, 5, id="rank4-gqa"),
    pytest.param((1, 3), (1, 1), 6, 65, 17, 3, id="rank4-mqa"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("lowering", LOWERINGS, ids=_lowering_id)
@pytest.mark.parametrize("lead_q,lead_kv,m,n,d,dv", ATTENTION_SHAPES)
def test_attention(lead_q, lead_kv, m, n, d, dv, lowering, seed):
    rng = np.random.default_rng(seed)
    q, k, v = qkv(rng, lead_q, lead_kv, m, n, d, dv)
    got = run_unmodified(ops.attention, q, k, v, **lowering)
    check(got, ref_attention(q, k, v), np.float32, magnitude=10.0)



# (query leading dims, key/value leading dims, M, N, D, Dv) with a size 0.
EMPTY_ATTENTION_SHAPES = [
    pytest.param((2, 4), (2, 2), 5, 7, 0, 3, id="D0"),
    pytest.param((), (), 5, 7, 0, 3, id="rank2-D0"),
    pytest.param((2, 4), (2, 2), 5, 7, 6, 0, id="Dv0"),
    pytest.param((0, 4), (0, 2), 5, 7, 6, 3, id="B0"),
    pytest.param((0,), (2,), 5, 7, 6, 3, id="Hq0"),
    pytest.param((2, 4), (2, 2), 0, 7, 6, 3, id="M0"),
    pytest.param((2, 4), (2, 2), 5, 0, 6, 3, id="N0"),
]


@pytest.mark.parametrize("lowering", LOWERINGS, ids=_lowering_id)
@pytest.mark.parametrize("lead_q,lead_kv,m,n,d,dv", EMPTY_ATTENTION_SHAPES)
def test_attention_empty_sizes(lead_q, lead_kv, m, n, d, dv, lowering, rng):
    """Static sizes 0: D = 0 makes every score 0 with the default scale 1
    (each query gets the mean of the values); N = 0 leaves every row without
    a key (zeros, or NaN with masked_rows = nan); others give empty results."""
    q, k, v = qkv(rng, lead_q, lead_kv, m, n, d, dv)
    mask = random_mask(rng, (m, n), dead_row=False)
    for masked_rows, kwargs in itertools.product(("zero", "nan"), ({}, {"mask": mask})):
        got = ops.attention(q, k, v, causal=True, masked_rows=masked_rows,
                            **kwargs, **lowering)
        if n == 0:
            want = np.full(q.shape[:-1] + (dv,), 0.0 if masked_rows == "zero" else np.nan)
        else:
            want = ref_attention(q, k, v, causal=True, scale=1.0 if d == 0 else None,
                                 masked_rows=masked_rows, **kwargs)
        check(got, want, np.float32)
    if d == 0 and m <= n:
        # Causal: query i sees keys 0 .. i + N - M.
        seen = np.arange(m) + n - m + 1
        means = np.cumsum(v.astype(np.float64), axis=-2)[..., seen - 1, :] / seen[:, None]
        want = np.repeat(means, q.shape[-3] // k.shape[-3], axis=-3) if q.ndim > 2 else means
        check(ops.attention(q, k, v, causal=True, **lowering), want, np.float32)


# (M, N, lowering, masked_rows): M == N, M < N and M > N (whose first M - N
# query rows see no key), with blocks that divide neither M nor N.
CAUSAL_CASES = [
    (m, n, low, "zero")
    for m, n in [(6, 6), (4, 9), (9, 4)]
    for low in (FLASH_23, DECOMPOSED)
] + [
    (6, 6, dict(lowering="flash", block_q=3, block_kv=2), "zero"),
    (9, 4, FLASH_23, "nan"),
    (9, 4, DECOMPOSED, "nan"),
] + [
    # Square blocks with N - M a multiple of the block: the diagonal block
    # is done in halves (its last keys only for its last rows), with rows
    # and keys padded or not.
    (m, n, FLASH_44, masked_rows)
    for m, n in [(8, 8), (6, 6), (4, 8), (5, 9), (12, 4)]
    for masked_rows in ("zero", "nan")
]


def _causal_id(case):
    m, n, low, masked_rows = case
    rel = "eq" if m == n else ("lt" if m < n else "gt")
    return f"M{m}{rel}N{n}-{_lowering_id(low)}-{masked_rows}"


@pytest.mark.parametrize("case", CAUSAL_CASES, ids=_causal_id)
def test_attention_causal(case, rng):
    m, n, lowering, masked_rows = case
    q, k, v = qkv(rng, (1, 4), (1, 2), m, n, 5, 3)
    got = run_unmodified(ops.attention, q, k, v, causal=True,
                         masked_rows=masked_rows, **lowering)
    want = ref_attention(q, k, v, causal=True, masked_rows=masked_rows)
    check(got, want, np.float32, magnitude=10.0)
    if m > n:  # the first M - N query rows see no key
        dead = got[..., : m - n, :]
        assert np.isnan(dead).all() if masked_rows == "nan" else (dead == 0).all()


# masks broadcasting to the scores [B=2, Hq=4, M=5, N=7]
MASK_SHAPES = [
    pytest.param((5, 7), id="MN"),
    pytest.param((2, 1, 5, 7), id="B1MN"),
    pytest.param((7,), id="N"),
    pytest.param((1, 1, 1, 7), id="111N"),
    pytest.param((5, 1), id="M1"),
    pytest.param((2, 4, 5, 7), id="full"),
]


@pytest.mark.parametrize("mask_shape,lowering", [
    pytest.param(p.values[0], low, id=f"{p.id}-{_lowering_id(low)}")
    for p in MASK_SHAPES for low in (FLASH_23, DECOMPOSED)
    if low is FLASH_23 or p.id in ("MN", "B1MN", "N")
])
def test_attention_mask_broadcast(mask_shape, lowering, rng):
    q, k, v = qkv(rng, (2, 4), (2, 2), 5, 7, 6, 5)
    mask = random_mask(rng, mask_shape, p_masked=0.3, dead_row=False)
    if len(mask_shape) >= 2 and mask_shape[-2] > 1:
        mask[..., 1, :] = -np.inf  # a fully masked query row
    got = run_unmodified(ops.attention, q, k, v, mask=mask, **lowering)
    want = ref_attention(q, k, v, mask=mask)
    check(got, want, np.float32, magnitude=10.0)
    if len(mask_shape) >= 2 and mask_shape[-2] > 1:
        assert (got[..., 1, :] == 0).all()


@pytest.mark.parametrize("lowering", [FLASH_44, DECOMPOSED], ids=_lowering_id)
def test_attention_mask_causal_diagonal_halves(lowering, rng):
    # N - M = 4, a multiple of the 4 x 4 blocks: each diagonal block is done
    # in halves, its mask read in halves too (rows padded 6 -> 8, keys
    # 10 -> 12); one row fully masked.
    q, k, v = qkv(rng, (2, 2), (2, 2), 6, 10, 8, 3)
    mask = random_mask(rng, (2, 1, 6, 10), p_masked=0.3, dead_row=False)
    mask[1, 0, 4, :] = -np.inf
    for masked_rows in ("zero", "nan"):
        got = ops.attention(q, k, v, mask=mask, causal=True,
                            masked_rows=masked_rows, **lowering)
        want = ref_attention(q, k, v, mask=mask, causal=True,
                             masked_rows=masked_rows)
        check(got, want, np.float32, magnitude=10.0)


@pytest.mark.parametrize("m", [1, 3, 20])
def test_attention_decode_step(m, rng):
    # A few queries against a KV cache of 300 keys (grouped heads): blocks
    # of the next multiple of 16 queries; causal aligned bottom-right.
    q, k, v = qkv(rng, (2, 4), (2, 2), m, 300, 64, 32)
    got = ops.attention(q, k, v, causal=True)
    want = ref_attention(q, k, v, causal=True)
    check(got, want, np.float32, magnitude=10.0)


@pytest.mark.parametrize("mask_shape", [(1, 300), (2, 4, 1, 300)],
                         ids=["keys", "per-head"])
def test_attention_decode_step_masked(mask_shape, rng):
    # One query per head against 300 keys, a padding mask over the keys
    # (shared, or per head with one head's keys all masked).
    q, k, v = qkv(rng, (2, 4), (2, 2), 1, 300, 64, 32)
    mask = random_mask(rng, mask_shape, p_masked=0.3, dead_row=False)
    if len(mask_shape) == 4:
        mask[1, 2] = -np.inf
    got = ops.attention(q, k, v, mask=mask)
    want = ref_attention(q, k, v, mask=mask)
    check(got, want, np.float32, magnitude=10.0)
    if len(mask_shape) == 4:
        assert (got[1, 2] == 0).all()


@pytest.mark.parametrize("mask_shape,causal", [
    pytest.param((1, 2, 128, 192), False, id="per-head"),
    pytest.param((128, 192), True, id="shared-causal"),
])
def test_attention_mask_blocks_read_transposed(mask_shape, causal, rng):
    # Whole 64 x 64 blocks of a mask (no copy of it), each transposed to
    # key-major in 16 x 16 register squares, with default blocks.
    q, k, v = qkv(rng, (1, 2), (1, 2), 128, 192, 32, 16)
    mask = random_mask(rng, mask_shape, p_masked=0.3, dead_row=False)
    mask[..., 3, :] = -np.inf
    got = ops.attention(q, k, v, mask=mask, causal=causal)
    want = ref_attention(q, k, v, mask=mask, causal=causal)
    check(got, want, np.float32, magnitude=10.0)
    assert (got[..., 3, :] == 0).all()


@pytest.mark.parametrize("lowering", [FLASH_23, DECOMPOSED], ids=_lowering_id)
def test_attention_mask_causal_scale_nan_rows(lowering, rng):
    q, k, v = qkv(rng, (2, 4), (2, 2), 5, 7, 6, 5)
    mask = random_mask(rng, (5, 7), p_masked=0.3, dead_row=False)
    mask[3, :] = -np.inf
    for masked_rows in ("zero", "nan"):
        got = ops.attention(q, k, v, mask=mask, causal=True, scale=0.3,
                            masked_rows=masked_rows, **lowering)
        want = ref_attention(q, k, v, mask=mask, causal=True, scale=0.3,
                             masked_rows=masked_rows)
        check(got, want, np.float32, magnitude=10.0)


@pytest.mark.parametrize("lowering", [FLASH_23, dict(lowering="flash", block_q=2, block_kv=2),
                                      DECOMPOSED], ids=_lowering_id)
def test_attention_first_key_block_fully_masked(lowering, rng):
    # Row i hides keys 0..5 (the first two key blocks of 3, or three of 2)
    # and sees only later keys: the running max of a flash loop starts at
    # -inf over whole blocks, which must not turn into NaN.
    q, k, v = qkv(rng, (), (), 5, 7, 8, 3)
    mask = np.zeros((5, 7), np.float32)
    mask[0, :6] = -np.inf
    mask[1, :3] = -np.inf
    mask[2, 3:] = -np.inf
    mask[4, :] = -np.inf
    got = ops.attention(q, k, v, mask=mask, **lowering)
    want = ref_attention(q, k, v, mask=mask)
    check(got, want, np.float32, magnitude=10.0)
    np.testing.assert_allclose(got[0], v[6], rtol=1e-5, atol=1e-6)
    assert (got[4] == 0).all()


@pytest.mark.parametrize("lowering", LOWERINGS, ids=_lowering_id)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_attention_large_scores(sign, lowering, rng):
    # scores of magnitude ~1e4: exp must be taken relative to the row max
    q, k, v = qkv(rng, (2, 4), (2, 2), 5, 7, 6, 5)
    q = (q * 100 * sign).astype(np.float32)
    k = (k * 100).astype(np.float32)
    got = ops.attention(q, k, v, **lowering)
    assert np.isfinite(got).all()
    want = ref_attention(q, k, v)
    # softmax of scores ~1e4 is sensitive to f32 rounding of the scores
    # themselves (~1e-3 absolute), so compare with a tolerance of that order
    np.testing.assert_allclose(got, want, rtol=0, atol=5e-2 * np.abs(v).max())


@pytest.mark.parametrize("lowering", [FLASH_23, DECOMPOSED], ids=_lowering_id)
def test_attention_float64(lowering, rng):
    q, k, v = qkv(rng, (2, 4), (2, 2), 5, 7, 6, 5, dtype=np.float64)
    mask = random_mask(rng, (5, 7), dtype=np.float64)
    got = ops.attention(q, k, v, mask=mask, causal=True, **lowering)
    check(got, ref_attention(q, k, v, mask=mask, causal=True), np.float64, 10.0)


def test_attention_float16(rng):
    q, k, v = qkv(rng, (), (), 5, 7, 8, 3, dtype=np.float16)
    got = ops.attention(q, k, v)
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64), ref_attention(q, k, v),
                               rtol=2e-2, atol=2e-2)


def test_attention_size_0_known_from_one_operand(rng):
    """A static 0 in one operand, the matching size dynamic in another (0
    when called): no keys in k, no batch in k and v, D = 0 in k."""
    def kernel(q, k, v, extra=""):
        out = q.rsplit("x", 1)[0] + "x4"
        return attn.compile(f"""
        func.func @f(%q: tensor<{q}xf32>, %k: tensor<{k}xf32>, %v: tensor<{v}xf32>) -> tensor<{out}xf32> {{
          %r = attn.attention %q, %k, %v {extra} : tensor<{q}xf32>, tensor<{k}xf32>, tensor<{v}xf32>
          return %r : tensor<{out}xf32>
        }}""")
    q = normal(rng, (8, 16))
    v = normal(rng, (5, 4))
    got = kernel("8x16", "0x16", "?x4", "masked_rows = nan")(q, np.zeros((0, 16), np.float32), v[:0])
    assert got.shape == (8, 4) and np.isnan(got).all()
    got = kernel("?x2x8x16", "0x2x5x16", "0x2x5x4")(
        np.zeros((0, 2, 8, 16), np.float32), np.zeros((0, 2, 5, 16), np.float32),
        np.zeros((0, 2, 5, 4), np.float32))
    assert got.shape == (0, 2, 8, 4)
    got = kernel("8x?", "5x0", "5x4")(np.zeros((8, 0), np.float32), np.zeros((5, 0), np.float32), v)
    check(got, np.broadcast_to(v.astype(np.float64).mean(0), (8, 4)), np.float32)


@pytest.mark.parametrize("lowering", LOWERINGS[::2], ids=_lowering_id)
def test_attention_float16_many_keys(lowering, rng):
    """f16 is computed in f32: 4096 keys of equal scores (the running sum
    passes 2048, where f16 stops counting by ones) give the mean of the
    values, rounded once."""
    q = np.zeros((2, 64), np.float16)
    k = normal(rng, (4096, 64), np.float16)
    v = (rng.random((4096, 16)) + 1).astype(np.float16)
    got = ops.attention(q, k, v, **lowering)
    want = np.broadcast_to(v.astype(np.float64).mean(0), (2, 16))
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=2 ** -10)


def test_row_ops_float16_long_rows():
    """Rows of 70000 f16 elements: sums past 2048 (and past 65504, the
    largest f16) accumulate in f32, and round once."""
    n = 70000
    ones = np.ones((1, n), np.float16)
    assert ops.sum_sq(ones)[0] == np.inf  # 70000 > 65504
    np.testing.assert_array_equal(ops.sum_sq(ones[:, :60000]), [60000])
    zeros = np.zeros((2, n), np.float16)
    check(ops.softmax(zeros), np.full((2, n), 1.0 / n), np.float16)
    check(ops.logsumexp(zeros), np.full(2, np.log(n)), np.float16, magnitude=np.log(n))
    p = np.full((1, n), 1.0 / n, np.float16)
    check(ops.xent(p, p), ref_xent(p, p), np.float16, magnitude=np.log(n))


def test_attention_default_scale_is_inverse_sqrt_d(rng):
    q, k, v = qkv(rng, (), (), 5, 7, 8, 3)
    default = ops.attention(q, k, v)
    explicit = ops.attention(q, k, v, scale=1 / np.sqrt(8))
    np.testing.assert_allclose(default, explicit, rtol=1e-6, atol=1e-7)
    check(explicit, ref_attention(q, k, v), np.float32, 10.0)


def test_attention_gqa_head_mapping(rng):
    # Hq=4, Hkv=2: query heads 0, 1 read kv head 0; 2, 3 read kv head 1.
    # Every query head holds the same queries, so heads differ only by the
    # key/value head they read.
    q = np.broadcast_to(normal(rng, (2, 1, 5, 6)), (2, 4, 5, 6)).copy()
    k = normal(rng, (2, 2, 7, 6))
    v = normal(rng, (2, 2, 7, 5))
    got = ops.attention(q, k, v, **FLASH_23)
    for b in range(2):
        np.testing.assert_allclose(got[b, 0], got[b, 1], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(got[b, 2], got[b, 3], rtol=1e-6, atol=1e-7)
        assert not np.allclose(got[b, 1], got[b, 2])
        for h in range(4):
            want = ref_attention(q[b, h], k[b, h // 2], v[b, h // 2])
            check(got[b, h], want, np.float32, 10.0)


def test_softmax_large_result_streamed(rng):
    """A 64 MiB result is written with non-temporal stores (--attn-stream-
    results); its values match float64 like any other."""
    x = normal(rng, (16, 1024, 1024), scale=3.0)
    mask = random_mask(rng, (1024, 1024))  # row 0 fully masked
    source = """
      func.func @f(%x: tensor<16x1024x1024xf32>, %m: tensor<1024x1024xf32>) -> tensor<16x1024x1024xf32> {
        %r = attn.softmax %x mask %m : tensor<16x1024x1024xf32>, tensor<1024x1024xf32>
        return %r : tensor<16x1024x1024xf32>
      }"""
    assert "!nontemporal" in attn.lower(source, to="llvmir")
    got = attn.compile(source)(x, mask)
    want = ref_softmax(x, mask)
    assert (got[:, 0, :] == 0).all()
    check(got, want, np.float32)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_register_blocked_sizes(causal, rng):
    """Head dims of 64 with the default blocks: both contractions run as
    register-blocked tiles; 200 queries and 333 keys are padded to whole
    blocks, and causal key blocks split into unmasked and masked loops."""
    q, k, v = qkv(rng, (1, 4), (1, 2), 200, 333, 64, 64)
    source = """
      func.func @f(%q: tensor<1x4x200x64xf32>, %k: tensor<1x2x333x64xf32>, %v: tensor<1x2x333x64xf32>) -> tensor<1x4x200x64xf32> {
        %r = attn.attention %q, %k, %v CAUSAL : tensor<1x4x200x64xf32>, tensor<1x2x333x64xf32>, tensor<1x2x333x64xf32>
        return %r : tensor<1x4x200x64xf32>
      }""".replace("CAUSAL", "causal" if causal else "")
    assert attn.lower(source, to="loops").count("vector.fma") >= 16
    got = attn.compile(source)(q, k, v)
    check(got, ref_attention(q, k, v, causal=causal), np.float32, magnitude=10.0)


@pytest.mark.parametrize("lowering", LOWERINGS, ids=_lowering_id)
def test_attention_nan_reaches_the_rows_that_see_it(lowering, rng):
    """The flash loop's running max ignores NaN (a one-instruction max); a NaN
    score must still make its row NaN, through exp2 and the sum, and leave
    every other row exact."""
    q, k, v = qkv(rng, (1, 2), (1, 2), 70, 70, 8, 4)
    q[0, 0, 5, 3] = np.nan   # query 5 of head 0: every score of that row
    k[0, 1, 40, 0] = np.nan  # key 40 of head 1: rows >= 40 see it (causal)
    got = ops.attention(q, k, v, causal=True, **lowering)
    assert np.isnan(got[0, 0, 5]).all()
    assert np.isnan(got[0, 1, 40:]).all()
    good = np.ones(got.shape[:3], bool)
    good[0, 0, 5] = False
    good[0, 1, 40:] = False
    # The other rows never read the NaNs (key 40 is hidden from rows < 40):
    # any finite value in their place gives the same reference.
    want = ref_attention(np.nan_to_num(q), np.nan_to_num(k), v, causal=True)
    assert np.isfinite(got[good]).all()
    np.testing.assert_allclose(got[good], want[good], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("lowering", LOWERINGS, ids=_lowering_id)
def test_attention_mask_of_lowest_finite(lowering, rng):
    """A mask of finfo.min (a common finite "masked" value): partly masked
    rows ignore those keys; a row masked whole by it is not fully masked (its
    scores are finite and equal): the mean of the values, in both
    lowerings, however many key blocks the row spans."""
    q, k, v = qkv(rng, (2,), (2,), 5, 7, 8, 3)
    mask = np.zeros((5, 7), np.float32)
    mask[0, :3] = np.finfo(np.float32).min
    mask[2, :] = np.finfo(np.float32).min
    got = ops.attention(q, k, v, mask=mask, **lowering)
    check(got, ref_attention(q, k, v, mask=mask), np.float32)
    np.testing.assert_allclose(got[:, 2], v.astype(np.float64).mean(1), rtol=1e-5)


@pytest.mark.parametrize("lowering", LOWERINGS, ids=_lowering_id)
def test_attention_scores_near_float_max(lowering, rng):
    """Scores of any finite size, in both lowerings: masks of +-3e38 (beyond
    3.4e38 / log2(e), where scores taken to base 2 would overflow) give the
    rows float64 gives. Row 0 sees keys 1 and 4 alone (their mean), row 1
    sees all but key 2 equally, row 3 a +3e38 key among zeros."""
    q, k, v = qkv(rng, (2,), (2,), 5, 7, 8, 3)
    q[:] = 0  # every score is its mask value
    big = np.float32(3e38)
    mask = np.zeros((5, 7), np.float32)
    mask[0, :] = -big
    mask[0, [1, 4]] = big
    mask[1, :] = big
    mask[1, 2] = -big
    mask[3, 6] = big
    got = ops.attention(q, k, v, mask=mask, **lowering)
    check(got, ref_attention(q, k, v, mask=mask), np.float32)
    v64 = v.astype(np.float64)
    np.testing.assert_allclose(got[:, 0], v64[:, [1, 4]].mean(1), rtol=1e-5)
    np.testing.assert_allclose(got[:, 1], np.delete(v64, 2, axis=1).mean(1), rtol=1e-5)
    np.testing.assert_allclose(got[:, 3], v64[:, 6], rtol=1e-5)


def test_attention_mask_register_blocked(rng):
    """A non-causal attention with a mask at a head dim of 64: one key loop,
    whose scaled qᵀ must stay apart from k qᵀ (not fused into it) so that
    both contractions are register-blocked; the mask is transposed once,
    key-major like the scores."""
    q, k, v = qkv(rng, (1, 2), (1, 2), 128, 192, 64, 64)
    mask = random_mask(rng, (128, 192), p_masked=0.3, dead_row=False)
    source = """
      func.func @f(%q: tensor<1x2x128x64xf32>, %k: tensor<1x2x192x64xf32>, %v: tensor<1x2x192x64xf32>, %m: tensor<128x192xf32>) -> tensor<1x2x128x64xf32> {
        %r = attn.attention %q, %k, %v mask %m : tensor<1x2x128x64xf32>, tensor<1x2x192x64xf32>, tensor<1x2x192x64xf32>, tensor<128x192xf32>
        return %r : tensor<1x2x128x64xf32>
      }"""
    # 8 x 32 tiles, 4 steps per iteration: 32 multiply-adds per contraction.
    assert attn.lower(source, to="loops").count("vector.fma") == 64
    got = attn.compile(source)(q, k, v, mask)
    check(got, ref_attention(q, k, v, mask=mask), np.float32, magnitude=10.0)
