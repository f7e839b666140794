"""Edge-case numerics of attn.ops (NaN, inf, huge logits, long online rows,
underflow in attention, in-order sums), each against a rule documented in
AttnOps.td or README.md. float64 references are written from those rules."""

import numpy as np
import pytest

import attn
from attn import ops
from test_ops import check, ref_attention, ref_masked_max, ref_softmax, ref_xent

F32 = np.float32
INF, NAN = np.inf, np.nan


def stable_parts(x):
    """z, the safe shift (0 on fully -inf rows), log sum exp(z - shift), in
    float64 and without the cancellation of m + log(s) - z."""
    z = np.asarray(x, np.float64)
    m = z.max(axis=-1, keepdims=True)
    shift = np.where(np.isneginf(m), 0.0, m)
    with np.errstate(all="ignore"):
        s = np.log(np.exp(z - shift).sum(axis=-1, keepdims=True))
    return z, shift, s


def ref_lse(x):
    z, shift, s = stable_parts(x)
    return (shift + s)[..., 0]  # a fully -inf row: 0 + log 0 = -inf


def ref_lsm(x):
    z, shift, s = stable_parts(x)
    with np.errstate(all="ignore"):
        return np.where(np.isneginf(s), -INF, (z - shift) - s)


def ref_xl(x, t):
    """lse - z[t], as (shift - z[t]) + s; ignore_index rows 0."""
    z, shift, s = stable_parts(x)
    zt = np.take_along_axis(z, np.maximum(t, 0)[:, None], -1)
    with np.errstate(all="ignore"):
        loss = ((shift - zt) + s)[:, 0]
    return np.where(t == -100, 0.0, loss)


def test_masked_max_nan_row_and_inf_plus_neg_inf():
    """masked_max: NaN propagates to its row only; +inf + -inf (mask) is NaN."""
    x = np.arange(2 * 6 * 70, dtype=F32).reshape(2, 6, 70) % 97
    mask = np.zeros((6, 70), F32)
    mask[:, 10] = -INF
    x[0, 1, 0] = NAN      # first element
    x[1, 2, 69] = NAN     # last element (after the vector lanes)
    x[:, 3, 33] = INF
    mask[3, 33] = -INF    # +inf under a -inf mask: NaN
    x[:, 4, 10] = INF     # +inf under the masked column: NaN too
    x[:, 5, 40] = INF     # +inf kept: the row max is +inf
    got = ops.masked_max(x, mask)
    with np.errstate(invalid="ignore"):
        want = ref_masked_max(x, mask)
    nan_rows = np.zeros((2, 6), bool)
    nan_rows[0, 1] = nan_rows[1, 2] = True
    nan_rows[:, 3] = nan_rows[:, 4] = True
    np.testing.assert_array_equal(np.isnan(got), nan_rows)
    assert (got[:, 5] == INF).all()
    np.testing.assert_array_equal(got[~nan_rows], want[~nan_rows])


def test_xent_negative_p_zero_p_and_zero_q():
    """xent: log(p < 0) is NaN where q > 0; p == 0, q > 0 is +inf; q == 0 adds exactly 0."""
    p = np.full((6, 70), 1.0 / 70, F32)
    q = np.full((6, 70), 1.0 / 70, F32)
    p[1, 3] = -0.25                        # q > 0: NaN
    p[2, 69] = 0.0                         # q > 0: +inf
    p[3, :5] = q[3, :5] = 0.0              # 0 log 0 = 0
    p[4, 7] = -0.25; q[4, 7] = 0.0         # q == 0: the log's NaN is not read
    p[5, 8] = 0.0; p[5, 9] = 0.0; q[5, 9] = 0.0  # +inf, not NaN
    got = ops.xent(p, q)
    assert np.isnan(got[1]) and got[2] == INF and got[5] == INF
    assert not np.isnan(got[[0, 2, 3, 4, 5]]).any()
    check(got[[0, 3, 4]], ref_xent(p, q)[[0, 3, 4]], F32, 10.0)
    # Same rows with p = 1 (log 1 = 0) where q == 0: bitwise the same sums.
    p1 = p.copy()
    p1[3, :5] = 1.0
    p1[4, 7] = 1.0
    np.testing.assert_array_equal(got[[3, 4]], ops.xent(p1, q)[[3, 4]])


def huge_rows(n, rng):
    x = rng.uniform(-3, 3, (9, n))
    x[0], x[1] = x[0] + 1e30, x[1] - 1e30
    x[2] = 3e38 * rng.uniform(0.5, 1, n)
    x[3] = -3e38 * rng.uniform(0.5, 1, n)
    x[4, : n // 2], x[4, n // 2:] = 3e38, -3e38  # differences overflow f32
    x[5], x[6], x[6, 3] = np.finfo(F32).min, np.finfo(F32).max, np.finfo(F32).min
    x[7, 2] = x[7, n - 1] = 1e30                 # two maxima among small values
    x[8] = 1e30 * rng.uniform(0.99999, 1, n)     # steps of 1e24
    return x.astype(F32)


@pytest.mark.parametrize("op", ["softmax", "logsumexp", "log_softmax", "xent_logits"])
def test_huge_logits_near_the_f32_range(op, rng):
    """Rows are shifted by their max: logits up to finfo.max give the float64 result."""
    x = huge_rows(37, rng)
    if op == "xent_logits":
        t = np.array([0, 5, 9, 11, 1, 30, 3, 2, 20])
        got, want = ops.xent_logits(x, t, reduction="none"), ref_xl(x, t)
    else:
        got = getattr(ops, op)(x)
        want = {"softmax": ref_softmax, "logsumexp": ref_lse, "log_softmax": ref_lsm}[op](x)
    with np.errstate(over="ignore"):  # as float32 holds it (beyond 3.4e38: inf)
        want = want.astype(F32).astype(np.float64)
    assert not np.isnan(want).any()
    np.testing.assert_array_equal(np.isfinite(got), np.isfinite(want))
    check(got, want, F32, 20.0)


@pytest.mark.parametrize("n", [70, 70003])
def test_log_softmax_logsumexp_nan_and_inf(n):
    """NaN propagates to its row only; a row holding +inf gives NaN (inf - inf)."""
    x = np.tile(np.linspace(-2, 2, n, dtype=F32), (8, 1))
    mask = np.zeros((8, n), F32)
    x[1, 0] = NAN
    x[2, n - 1] = NAN
    x[3, n // 2] = INF
    x[4, n - 1] = INF
    x[5, 7] = INF
    mask[5, 7] = -INF            # +inf + -inf: NaN
    x[6, 9] = NAN
    mask[6, 9] = -INF            # NaN + -inf: NaN
    x[7, 0] = x[7, n - 1] = -INF  # -inf entries: probability 0, not NaN
    lse = ops.logsumexp(x, mask=mask)
    lsm = ops.log_softmax(x, mask=mask)
    assert np.isnan(lse[1:7]).all() and np.isnan(lsm[1:7]).all()
    good = [0, 7]
    z = x[good] + mask[good]
    np.testing.assert_array_equal(lsm[7, [0, n - 1]], [-INF, -INF])
    check(lse[good], ref_lse(z), F32, 20.0)
    check(lsm[good], ref_lsm(z), F32, 20.0)


def test_xent_logits_nan_and_inf_rows():
    """xent_logits = lse - z[t] per row: NaN/+inf rows give NaN, -inf at the target +inf."""
    n = 70
    x = np.tile(np.linspace(-2, 2, n, dtype=F32), (9, 1))
    x[1, 5] = NAN                 # NaN off the target
    x[2, 3] = INF                 # +inf off the target: lse is NaN
    x[3, 4] = INF                 # +inf at the target
    x[4, 6] = -INF                # -inf off the target: finite
    x[5, 8] = -INF                # -inf at the target: +inf
    x[6] = -INF                   # fully -inf: -inf - -inf
    x[7, 1] = NAN                 # ignored row: 0 whatever its logits
    t = np.array([0, 0, 0, 4, 0, 8, 0, -100, n - 1])
    got = ops.xent_logits(x, t, reduction="none")
    assert np.isnan(got[[1, 2, 3, 6]]).all()
    assert got[5] == INF and got[7] == 0.0
    fine = [0, 4, 8]
    check(got[fine], ref_xl(x[fine], t[fine]), F32, 10.0)
    assert np.isnan(ops.xent_logits(x, t, reduction="sum"))
    keep = [0, 4, 5, 7, 8]        # one +inf loss, one ignored NaN row
    assert ops.xent_logits(x[keep], t[keep], reduction="mean") == INF


@pytest.mark.parametrize("n", [70000, 70003])
def test_long_online_rows_edge_values(n, rng):
    """Rows >= 65536 (one-pass online softmax) keep the documented -inf/NaN/inf/huge rules."""
    x = (3 * rng.standard_normal((9, n))).astype(F32)
    x[1, rng.random(n) < 0.3] = -INF
    x[1, [0, n - 1, n - 2]] = -INF   # masked at the start and in the tail
    x[2] = -INF                      # fully masked
    x[3, n - 5] = NAN
    x[4, 17] = INF
    x[5, [0, n - 1]] = 1e30          # max first, and again in the last element
    x[6] = F32(-1e30)                # one value: uniform row
    x[7, : n - 1] = -INF             # only the last element lives
    x[8, n // 3] = 1e30              # the max grows mid-row by 1e30
    dead, bad = [2], [3, 4]
    live = [0, 1, 5, 6, 7, 8]
    sm, smn = ops.softmax(x), ops.softmax(x, masked_rows="nan")
    assert (sm[dead] == 0).all() and np.isnan(smn[dead]).all()
    assert np.isnan(sm[bad]).all() and np.isnan(smn[bad]).all()
    assert (sm[1][x[1] == -INF] == 0).all() and sm[7, n - 1] == 1.0
    check(sm[live], ref_softmax(x[live]), F32)
    np.testing.assert_array_equal(smn[live], sm[live])
    lse = ops.logsumexp(x)
    assert lse[2] == -INF and np.isnan(lse[bad]).all()
    check(lse[live], ref_lse(x[live]), F32, 20.0)
    t = np.array([5, 7, 0, 1, 2, n - 1, 11, n - 1, n // 3])
    t[1] = np.flatnonzero(x[1] > -INF)[0]
    xl = ops.xent_logits(x, t, reduction="none")
    assert np.isnan(xl[[2, 3, 4]]).all()
    check(xl[live], ref_xl(x[live], t[live]), F32, 20.0)
    np.testing.assert_allclose(xl[[5, 7, 8]], [np.log(2), 0, 0], atol=1e-6)


def attention_case(diff, dominant_last):
    """One query, 7 keys: the dominant key scores `diff` above key `other`
    (v = +-1e38); the rest are negligible."""
    n = 7
    dom = n - 1 if dominant_last else 0
    other = (dom + 3) % n
    k = np.full((n, 1), -1e4, F32)
    k[dom], k[other] = diff, 0.0
    v = np.ones((n, 2), F32)
    v[dom], v[other] = [1.0, 0.5], [1e38, -1e38]
    return np.ones((3, 1), F32), k, v, dom


@pytest.mark.parametrize("dominant_last", [False, True])
@pytest.mark.parametrize("lowering", [{}, dict(block_q=2, block_kv=3), None],
                         ids=["flash", "flash-q2kv3", "decomposed"])
def test_attention_probabilities_below_2_pow_minus_126(lowering, dominant_last):
    """Probabilities below 2^-126 of the row's max are exactly 0 (flash); just above count."""
    if lowering is None:  # decomposed: e^-100 times v = 1e38 is 4e-6, within tolerance
        q, k, v, dom = attention_case(100.0, dominant_last)
        got = ops.attention(q, k, v, scale=1.0, lowering="decomposed")
        check(got, ref_attention(q, k, v, scale=1.0), F32)
        return
    for diff in (88.0, 100.0):    # e^-88 = 6e-39 < 2^-126 = 1.2e-38
        q, k, v, dom = attention_case(diff, dominant_last)
        got = ops.attention(q, k, v, scale=1.0, lowering="flash", **lowering)
        np.testing.assert_array_equal(got, np.broadcast_to(v[dom], got.shape))
    q, k, v, dom = attention_case(87.0, dominant_last)  # e^-87 = 1.6e-38: kept
    want = ref_attention(q, k, v, scale=1.0)
    assert abs(want[0, 0] - 1.0) > 1.0
    check(ops.attention(q, k, v, scale=1.0, lowering="flash", **lowering), want, F32)


ONLINE_LSE = """
func.func @f(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %r = attn.logsumexp %x : tensor<?x?xf32>
  return %r : tensor<?xf32>
}"""


def test_reassoc_false_online_rows_are_in_order(rng):
    """reassoc=False: online rows sum in order (bitwise reproducible), close to float64."""
    n = 70003
    x = (3 * rng.standard_normal((5, n))).astype(F32)
    tiny = F32(np.log(2.0 ** -26))   # exp is 2^-26: below half an ulp of 1
    x[2:] = tiny
    x[2, 0] = x[3, n // 2] = x[4, n - 1] = 0.0
    kernels = [attn.compile(ONLINE_LSE, reassoc=False),
               attn.compile(ONLINE_LSE, reassoc=False),
               attn.compile(ONLINE_LSE, reassoc=False, threads=2)]
    first = kernels[0](x)
    for kernel in kernels + kernels[:1]:
        np.testing.assert_array_equal(kernel(x), first)
    np.testing.assert_allclose(first[:2], ref_lse(x[:2]), rtol=1e-4)
    # In order, a running sum of 1 (the max seen) stays 1: each later 2^-26
    # is rounded away; terms before the max are summed, then rescaled.
    e = F32(np.exp(np.float64(tiny)))
    want = [np.log(np.float64(F32(F32(before) * e) + F32(1.0)))
            for before in (0, n // 2, n - 1)]
    np.testing.assert_allclose(first[2:], want, rtol=0, atol=3e-7)
    assert abs(want[0]) < 1e-9 and ref_lse(x[2:3])[0] > 1e-3


def test_xent_logits_mean_of_huge_losses():
    """The sum behind a mean is formed in f64: losses of 2e38 have their mean;
    their sum, beyond float32, is inf."""
    z = np.array([[0.0, -2e38], [0.0, -2e38], [0.0, -1e38]], F32)
    t = np.array([1, 1, 1])
    np.testing.assert_allclose(ops.xent_logits(z, t, reduction="none"), [2e38, 2e38, 1e38],
                               rtol=1e-6)
    np.testing.assert_allclose(ops.xent_logits(z, t), 5e38 / 3, rtol=1e-6)
    assert ops.xent_logits(z, t, reduction="sum") == INF
