"""The JIT's cache of large buffers (python/src/BufferCache.h): results of
>= 1 MiB come back to it when numpy frees them and are handed out again."""

import gc

import numpy as np

import attn


def softmax64(x):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_freed_result_is_kept_then_trimmed(rng):
    attn.trim_buffer_cache()
    x = rng.standard_normal((512, 1024), dtype=np.float32)  # 2 MiB result
    r = attn.ops.softmax(x)
    assert attn.buffer_cache_bytes() == 0  # the result is in use
    del r
    gc.collect()
    assert attn.buffer_cache_bytes() >= x.nbytes
    attn.trim_buffer_cache()
    assert attn.buffer_cache_bytes() == 0


def test_reused_buffer_holds_the_new_result(rng):
    a = rng.standard_normal((512, 1024), dtype=np.float32)
    b = rng.standard_normal((512, 1024), dtype=np.float32) * 4
    r = attn.ops.softmax(a)
    np.testing.assert_allclose(r, softmax64(a), rtol=1e-5, atol=1e-7)
    del r
    gc.collect()
    cached = attn.buffer_cache_bytes()
    assert cached >= a.nbytes
    r = attn.ops.softmax(b)  # takes the cached buffer
    assert attn.buffer_cache_bytes() <= cached - a.nbytes
    np.testing.assert_allclose(r, softmax64(b), rtol=1e-5, atol=1e-7)


def test_live_results_do_not_share_memory(rng):
    xs = [rng.standard_normal((512, 1024), dtype=np.float32) * s for s in (1, 3, 9)]
    results = [attn.ops.softmax(x) for x in xs]
    for i, r in enumerate(results):
        for other in results[i + 1:]:
            assert not np.shares_memory(r, other)
    for x, r in zip(xs, results):
        np.testing.assert_allclose(r, softmax64(x), rtol=1e-5, atol=1e-7)


def test_small_results_are_left_to_malloc(rng):
    x = rng.standard_normal((64, 1024), dtype=np.float32)  # 256 KiB
    before = attn.buffer_cache_bytes()
    r = attn.ops.softmax(x)
    del r
    gc.collect()
    assert attn.buffer_cache_bytes() == before
