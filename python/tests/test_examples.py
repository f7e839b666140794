"""Every program in examples/ compiled and run against float64 numpy.

test/Integration/examples.test only shows that each one reaches LLVM IR;
these run them (examples/reductions.mlir also runs from C in scripts/demo).
"""

import os

import numpy as np
import pytest

import attn
from test_ops import (check, random_mask, ref_attention, ref_masked_max,
                      ref_softmax, ref_sum_sq, ref_xent, ref_xent_logits)

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                        os.pardir, "examples")


def example(name, entry=None):
    return attn.compile(os.path.join(EXAMPLES, name), entry=entry)


def test_masked_softmax(rng):
    x = rng.standard_normal((8, 128, 128)).astype(np.float32) * 4
    mask = random_mask(rng, (128, 128))
    got = example("masked_softmax.mlir")(x, mask)
    check(got, ref_softmax(x, mask, causal=True), np.float32)
    # The random mask's dead row 0 and the causal mask's row 0 (one key).
    assert np.all(got[:, 0] == 0)


def test_cross_entropy(rng):
    logits = rng.standard_normal((64, 32000)).astype(np.float32) * 3
    targets = rng.integers(0, 32000, 64)
    got = example("cross_entropy.mlir")(logits, targets)
    check(got, ref_xent_logits(logits, targets), np.float32)


def test_causal_attention(rng):
    q = rng.standard_normal((1, 8, 256, 64)).astype(np.float32)
    k = rng.standard_normal((1, 2, 1024, 64)).astype(np.float32)
    v = rng.standard_normal((1, 2, 1024, 64)).astype(np.float32)
    got = example("causal_attention.mlir")(q, k, v)
    check(got, ref_attention(q, k, v, causal=True), np.float32)


@pytest.mark.parametrize("entry", ["row_max", "sum_sq", "xent"])
def test_reductions(entry, rng):
    kernel = example("reductions.mlir", entry)
    if entry == "row_max":
        s = rng.standard_normal((2, 4, 8)).astype(np.float32)
        m = random_mask(rng, (4, 8))
        check(kernel(s, m), ref_masked_max(s, m), np.float32)
    elif entry == "sum_sq":
        x = rng.standard_normal((3, 1000)).astype(np.float32)
        check(kernel(x), ref_sum_sq(x), np.float32, magnitude=1000)
    else:
        p = rng.random((4, 10)).astype(np.float32)
        p /= p.sum(-1, keepdims=True)
        q = np.eye(4, 10, dtype=np.float32)
        check(kernel(p, q), ref_xent(p, q), np.float32)
