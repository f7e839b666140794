"""Property-based tests of attn.ops with hypothesis: random shapes (sizes 0
to 20, ranks 1 to 3), dtypes, masks, causal rows and threads, passed as
contiguous, strided (non-contiguous) and misaligned arrays, against the
float64 references. Derandomized, so that CI runs the same examples."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attn import ops
from references import (ref_attention, ref_log_softmax, ref_logsumexp,
                        ref_masked_max, ref_softmax, ref_sum_sq, ref_xent)

PROFILE = settings(max_examples=50, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.data_too_large])
TOL = {np.float16: (2e-2, 4e-3), np.float32: (2e-5, 2e-6), np.float64: (1e-11, 1e-12)}

dtypes = st.sampled_from([np.float16, np.float32, np.float64])
sizes = st.integers(0, 20)
layouts = st.sampled_from(["contiguous", "strided", "misaligned"])


def shapes(min_rank=1, max_rank=3):
    return st.lists(sizes, min_size=min_rank, max_size=max_rank).map(tuple)


def laid_out(values, layout):
    """`values` as an array of the given memory layout (same contents)."""
    if layout == "strided":
        # Every other element of a wider array along the last dimension.
        wide = np.zeros(values.shape[:-1] + (2 * values.shape[-1],), values.dtype)
        view = wide[..., ::2]
        view[...] = values
        return view
    if layout == "misaligned":
        # One byte past an aligned buffer: no element is naturally aligned.
        raw = bytearray(values.nbytes + values.itemsize + 1)
        view = np.frombuffer(raw, values.dtype, count=values.size, offset=1)
        view = view.reshape(values.shape)
        view[...] = values
        return view
    return np.ascontiguousarray(values)


def data(draw, shape, dtype, kind="normal"):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "mask":
        return np.where(rng.random(shape) < 0.3, -np.inf, 0.0).astype(dtype)
    if kind == "probabilities":
        p = rng.random(shape) + 0.05
        p[rng.random(shape) < 0.2] = 0.0
        return p.astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def close(got, want, dtype):
    rtol, atol = TOL[dtype]
    want = np.asarray(want)
    finite = want[np.isfinite(want)]
    magnitude = 1.0 + (np.abs(finite).max() if finite.size else 0.0)
    assert got.shape == want.shape
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol,
                               atol=atol * magnitude, equal_nan=True)


@PROFILE
@given(st.data(), shapes(), dtypes, layouts)
def test_sum_sq(d, shape, dtype, layout):
    x = data(d.draw, shape, dtype)
    close(ops.sum_sq(laid_out(x, layout)), ref_sum_sq(x), dtype)


@PROFILE
@given(st.data(), shapes(2), dtypes, layouts, st.booleans())
def test_masked_max(d, shape, dtype, layout, full_mask):
    x = data(d.draw, shape, dtype)
    mask = data(d.draw, shape if full_mask else shape[-2:], dtype, "mask")
    close(ops.masked_max(laid_out(x, layout), laid_out(mask, layout)),
          ref_masked_max(x, mask), dtype)


@PROFILE
@given(st.data(), shapes(), dtypes, layouts)
def test_xent(d, shape, dtype, layout):
    p = data(d.draw, shape, dtype, "probabilities")
    q = data(d.draw, shape, dtype, "probabilities")
    close(ops.xent(laid_out(p, layout), laid_out(q, layout)), ref_xent(p, q), dtype)


@pytest.mark.parametrize("op", ["softmax", "logsumexp", "log_softmax"])
@PROFILE
@given(d=st.data(), shape=shapes(2), dtype=dtypes, layout=layouts,
       masked=st.booleans(), causal=st.booleans())
def test_softmax_family(op, d, shape, dtype, layout, masked, causal):
    x = data(d.draw, shape, dtype)
    mask = data(d.draw, shape[-2:], dtype, "mask") if masked else None
    fn = getattr(ops, op)
    kwargs = {"causal": causal}
    if mask is not None:
        kwargs["mask"] = laid_out(mask, layout)
    got = fn(laid_out(x, layout), **kwargs)
    ref = {"softmax": ref_softmax, "logsumexp": ref_logsumexp,
           "log_softmax": ref_log_softmax}[op]
    close(got, ref(x, mask, causal), dtype)


@PROFILE
@given(st.data(), dtypes, layouts, st.integers(0, 9), st.integers(0, 9),
       st.sampled_from([1, 4, 8]), st.booleans(), st.sampled_from([1, 2]))
def test_attention(d, dtype, layout, m, n, features, causal, groups):
    heads_kv = 1 + d.draw(st.integers(0, 1))
    q = data(d.draw, (heads_kv * groups, m, features), dtype)
    k = data(d.draw, (heads_kv, n, features), dtype)
    v = data(d.draw, (heads_kv, n, 3), dtype)
    got = ops.attention(laid_out(q, layout), laid_out(k, layout),
                        laid_out(v, layout), causal=causal)
    close(got, ref_attention(q, k, v, causal=causal), dtype)
