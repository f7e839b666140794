"""Every error path raises a Python exception of the documented type (never a
crash): CompileError with MLIR's message and location for bad MLIR,
TypeError/ValueError for bad arguments, NotImplementedError for features
that have not arrived."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import attn
from attn import ops

F32 = np.float32

SOFTMAX_3x17 = """\
func.func @f(%x: tensor<3x17xf32>, %m: tensor<17xf32>) -> tensor<3x17xf32> {
  %p = attn.softmax %x : tensor<3x17xf32>
  return %p : tensor<3x17xf32>
}
"""

# One kernel, shared: f32 [3, 17] and f32 [17] in, [3, 17] out.
@pytest.fixture(scope="module")
def kernel():
    return attn.compile(SOFTMAX_3x17)


@pytest.fixture(scope="module")
def dynamic_kernel():
    return attn.compile("""\
func.func @g(%x: tensor<?x5xf32>) -> tensor<?xf32> {
  %s = attn.sum_sq %x : tensor<?x5xf32>
  return %s : tensor<?xf32>
}
""")


# --------------------------------------------------------------------------
# CompileError: parse and verifier errors with locations
# --------------------------------------------------------------------------

def test_compile_error_is_a_runtime_error():
    assert issubclass(attn.CompileError, RuntimeError)
    assert attn.CompileError is attn._attn_core.CompileError


PARSE_ERROR = """\
func.func @f(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %s = attn.sum_sq %x : tensor<4x8xf32>
  return %s : tensor<4xf32
}
"""

UNKNOWN_OP = """\
func.func @f(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %s = attn.sum_cubes %x : tensor<4x8xf32>
  return %s : tensor<4xf32>
}
"""

BAD_MASK = """\
func.func @f(%x: tensor<4x8xf32>, %m: tensor<4x7xf32>) -> tensor<4x8xf32> {
  %p = attn.softmax %x mask %m : tensor<4x8xf32>, tensor<4x7xf32>
  return %p : tensor<4x8xf32>
}
"""

BAD_HEADS = """\
// Three query heads cannot share two key/value heads.

func.func @f(%q: tensor<3x5x8xf32>, %k: tensor<2x7x8xf32>, %v: tensor<2x7x8xf32>) -> tensor<3x5x8xf32> {
  %o = attn.attention %q, %k, %v : tensor<3x5x8xf32>, tensor<2x7x8xf32>, tensor<2x7x8xf32>
  return %o : tensor<3x5x8xf32>
}
"""

BAD_TARGET = """\
func.func @f(%x: tensor<4x8xf32>, %t: tensor<5xi64>) -> tensor<f32> {
  %l = attn.xent_logits %x, %t : tensor<4x8xf32>, tensor<5xi64>
  return %l : tensor<f32>
}
"""

BAD_RESULT = """\
func.func @f(%x: tensor<4x8xf32>) -> tensor<8xf32> {
  %s = "attn.sum_sq"(%x) : (tensor<4x8xf32>) -> tensor<8xf32>
  return %s : tensor<8xf32>
}
"""

CAUSAL_RANK1 = """\
func.func @f(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = attn.softmax %x causal : tensor<8xf32>
  return %s : tensor<8xf32>
}
"""

DEEP_BRACKETS = ("func.func @f() {\n  %x = arith.constant " + "[" * 20000
                 + " : i32\n}\n")

LINALG_DIMENSIONS = """\
func.func @f(%a: tensor<4xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = linalg.broadcast ins(%a : tensor<4xf32>) outs(%b : tensor<4x8xf32>) dimensions = init
  return %r : tensor<4x8xf32>
}
"""

# (source, line, message pattern)
BAD_SOURCES = {
    "parse": (PARSE_ERROR, 3, r"expected '>'"),
    "unknown-op": (UNKNOWN_OP, 2, r"attn\.sum_cubes"),
    "mask-shape": (BAD_MASK, 2, r"'attn\.softmax' op .*mask dimension 1 \(7\).*\(8\)"),
    "gqa-heads": (BAD_HEADS, 4, r"'attn\.attention' op .*query heads \(3\).*key/value heads \(2\)"),
    "target-shape": (BAD_TARGET, 2, r"'attn\.xent_logits' op .*target dimension 0 \(5\)"),
    "result-type": (BAD_RESULT, 2, r"'attn\.sum_sq' op .*result type"),
    "causal-rank1": (CAUSAL_RANK1, 2, r"'attn\.softmax' op .*rank >= 2"),
    # Inputs that crash MLIR 22's parser are refused before it sees them.
    "deep-brackets": (DEEP_BRACKETS, 2, r"brackets nested more than 256 deep"),
    "linalg-dimensions": (LINALG_DIMENSIONS, 2,
                          r"`dimensions` or `permutation` list must be integers"),
}

ENTRY_POINTS = {
    "compile": lambda s: attn.compile(s),
    "lower-attn": lambda s: attn.lower(s, to="attn"),
    "lower-llvm": lambda s: attn.lower(s),
    "lower-llvmir": lambda s: attn.lower(s, to="llvmir"),
}


@pytest.mark.parametrize("how", list(ENTRY_POINTS))
@pytest.mark.parametrize("case", list(BAD_SOURCES))
def test_bad_mlir_raises_compile_error_with_location(case, how):
    source, line, pattern = BAD_SOURCES[case]
    with pytest.raises(attn.CompileError) as info:
        ENTRY_POINTS[how](source)
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert re.search(rf"^<source>:{line}:\d+: error: ", message, re.M), message
    assert re.search(pattern, message), message


def test_bad_mlir_from_a_path(tmp_path):
    path = tmp_path / "bad.mlir"
    path.write_text(BAD_MASK)
    with pytest.raises(attn.CompileError, match=r"<source>:2:\d+: error: .*mask"):
        attn.compile(path)
    with pytest.raises(attn.CompileError, match=r"<source>:2:\d+: error: .*mask"):
        attn.lower(str(path))


def test_non_tensor_signature_raises_compile_error():
    scalar = "func.func @f(%x: f32) -> f32 {\n  return %x : f32\n}\n"
    with pytest.raises(attn.CompileError, match="only ranked tensors"):
        attn.compile(scalar)
    unranked = ("func.func @f(%x: tensor<*xf32>) -> tensor<*xf32> {\n"
                "  return %x : tensor<*xf32>\n}\n")
    with pytest.raises(attn.CompileError, match="only ranked tensors"):
        attn.compile(unranked)


def test_bad_pipelines_raise_compile_error():
    source = SOFTMAX_3x17
    with pytest.raises(attn.CompileError, match="invalid pass pipeline 'no-such-pass'"):
        attn.compile(source, pipeline="no-such-pass")
    with pytest.raises(attn.CompileError, match="invalid pass pipeline"):
        attn.compile(source, pipeline="attn-lower-to-llvm{block-q=many}")
    # a pipeline that stops short of the LLVM dialect cannot be JIT-compiled
    with pytest.raises(attn.CompileError, match="cannot compile the module to native code"):
        attn.compile(source, pipeline="")
    with pytest.raises(attn.CompileError, match="cannot compile the module to native code"):
        attn.compile(source, pipeline="attn-lower-to-loops")


def test_empty_and_functionless_modules():
    for source in ("", "module {}\n"):
        with pytest.raises(ValueError, match=r"\(none\)"):
            attn.compile(source)


# --------------------------------------------------------------------------
# compile() and lower() arguments
# --------------------------------------------------------------------------

@pytest.mark.parametrize("source", [b"func.func", 42, None, ["a"]])
def test_source_type(source):
    with pytest.raises(TypeError, match="source must be MLIR text or a path"):
        attn.compile(source)
    with pytest.raises(TypeError, match="source must be MLIR text or a path"):
        attn.lower(source)


def test_unknown_entry():
    with pytest.raises(ValueError, match="no public function @g"):
        attn.compile(SOFTMAX_3x17, entry="g")


@pytest.mark.parametrize("threads", [0, -1])
def test_threads_out_of_range(threads):
    with pytest.raises(ValueError, match="threads must be positive"):
        attn.compile(SOFTMAX_3x17, threads=threads)
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        ops.set_threads(threads)


@pytest.mark.parametrize("threads", [2.0, "2", True])
def test_threads_type(threads):
    with pytest.raises(TypeError, match="threads must be an integer"):
        attn.compile(SOFTMAX_3x17, threads=threads)


def test_option_errors():
    with pytest.raises(TypeError, match="either pipeline or pipeline options"):
        attn.compile(SOFTMAX_3x17, pipeline="attn-lower-to-llvm", attention="flash")
    with pytest.raises(TypeError):
        attn.compile(SOFTMAX_3x17, no_such_option=1)
    with pytest.raises(ValueError, match="attention must be 'flash' or 'decomposed'"):
        attn.compile(SOFTMAX_3x17, attention="fast")
    with pytest.raises(ValueError, match="attention must be"):
        attn.lower(SOFTMAX_3x17, to="linalg", attention="fast")
    for bad in (0, -3):
        with pytest.raises(ValueError, match="block_q must be positive"):
            attn.compile(SOFTMAX_3x17, block_q=bad)
        with pytest.raises(ValueError, match="block_kv must be positive"):
            attn.lower(SOFTMAX_3x17, block_kv=bad)
    for bad in (2.0, "4", True):
        with pytest.raises(TypeError, match="block_q must be an integer"):
            attn.compile(SOFTMAX_3x17, block_q=bad)
        with pytest.raises(TypeError, match="block_kv must be an integer"):
            attn.lower(SOFTMAX_3x17, block_kv=bad)
    for bad in (1, "yes", 0.0):
        with pytest.raises(TypeError, match="reassoc must be a bool"):
            attn.compile(SOFTMAX_3x17, reassoc=bad)
        with pytest.raises(TypeError, match="approximate_math must be a bool"):
            attn.compile(SOFTMAX_3x17, approximate_math=bad)


def test_bool_block_size_is_a_type_error():
    # A bool is an int to Python, not a block size.
    with pytest.raises(TypeError, match="block_q must be an integer"):
        attn.compile(SOFTMAX_3x17, block_q=True)


def test_unknown_lower_level():
    with pytest.raises(ValueError, match="unknown level 'bogus'"):
        attn.lower(SOFTMAX_3x17, to="bogus")


# --------------------------------------------------------------------------
# Kernel calls
# --------------------------------------------------------------------------

def _good(rng=np.random.default_rng(0)):
    return rng.standard_normal((3, 17)).astype(F32), np.zeros(17, F32)


@pytest.mark.parametrize("bad", [
    [[0.0] * 17] * 3, None, 1.0, np.float32(1.0), "x", memoryview(b"\0" * 204)])
def test_kernel_non_array_argument(kernel, bad):
    x, m = _good()
    with pytest.raises(TypeError, match=r"argument 0 of @f must be a numpy\.ndarray"):
        kernel(bad, m)
    with pytest.raises(TypeError, match=r"argument 1 of @f must be a numpy\.ndarray"):
        kernel(x, bad)


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.int64, np.bool_,
                                   np.dtype(">f4")])
def test_kernel_wrong_dtype(kernel, dtype):
    x, m = _good()
    with pytest.raises(TypeError, match=r"argument 0 of @f must have dtype float32"):
        kernel(x.astype(dtype), m)


def test_kernel_masked_array(kernel):
    x, m = _good()
    with pytest.raises(TypeError, match=r"argument 0 of @f is a masked array"):
        kernel(np.ma.masked_less(x, 0), m)


def test_kernel_wrong_argument_count(kernel):
    x, m = _good()
    with pytest.raises(TypeError, match=r"@f takes 2 arrays, got 1"):
        kernel(x)
    with pytest.raises(TypeError, match=r"@f takes 2 arrays, got 3"):
        kernel(x, m, m)
    with pytest.raises(TypeError, match=r"@f takes 2 arrays, got 0"):
        kernel()


def test_kernel_wrong_rank(kernel, dynamic_kernel):
    x, m = _good()
    with pytest.raises(ValueError, match=r"argument 0 of @f must have rank 2, got shape \(51,\)"):
        kernel(x.reshape(-1), m)
    with pytest.raises(ValueError, match=r"argument 1 of @f must have rank 1"):
        kernel(x, m[None])
    with pytest.raises(ValueError, match=r"argument 0 of @g must have rank 2"):
        dynamic_kernel(np.zeros((2, 3, 5), F32))
    with pytest.raises(ValueError, match=r"must have rank 2, got shape \(\)"):
        kernel(np.array(1.0, F32), m)


def test_kernel_wrong_static_shape(kernel, dynamic_kernel):
    x, m = _good()
    with pytest.raises(ValueError, match=r"argument 0 of @f must have size 17 in dimension 1, got shape \(3, 16\)"):
        kernel(x[:, :16], m)
    with pytest.raises(ValueError, match=r"argument 0 of @f must have size 3 in dimension 0"):
        kernel(np.zeros((4, 17), F32), m)
    with pytest.raises(ValueError, match=r"argument 1 of @f must have size 17 in dimension 0"):
        kernel(x, np.zeros(18, F32))
    # the static dimension of a partly dynamic argument is checked too
    with pytest.raises(ValueError, match=r"argument 0 of @g must have size 5 in dimension 1"):
        dynamic_kernel(np.zeros((7, 4), F32))
    assert dynamic_kernel(np.ones((7, 5), F32)).tolist() == [5.0] * 7


def test_closed_kernel():
    k = attn.compile(SOFTMAX_3x17)
    x, m = _good()
    k(x, m)
    k.close()
    with pytest.raises(ValueError, match="kernel @f is closed"):
        k(x, m)
    with pytest.raises(ValueError, match="closed"):
        k(x, m)  # still closed, still an exception


def test_bf16_takes_its_bits():
    """numpy has no bfloat16: a bf16 argument is a uint16 array of its bits,
    and a float32 array is refused, not reinterpreted."""
    bf16 = attn.compile("""\
func.func @f(%x: tensor<4xbf16>) -> tensor<bf16> {
  %s = attn.sum_sq %x : tensor<4xbf16>
  return %s : tensor<bf16>
}
""")
    with pytest.raises(TypeError, match=r"argument 0 of @f must have dtype uint16 "
                       r"\(bfloat16 bits\), got float32"):
        bf16(np.zeros(4, F32))
    # 1.0, 2.0, 3.0, 0.5 as bfloat16 bits: 1 + 4 + 9 + 0.25 = 14.25
    bits = np.array([0x3F80, 0x4000, 0x4040, 0x3F00], np.uint16)
    assert bf16(bits).dtype == np.uint16 and int(bf16(bits)) == 0x4164


# --------------------------------------------------------------------------
# attn.ops arguments
# --------------------------------------------------------------------------

X = np.zeros((3, 5), F32)
T = np.zeros(3, np.int64)
Q = np.zeros((2, 4, 5, 6), F32)
K = np.zeros((2, 2, 7, 6), F32)
V = np.zeros((2, 2, 7, 3), F32)

NOT_ARRAYS = [[1.0, 2.0], None, 1.0, np.float32(1.0)]


def test_ops_masked_arrays():
    # Its mask would be ignored: numpy's masked sum of [1, 1, --] is 2.
    x = np.ma.masked_array(np.ones((1, 3), F32), mask=[[0, 0, 1]])
    with pytest.raises(TypeError, match="x is a masked array, whose mask would be ignored"):
        ops.sum_sq(x)
    with pytest.raises(TypeError, match="mask is a masked array"):
        ops.softmax(X, mask=np.ma.masked_array(np.zeros((3, 5), F32)))
    with pytest.raises(TypeError, match="q is a masked array"):
        ops.attention(np.ma.masked_array(Q), K, V)


@pytest.mark.parametrize("bad", NOT_ARRAYS, ids=["list", "None", "float", "npscalar"])
def test_ops_non_array_arguments(bad):
    calls = [
        lambda: ops.softmax(bad),
        lambda: ops.logsumexp(bad),
        lambda: ops.log_softmax(bad),
        lambda: ops.sum_sq(bad),
        lambda: ops.masked_max(bad, X),
        lambda: ops.masked_max(X, bad),
        lambda: ops.softmax(X, mask=bad) if bad is not None else ops.softmax(X, mask=[[0.0]]),
        lambda: ops.xent(bad, X),
        lambda: ops.xent(X, bad),
        lambda: ops.xent_logits(bad, T),
        lambda: ops.xent_logits(X, bad),
        lambda: ops.attention(bad, K, V),
        lambda: ops.attention(Q, bad, V),
        lambda: ops.attention(Q, K, bad),
        lambda: ops.attention(Q, K, V, mask=bad) if bad is not None else ops.attention(Q, K, V, mask=[0.0]),
    ]
    for call in calls:
        with pytest.raises(TypeError, match=r"must be a numpy\.ndarray"):
            call()


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_, np.complex64])
def test_ops_non_float_arrays(dtype):
    bad = X.astype(dtype)
    for fn in (ops.softmax, ops.logsumexp, ops.log_softmax, ops.sum_sq):
        with pytest.raises(TypeError, match="floating-point"):
            fn(bad)
    with pytest.raises(TypeError, match="floating-point"):
        ops.masked_max(bad, X)
    with pytest.raises(TypeError, match="floating-point"):
        ops.xent(bad, X)
    with pytest.raises(TypeError, match="floating-point"):
        ops.xent_logits(bad, T)
    with pytest.raises(TypeError, match="floating-point"):
        ops.attention(Q.astype(dtype), K, V)


def test_ops_dtype_mismatches():
    with pytest.raises(TypeError, match="mask must have the dtype of x"):
        ops.softmax(X, mask=X.astype(np.float64))
    with pytest.raises(TypeError, match="mask must have the dtype of scores"):
        ops.masked_max(X, X.astype(np.float16))
    with pytest.raises(TypeError, match="q must have the dtype of p"):
        ops.xent(X, X.astype(np.float64))
    with pytest.raises(TypeError, match="k must have the dtype of q"):
        ops.attention(Q, K.astype(np.float64), V)
    with pytest.raises(TypeError, match="v must have the dtype of q"):
        ops.attention(Q, K, V.astype(np.float16))
    with pytest.raises(TypeError, match="mask must have the dtype of q"):
        ops.attention(Q, K, V, mask=np.zeros((5, 7)))


@pytest.mark.parametrize("dtype", [np.int16, np.uint32, np.int8])
def test_xent_logits_target_dtype(dtype):
    with pytest.raises(TypeError, match=r"target must be an integer array \(int32, int64\)"):
        ops.xent_logits(X, T.astype(dtype))


def test_xent_logits_float_targets_are_probabilities():
    """A float target is a class distribution: of the logits' dtype and
    shape."""
    with pytest.raises(TypeError, match=r"target must have the dtype of logits"):
        ops.xent_logits(X, X.astype(np.float64))
    with pytest.raises(ValueError, match=r"expects class probabilities of the logits' rank"):
        ops.xent_logits(X, T.astype(F32))


def test_ops_rank_errors():
    scalar = np.array(1.0, F32)
    # The compiler's verifier states the rule; the message names the
    # arguments behind the op's operands.
    for fn in (ops.softmax, ops.logsumexp, ops.log_softmax, ops.sum_sq):
        with pytest.raises(ValueError, match=r"expects input of rank >= 1 .*got 'tensor<f32>' \(input is x"):
            fn(scalar)
    for fn in (ops.softmax, ops.logsumexp, ops.log_softmax):
        with pytest.raises(ValueError, match=r"expects input of rank >= 2 .* to be causally masked"):
            fn(np.zeros(5, F32), causal=True)
    with pytest.raises(ValueError, match=r"attn.ops.masked_max: .*rank >= 1 .*\(scores is scores, mask is mask\)"):
        ops.masked_max(scalar, scalar)
    with pytest.raises(ValueError, match=r"attn.ops.xent: .*rank >= 1"):
        ops.xent(scalar, scalar)
    with pytest.raises(ValueError, match=r"attn.ops.xent_logits: .*rank >= 1"):
        ops.xent_logits(scalar, np.array(0))
    for shapes, pattern in [
            (((6,), (6,), (6,)), r"expects query of rank 2 \(\[M, D\]\), 3 .* or 4 .*got 'tensor<6xf32>'"),
            (((1, 2, 4, 5, 6),) * 3, r"expects query of rank 2"),
            (((2, 4, 5, 6), (2, 7, 6), (2, 2, 7, 3)), r"expects key and value of the rank of query \(4\)")]:
        with pytest.raises(ValueError, match=pattern + r".*\(query is q, key is k, value is v\)"):
            ops.attention(*(np.zeros(s, F32) for s in shapes))


def test_ops_shape_errors():
    with pytest.raises(ValueError, match=r"attn.ops.softmax: 'attn.softmax' op expects mask dimension 1 \(4\) to match input dimension 1 \(5\) \(input is x, mask is mask\)"):
        ops.softmax(X, mask=np.zeros((3, 4), F32))
    with pytest.raises(ValueError, match=r"expects mask of rank 2 .*\[M, N\]"):
        ops.logsumexp(X, mask=np.zeros(5, F32))
    with pytest.raises(ValueError, match=r"expects mask of rank 2 .*\[M, N\]"):
        ops.log_softmax(X, mask=np.zeros((1, 3, 5), F32))
    with pytest.raises(ValueError, match=r"expects mask dimension 0 \(2\) to match scores dimension 1 \(3\)"):
        ops.masked_max(np.zeros((2, 3, 5), F32), np.zeros((2, 5), F32))
    with pytest.raises(ValueError, match=r"expects q dimension 1 \(4\) to match p dimension 1 \(5\) \(p is p, q is q\)"):
        ops.xent(X, np.zeros((3, 4), F32))
    with pytest.raises(ValueError, match=r"expects target dimension 0 \(4\) to match logits dimension 0 \(3\)"):
        ops.xent_logits(X, np.zeros(4, np.int64))
    with pytest.raises(ValueError, match=r"attn.ops.xent_logits: .*target"):
        ops.xent_logits(X, np.zeros((3, 1), np.int64))


@pytest.mark.parametrize("q,k,v,pattern", [
    ((2, 4, 5, 6), (2, 3, 7, 6), (2, 3, 7, 3), r"query heads \(4\) to be a multiple of the key/value heads \(3\)"),
    ((3, 5, 6), (2, 7, 6), (2, 7, 3), r"query heads \(3\) to be a multiple"),
    ((2, 4, 5, 6), (2, 0, 7, 6), (2, 0, 7, 3), r"key/value heads \(0\)"),
    ((2, 4, 5, 6), (2, 2, 7, 5), (2, 2, 7, 3), r"expects key dimension 3 \(5\) to match query dimension 3 \(6\)"),
    ((2, 4, 5, 6), (2, 2, 7, 6), (2, 2, 6, 3), r"expects value dimension 2 \(6\) to match key dimension 2 \(7\)"),
    ((2, 4, 5, 6), (1, 2, 7, 6), (1, 2, 7, 3), r"expects key dimension 0 \(1\) to match query dimension 0 \(2\)"),
    ((2, 4, 5, 6), (2, 2, 7, 6), (2, 1, 7, 3), r"expects value dimension 1 \(1\) to match key dimension 1 \(2\)"),
])
def test_attention_shape_errors(q, k, v, pattern):
    with pytest.raises(ValueError, match=r"attn.ops.attention: 'attn.attention' op .*" + pattern + r".*\(query is q, key is k, value is v\)"):
        ops.attention(np.zeros(q, F32), np.zeros(k, F32), np.zeros(v, F32))


@pytest.mark.parametrize("mask_shape", [(5, 6), (7, 5), (3, 5, 7), (2, 4, 5, 8), (1, 2, 4, 5, 7), (2, 2, 5, 7)])
def test_attention_mask_shape_errors(mask_shape):
    with pytest.raises(ValueError, match=r"expects mask (dimension \d \(\d\) to be 1 or the scores' dimension|of rank <= 4 \(broadcastable to the scores\)).*mask is mask\)"):
        ops.attention(Q, K, V, mask=np.zeros(mask_shape, F32))


def test_attention_attribute_errors():
    for scale in (np.inf, -np.inf, np.nan):
        with pytest.raises(ValueError, match="scale must be finite"):
            ops.attention(Q, K, V, scale=scale)
    with pytest.raises(ValueError, match="scale must be finite in float32, got 1e"):
        ops.attention(Q, K, V, scale=1e39)
    q16 = Q.astype(np.float16)
    with pytest.raises(ValueError, match="scale must be finite in float32, got 1e"):
        ops.attention(q16, q16, q16, scale=1e39)
    with pytest.raises(ValueError):
        ops.attention(Q, K, V, scale="large")
    with pytest.raises(ValueError, match="masked_rows must be 'zero' or 'nan'"):
        ops.attention(Q, K, V, masked_rows="inf")
    with pytest.raises(ValueError, match="attention must be 'flash' or 'decomposed'"):
        ops.attention(Q, K, V, lowering="fast")
    with pytest.raises(ValueError, match="block_q must be positive"):
        ops.attention(Q, K, V, block_q=0)
    with pytest.raises(ValueError, match="block_kv must be positive"):
        ops.attention(Q, K, V, block_kv=-2)


@pytest.mark.parametrize("bad", ["none", "NaN", "", "zeros", 0])
def test_masked_rows_errors(bad):
    with pytest.raises(ValueError, match="masked_rows must be 'zero' or 'nan'"):
        ops.softmax(X, masked_rows=bad)


@pytest.mark.parametrize("bad", ["avg", "Mean", "", None, "elementwise"])
def test_reduction_errors(bad):
    with pytest.raises(ValueError, match="reduction must be 'none', 'sum' or 'mean'"):
        ops.xent_logits(X, T, reduction=bad)


@pytest.mark.parametrize("bad", [True, 1.5, "3", None])
def test_ignore_index_errors(bad):
    with pytest.raises(TypeError, match="ignore_index must be an integer"):
        ops.xent_logits(X, T, ignore_index=bad)


def test_ignore_index_beyond_int64():
    logits = np.zeros((3, 5), F32)
    target = np.array([-100, 1, 2], np.int64)
    with pytest.raises(ValueError, match="does not fit the target dtype int64"):
        ops.xent_logits(logits, target, ignore_index=2**64 - 100, reduction="none")


def test_ignore_index_not_truncated_for_int32_targets():
    # An ignore_index beyond int32 cannot match an int32 target: rejected, not
    # truncated (the verifier says the same of the IR).
    logits = np.zeros((3, 5), F32)
    target = np.array([-100, 1, 2], np.int32)
    with pytest.raises(ValueError, match="does not fit the target dtype int32"):
        ops.xent_logits(logits, target, ignore_index=2**32 - 100, reduction="none")


def _overcommits_always():
    try:
        with open("/proc/sys/vm/overcommit_memory") as f:
            return f.read().strip() == "1"
    except OSError:
        return True


@pytest.mark.skipif(_overcommits_always(),
                    reason="malloc of 64 TiB succeeds when memory is always overcommitted")
def test_out_of_memory_raises():
    """A buffer the machine cannot allocate (the decomposed scores of 2^22 x
    2^22 keys, 64 TiB) raises MemoryError instead of writing through a null
    pointer; the process goes on."""
    n = 1 << 22
    q = np.zeros((n, 1), F32)
    with pytest.raises(MemoryError, match=r"cannot allocate 70368744177728 bytes"):
        ops.attention(q, q, q, lowering="decomposed")
    np.testing.assert_array_equal(ops.sum_sq(np.ones((2, 3), F32)), [3, 3])


RECOVERS_AFTER_OOM = """
import resource, numpy as np, attn
two = attn.compile('''
func.func @two(%x: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %a = attn.softmax %x : tensor<?x?xf32>
  %b = attn.log_softmax %x : tensor<?x?xf32>
  return %a, %b : tensor<?x?xf32>, tensor<?x?xf32>
}''')
x = np.zeros((1 << 12, 1 << 14), np.float32)  # 256 MiB
two(x[:2])
vm = lambda: next(int(l.split()[1]) << 10 for l in open("/proc/self/status")
                  if l.startswith("VmSize"))
# Room for one result, not two.
resource.setrlimit(resource.RLIMIT_AS, (vm() + (3 << 27), resource.RLIM_INFINITY))
for _ in range(3):
    try:
        two(x)
        print("two ok")
    except MemoryError:
        print("MemoryError")
    print(attn.ops.softmax(x).shape)
"""


def test_memory_error_frees_what_the_call_allocated():
    """After a MemoryError, the buffers the call had allocated are freed: a
    call that fits before still fits after (run in a child, whose address
    space is capped)."""
    package = os.path.dirname(os.path.dirname(attn.__file__))
    out = subprocess.run([sys.executable, "-c", RECOVERS_AFTER_OOM], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "PYTHONPATH": package})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:6] == ["MemoryError", "(4096, 16384)"] * 3
