"""Multi-threaded kernels (rows split across OpenMP threads) give the
results of the single-threaded ones, against float64 references."""

import os
import subprocess
import sys

import numpy as np
import pytest

import attn
from attn import ops


@pytest.fixture
def two_threads():
    ops.set_threads(2)
    yield
    ops.set_threads(1)


def softmax64(x):
    m = x.max(-1, keepdims=True)
    e = np.exp(x - np.where(np.isneginf(m), 0, m))
    s = e.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        return np.where(s == 0, 0, e / s)


@pytest.mark.parametrize("shape", [(3, 5, 64), (7, 130), (2, 1, 48), (5, 16)])
def test_reductions(two_threads, shape):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape).astype(np.float32)
    mask = np.where(rng.random(shape[-2:]) < 0.2, -np.inf, 0).astype(np.float32)
    if len(shape) > 1:
        np.testing.assert_array_equal(ops.masked_max(x, mask), (x + mask).max(-1))
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(ops.sum_sq(x), (x64 ** 2).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(ops.softmax(x), softmax64(x64), rtol=1e-5, atol=1e-7)
    lse = np.log(np.exp(x64 - x64.max(-1, keepdims=True)).sum(-1)) + x64.max(-1)
    np.testing.assert_allclose(ops.logsumexp(x), lse, rtol=1e-5)


def test_compile_threads():
    source = """
    func.func @f(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
      %r = attn.softmax %x causal : tensor<64x256xf32>
      return %r : tensor<64x256xf32>
    }"""
    x = np.random.default_rng(1).standard_normal((64, 256)).astype(np.float32)
    m, n = x.shape
    hidden = np.arange(n)[None, :] > np.arange(m)[:, None] + (n - m)
    want = softmax64(np.where(hidden, -np.inf, x.astype(np.float64)))
    for threads in (1, 2):
        got = attn.compile(source, threads=threads)(x)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert "omp." in attn.lower(source, to="loops", threads=2)


def test_streamed_softmax_two_threads(two_threads):
    """Each thread writes its rows of a 64 MiB result with non-temporal
    stores; together they give the float64 softmax."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 1024, 1024)).astype(np.float32) * 3
    mask = np.where(rng.random((1024, 1024)) < 0.2, -np.inf, 0).astype(np.float32)
    mask[5] = -np.inf
    got = ops.softmax(x, mask=mask)
    assert (got[:, 5, :] == 0).all()
    np.testing.assert_allclose(got, softmax64(x.astype(np.float64) + mask),
                               rtol=1e-5, atol=1e-7)


def test_attention_query_blocks_two_threads(two_threads):
    """128 query blocks (2 batches x 4 heads x 16 blocks of 16 rows), handed
    out to the threads 8 at a time as they finish (schedule(dynamic)), give
    the float64 causal attention."""
    source = """
    func.func @f(%q: tensor<2x4x256x32xf32>, %k: tensor<2x4x256x32xf32>, %v: tensor<2x4x256x32xf32>) -> tensor<2x4x256x32xf32> {
      %r = attn.attention %q, %k, %v causal : tensor<2x4x256x32xf32>, tensor<2x4x256x32xf32>, tensor<2x4x256x32xf32>
      return %r : tensor<2x4x256x32xf32>
    }"""
    llvm = attn.lower(source, to="llvm", threads=2, block_q=16, block_kv=16)
    assert "omp.wsloop schedule(dynamic = " in llvm
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 4, 256, 32)).astype(np.float32)
               for _ in range(3))
    got = ops.attention(q, k, v, causal=True, block_q=16, block_kv=16)
    s = np.einsum("bhid,bhjd->bhij", q.astype(np.float64),
                  k.astype(np.float64)) / np.sqrt(32)
    s = np.where(np.tri(256, dtype=bool), s, -np.inf)
    want = np.einsum("bhij,bhjd->bhid", softmax64(s), v.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)



ONLINE_ROWS = """
import numpy as np, attn
x = (np.random.default_rng(0).standard_normal((4, 70000)) * 3).astype(np.float32)
t = np.array([0, 69999, 12345, -100])
lse = attn.compile('''
func.func @lse(%x: tensor<4x?xf32>) -> tensor<4xf32> {
  %r = attn.logsumexp %x : tensor<4x?xf32>
  return %r : tensor<4xf32>
}''', threads=2)(x)
loss = attn.compile('''
func.func @loss(%x: tensor<4x70000xf32>, %t: tensor<4xi64>) -> tensor<f32> {
  %r = attn.xent_logits %x, %t reduction = sum : tensor<4x70000xf32>, tensor<4xi64>
  return %r : tensor<f32>
}''', threads=2)(x, t)
print(*map(float, lse), float(loss))
"""


def test_online_softmax_rows_split_across_threads():
    """Rows long or unknown enough for the one-pass online softmax (a generic
    with two results) split across threads. Run in a child process: the
    compiler once looped forever on these."""
    package = os.path.dirname(os.path.dirname(attn.__file__))
    env = {**os.environ, "PYTHONPATH": package}
    out = subprocess.run([sys.executable, "-c", ONLINE_ROWS], capture_output=True,
                         text=True, timeout=300, check=True, env=env)
    got = np.array(out.stdout.split()[-5:], np.float64)
    x = (np.random.default_rng(0).standard_normal((4, 70000)) * 3).astype(np.float32)
    x = x.astype(np.float64)
    m = x.max(-1)
    lse = m + np.log(np.exp(x - m[:, None]).sum(-1))
    rows, targets = [0, 1, 2], [0, 69999, 12345]
    np.testing.assert_allclose(got[:4], lse, rtol=1e-5)
    np.testing.assert_allclose(got[4], (lse[rows] - x[rows, targets]).sum(), rtol=1e-5)
