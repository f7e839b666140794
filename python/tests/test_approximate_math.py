"""Accuracy of the polynomial exp, log and tanh that --attn-approximate-math puts
in compiled code, against float64 numpy over the whole float32 range,
special values included."""

import numpy as np
import pytest

import attn

ELEMENTWISE = """
#id = affine_map<(d0) -> (d0)>
func.func @f(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = math.OP %in : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  return %y : tensor<?xf32>
}
"""


@pytest.fixture(scope="module", params=["exp", "log", "tanh"])
def op(request):
    kernel = attn.compile(ELEMENTWISE.replace("OP", request.param))
    assert "math." + request.param not in attn.lower(
        ELEMENTWISE.replace("OP", request.param), to="llvm"), "not approximated"
    return request.param, kernel


def ulp_error(got, want):
    """|got - want| in units of the float32 spacing at want."""
    spacing = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


def test_special_values(op):
    name, kernel = op
    x = np.array([-np.inf, np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 1e-45, 3.4e38,
                  -3.4e38, 89.0, 88.7, -104.0, -87.0], np.float32)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x.astype(np.float64)).astype(np.float32)
    got = kernel(x)
    for xi, g, w in zip(x, got, want):
        if np.isnan(w):
            assert np.isnan(g), f"{name}({xi}) = {g}, want nan"
        elif np.isinf(w) or w == 0:
            assert g == w, f"{name}({xi}) = {g}, want {w}"
        elif abs(w) >= np.finfo(np.float32).tiny:
            err = ulp_error(np.float32(g), np.float64(w))
            assert err <= 5, f"{name}({xi}) = {g}, want {w} ({err:.1f} ulp)"


def test_sweep_accuracy(op):
    """Every 997th float32 bit pattern of the finite inputs whose result is a
    finite normal float32: the worst error stays within 5 ulp."""
    name, kernel = op
    bits = np.arange(0, 2**32, 997, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = x[np.isfinite(x)]
    with np.errstate(all="ignore"):
        want = getattr(np, name)(x.astype(np.float64))
    tiny = np.finfo(np.float32).tiny
    normal = np.isfinite(want) & (np.abs(want) >= tiny) & (np.abs(want) < 3.4e38)
    got = kernel(x)
    err = ulp_error(got[normal], want[normal])
    assert err.max() <= 5, f"{name}: max error {err.max():.2f} ulp at x = {x[normal][err.argmax()]!r}"
    # Outside the normal range the result is 0/denormal, inf or nan exactly
    # where float64 says so.
    with np.errstate(all="ignore"):
        want32 = want.astype(np.float32)
    assert np.array_equal(np.isnan(got), np.isnan(want32))
    assert np.array_equal(np.isposinf(got), np.isposinf(want32))
    assert np.array_equal(np.isneginf(got), np.isneginf(want32))


NONPOSITIVE_EXP2 = ELEMENTWISE.replace("math.OP %in", "math.exp2 %in {attn.nonpositive}")


def test_nonpositive_exp2():
    """The exp2 of a softmax's `s - max` (attn.nonpositive): every 97th
    non-positive float32 and the special values. Within 2.5 ulp where the
    result is a normal float32; results below 2^-126 flush to 0."""
    kernel = attn.compile(NONPOSITIVE_EXP2)
    assert "math.exp2" not in attn.lower(NONPOSITIVE_EXP2, to="llvm")
    bits = np.arange(0x80000000, 2**32, 97, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = np.concatenate([x[np.isfinite(x)], np.float32([-0.0, 0.0, -126.0, -1.0, -0.5])])
    got = kernel(x)
    want = np.exp2(x.astype(np.float64))
    normal = x >= -126
    err = ulp_error(got[normal], want[normal])
    assert err.max() <= 2.5, f"max error {err.max():.2f} ulp at x = {x[normal][err.argmax()]!r}"
    assert (got[~normal] == 0).all()
    assert got[-5] == 1 and got[-4] == 1 and got[-3] == 2.0**-126 and got[-2] == 0.5
    special = kernel(np.float32([-np.inf, np.nan, -1e30]))
    assert special[0] == 0 and np.isnan(special[1]) and special[2] == 0


def test_nonpositive_exp():
    """The exp that attn's softmax lowerings mark `attn.nonpositive` (its
    operand is x - max <= 0): within 5 ulp over every 97th float32 <= 0 whose
    exp is normal, 0 below (denormal results flush), exp(-0) = 1,
    exp(-inf) = 0 and NaN propagated."""
    source = ELEMENTWISE.replace("math.OP %in", "math.exp %in {attn.nonpositive}")
    kernel = attn.compile(source)
    bits = np.arange(0x80000000, 2**32, 97, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = np.concatenate([x[np.isfinite(x)],
                        np.array([-0.0, 0.0, -np.inf, np.nan, -87.3, -87.4, -104.0],
                                 np.float32)])
    got = kernel(x)
    with np.errstate(all="ignore"):
        want = np.exp(x.astype(np.float64))
    tiny = np.finfo(np.float32).tiny
    normal = np.isfinite(want) & (want >= tiny)
    err = ulp_error(got[normal], want[normal])
    assert err.max() <= 5, f"max error {err.max():.2f} ulp at x = {x[normal][err.argmax()]!r}"
    below = ~np.isnan(x) & (want < tiny)
    assert np.all(got[below] == 0)
    assert np.isnan(got[np.isnan(x)]).all()
