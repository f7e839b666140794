"""attn.empty / attn.aligned: arrays whose data starts on a cache line."""

import numpy as np
import pytest

import attn


@pytest.mark.parametrize("shape,dtype", [
    ((3, 5), np.float32), ((2, 3, 7), np.float64), ((0, 4), np.float32),
    (17, np.float16), ((), np.float32)])
def test_empty_is_aligned_and_contiguous(shape, dtype):
    a = attn.empty(shape, dtype)
    assert a.shape == (shape if isinstance(shape, tuple) else (shape,))
    assert a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
    assert a.ctypes.data % 64 == 0 or a.size == 0


def test_aligned_copies_only_when_needed(rng):
    base = np.empty(1024 + 16, np.float32)
    # a view starting one float after a 64-byte boundary
    start = (-base.ctypes.data % 64) // 4 + 1
    x = base[start:start + 1024].reshape(32, 32)
    x[...] = rng.standard_normal((32, 32))
    y = attn.aligned(x)
    assert y.ctypes.data % 64 == 0 and not np.shares_memory(x, y)
    np.testing.assert_array_equal(y, x)
    assert attn.aligned(y) is y
    # non-contiguous input: a contiguous aligned copy
    t = attn.aligned(x.T)
    assert t.flags.c_contiguous and t.ctypes.data % 64 == 0
    np.testing.assert_array_equal(t, x.T)


def test_kernels_read_aligned_arrays(rng):
    x = attn.aligned(rng.standard_normal((8, 256), dtype=np.float32))
    want = (x.astype(np.float64) ** 2).sum(-1)
    np.testing.assert_allclose(attn.ops.sum_sq(x), want, rtol=1e-5)
