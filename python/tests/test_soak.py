"""Soak: 10^5 calls of every op through attn.ops leave the process's memory
flat (the kernels and results of repeated calls are not kept). Not run under
AddressSanitizer, whose quarantine keeps freed memory resident by design."""

import os

import numpy as np
import pytest

from attn import ops

CALLS = 100_000
# Resident memory may grow by allocator noise, not by what the calls keep:
# 10^5 results of 16 bytes kept would be 1.6 MB plus their objects.
GROWTH_LIMIT = 4 << 20


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


rng = np.random.default_rng(0)
x = rng.standard_normal((4, 16)).astype(np.float32)
mask = np.zeros((4, 16), np.float32)
p = np.full((4, 16), 1 / 16, np.float32)
target = np.array([0, 3, 15, -100])
q = rng.standard_normal((2, 8, 16)).astype(np.float32)

CASES = {
    "sum_sq": lambda: ops.sum_sq(x),
    "masked_max": lambda: ops.masked_max(x, mask),
    "xent": lambda: ops.xent(p, p),
    "softmax": lambda: ops.softmax(x, mask=mask),
    "logsumexp": lambda: ops.logsumexp(x, causal=True),
    "log_softmax": lambda: ops.log_softmax(x),
    "xent_logits": lambda: ops.xent_logits(x, target),
    "attention": lambda: ops.attention(q, q, q, causal=True),
}


@pytest.mark.skipif("ASAN_OPTIONS" in os.environ,
                    reason="ASan's quarantine keeps freed memory resident")
@pytest.mark.parametrize("op", list(CASES))
def test_memory_stays_flat(op):
    call = CASES[op]
    for _ in range(1000):  # compiled, caches and allocator warm
        call()
    before = resident_bytes()
    for _ in range(CALLS):
        call()
    growth = resident_bytes() - before
    assert growth < GROWTH_LIMIT, f"{op}: {CALLS} calls grew RSS by {growth} bytes"
