"""attn.compile and attn.lower: sources, entries, dynamic shapes, the
argument copy and result ownership rules, the op cache, and the IR levels."""

import gc
import os
import re
import subprocess
import sys
import textwrap

import numpy as np

import references
import pytest

import attn
from attn import ops

F32 = np.float32
# The directory holding the attn package, for subprocesses.
_PACKAGES = os.path.dirname(os.path.dirname(os.path.abspath(attn.__file__)))

DYNAMIC_SUM_SQ = """\
// The sum of squares of any [rows, cols] array.
func.func @sum_sq(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %s = attn.sum_sq %x : tensor<?x?xf32>
  return %s : tensor<?xf32>
}
"""

DYNAMIC_SOFTMAX = """\
func.func @softmax(%x: tensor<?x?x?xf32>, %m: tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  %p = attn.softmax %x mask %m causal : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %p : tensor<?x?x?xf32>
}
"""

STATIC_SOFTMAX = """\
func.func @softmax(%x: tensor<3x17xf32>) -> tensor<3x17xf32> {
  %p = attn.softmax %x : tensor<3x17xf32>
  return %p : tensor<3x17xf32>
}
"""

TWO_FUNCTIONS = """\
func.func @row_max(%s: tensor<3x17xf32>, %m: tensor<3x17xf32>) -> tensor<3xf32> {
  %r = attn.masked_max %s, %m : tensor<3x17xf32>, tensor<3x17xf32>
  return %r : tensor<3xf32>
}
func.func @lse(%x: tensor<3x17xf32>) -> tensor<3xf32> {
  %r = attn.logsumexp %x : tensor<3x17xf32>
  return %r : tensor<3xf32>
}
"""

# A public function calling a private one: only @norms is an entry.
WITH_PRIVATE = """\
func.func private @helper(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %s = attn.sum_sq %x : tensor<?x?xf32>
  return %s : tensor<?xf32>
}
func.func @norms(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %s = func.call @helper(%x) : (tensor<?x?xf32>) -> tensor<?xf32>
  return %s : tensor<?xf32>
}
"""

TWO_RESULTS = """\
func.func @both(%x: tensor<4x9xf32>, %t: tensor<4xi64>)
    -> (tensor<4x9xf32>, tensor<f32>, tensor<4xf32>) {
  %lsm = attn.log_softmax %x : tensor<4x9xf32>
  %loss = attn.xent_logits %x, %t reduction = sum : tensor<4x9xf32>, tensor<4xi64>
  %ss = attn.sum_sq %x : tensor<4x9xf32>
  return %lsm, %loss, %ss : tensor<4x9xf32>, tensor<f32>, tensor<4xf32>
}
"""


def ref_log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def ref_softmax_causal(x, mask):
    z = x.astype(np.float64) + mask
    m_, n = z.shape[-2:]
    i, j = np.arange(m_)[:, None], np.arange(n)[None, :]
    z = np.where(j > i + (n - m_), -np.inf, z)
    mx = z.max(-1, keepdims=True)
    dead = np.isneginf(mx)
    with np.errstate(invalid="ignore"):
        e = np.exp(z - np.where(dead, 0, mx))
        p = e / e.sum(-1, keepdims=True)
    return np.where(dead, 0.0, p)


@pytest.fixture(scope="module")
def sum_sq_kernel():
    return attn.compile(DYNAMIC_SUM_SQ)


@pytest.fixture(scope="module")
def softmax_kernel():
    return attn.compile(DYNAMIC_SOFTMAX)


# --------------------------------------------------------------------------
# sources and entries
# --------------------------------------------------------------------------

def test_compile_text(sum_sq_kernel, rng):
    assert isinstance(sum_sq_kernel, attn.Kernel)
    assert sum_sq_kernel.entry == "sum_sq"
    assert [tuple(a) for a in sum_sq_kernel.arguments] == [("f32", [-1, -1])]
    assert [tuple(r) for r in sum_sq_kernel.results] == [("f32", [-1])]
    assert repr(sum_sq_kernel) == (
        "<attn.Kernel @sum_sq(tensor<?x?xf32>) -> (tensor<?xf32>)>")
    x = rng.standard_normal((3, 17)).astype(F32)
    np.testing.assert_allclose(sum_sq_kernel(x), (x.astype(float) ** 2).sum(-1),
                               rtol=1e-5)


def test_compile_and_lower_from_path(tmp_path, rng):
    path = tmp_path / "sum_sq.mlir"
    path.write_text(DYNAMIC_SUM_SQ)
    x = rng.standard_normal((4, 5)).astype(F32)
    want = (x.astype(float) ** 2).sum(-1)
    for source in (path, str(path)):
        kernel = attn.compile(source)
        np.testing.assert_allclose(kernel(x), want, rtol=1e-5)
        assert "attn.sum_sq" in attn.lower(source, to="attn")
        assert "linalg.reduce" in attn.lower(source, to="linalg")


def test_missing_path_raises(tmp_path):
    with pytest.raises(OSError):
        attn.compile(tmp_path / "missing.mlir")
    with pytest.raises(OSError):
        attn.compile(str(tmp_path / "missing.mlir"))


def test_entry_selection(rng):
    x = rng.standard_normal((3, 17)).astype(F32)
    mask = np.where(rng.random((3, 17)) < 0.3, -np.inf, 0).astype(F32)
    with pytest.raises(ValueError, match=r"@lse, @row_max.*entry="):
        attn.compile(TWO_FUNCTIONS)
    row_max = attn.compile(TWO_FUNCTIONS, entry="row_max")
    lse = attn.compile(TWO_FUNCTIONS, entry="lse")
    assert row_max.entry == "row_max" and lse.entry == "lse"
    np.testing.assert_array_equal(row_max(x, mask), (x + mask).max(-1))
    xd = x.astype(float)
    np.testing.assert_allclose(lse(x), np.log(np.exp(xd).sum(-1)), rtol=1e-6)
    with pytest.raises(TypeError):
        lse(x, mask)
    with pytest.raises(ValueError, match="no public function @nope"):
        attn.compile(TWO_FUNCTIONS, entry="nope")


def test_private_functions_are_not_entries(rng):
    kernel = attn.compile(WITH_PRIVATE)
    assert kernel.entry == "norms"
    x = rng.standard_normal((2, 9)).astype(F32)
    np.testing.assert_allclose(kernel(x), (x.astype(float) ** 2).sum(-1), rtol=1e-5)
    with pytest.raises(ValueError, match="no public function @helper"):
        attn.compile(WITH_PRIVATE, entry="helper")


def test_several_results(rng):
    kernel = attn.compile(TWO_RESULTS)
    x = rng.standard_normal((4, 9)).astype(F32)
    t = np.array([0, 8, -100, 3], np.int64)
    lsm, loss, ss = kernel(x, t)
    want_lsm = ref_log_softmax(x)
    np.testing.assert_allclose(lsm, want_lsm, rtol=1e-5, atol=1e-6)
    assert loss.shape == () and loss.dtype == F32
    rows = [0, 1, 3]
    np.testing.assert_allclose(loss, -want_lsm[rows, t[rows]].sum(), rtol=1e-5)
    np.testing.assert_allclose(ss, (x.astype(float) ** 2).sum(-1), rtol=1e-5)
    for a, b in ((lsm, ss), (lsm, loss), (ss, loss)):
        assert not np.shares_memory(a, b)


def test_opt_level_and_explicit_pipeline(rng):
    x = rng.standard_normal((3, 17)).astype(F32)
    want = np.exp(ref_log_softmax(x))
    for kernel in (attn.compile(STATIC_SOFTMAX),
                   attn.compile(STATIC_SOFTMAX, opt_level=0),
                   attn.compile(STATIC_SOFTMAX, pipeline="attn-lower-to-llvm")):
        np.testing.assert_allclose(kernel(x), want, rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------------
# dynamic shapes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 1), (3, 17), (8, 64), (2, 129), (5, 1), (0, 4), (3, 0)])
def test_dynamic_shapes_one_kernel(sum_sq_kernel, shape, rng):
    x = rng.standard_normal(shape).astype(F32)
    got = sum_sq_kernel(x)
    assert got.shape == shape[:1] and got.dtype == F32
    np.testing.assert_allclose(got, (x.astype(float) ** 2).sum(-1), rtol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1, 1), (2, 5, 5), (3, 4, 9), (1, 9, 4), (2, 17, 130)])
def test_dynamic_shapes_masked_causal_softmax(softmax_kernel, shape, rng):
    x = rng.standard_normal(shape).astype(F32)
    mask = np.where(rng.random(shape[1:]) < 0.2, -np.inf, 0.0).astype(F32)
    got = softmax_kernel(x, mask)
    assert got.shape == shape
    np.testing.assert_allclose(got, ref_softmax_causal(x, mask), rtol=1e-5, atol=1e-6)


def test_dynamic_shape_mismatch_raises():
    # In a subprocess: the unchecked call can crash the interpreter.
    script = textwrap.dedent(f"""
        import numpy as np, attn
        kernel = attn.compile({DYNAMIC_SOFTMAX!r})
        x = np.ones((2, 3, 17), np.float32)
        try:
            kernel(x, np.zeros((1, 2), np.float32))
        except ValueError as e:
            print("raised", e)
        else:
            print("no error")
        """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=_PACKAGES))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("raised"), proc.stdout


# --------------------------------------------------------------------------
# arguments: zero-copy and copy paths
# --------------------------------------------------------------------------

class _Recorder:
    """Stands in for a Kernel's JIT module and records the arrays passed."""

    def __init__(self, module):
        self.module = module
        self.calls = []

    def call(self, name, arrays):
        self.calls.append(list(arrays))
        return self.module.call(name, arrays)


@pytest.fixture
def recorded_kernel(sum_sq_kernel):
    """The shared dynamic sum_sq kernel, with its calls recorded."""
    recorder = _Recorder(sum_sq_kernel._module)
    kernel = attn.Kernel(recorder, sum_sq_kernel.entry,
                         (sum_sq_kernel.arguments, sum_sq_kernel.results))
    return kernel, recorder


def test_contiguous_input_is_passed_through(recorded_kernel, rng):
    kernel, recorder = recorded_kernel
    x = rng.standard_normal((5, 12)).astype(F32)
    x.setflags(write=False)  # read-only arrays are fine: inputs are not written
    got = kernel(x)
    assert recorder.calls[-1][0] is x
    np.testing.assert_allclose(got, (x.astype(float) ** 2).sum(-1), rtol=1e-5)
    assert not np.shares_memory(got, x)


def _unaligned(x):
    """A C-contiguous copy of x whose data is misaligned by one byte."""
    buf = np.zeros(x.nbytes + 1, np.uint8)
    y = np.frombuffer(buf.data, dtype=x.dtype, count=x.size, offset=1).reshape(x.shape)
    y[...] = x
    assert y.flags.c_contiguous and not y.flags.aligned
    return y


NON_CONTIGUOUS = {
    "strided": lambda x: x[:, ::2],
    "transposed": lambda x: x.T,
    "fortran": np.asfortranarray,
    "reversed": lambda x: x[::-1, ::-1],
    "broadcast": lambda x: np.broadcast_to(x[:1], x.shape),
}


@pytest.mark.parametrize("layout", [
    *NON_CONTIGUOUS,
    "unaligned",
])
def test_non_contiguous_inputs_are_copied(recorded_kernel, layout, rng):
    kernel, recorder = recorded_kernel
    base = rng.standard_normal((6, 10)).astype(F32)
    x = _unaligned(base) if layout == "unaligned" else NON_CONTIGUOUS[layout](base)
    if layout != "unaligned":
        assert not x.flags.c_contiguous
    before = np.array(x, copy=True)
    base_before = base.copy()
    got = kernel(x)
    passed = recorder.calls[-1][0]
    np.testing.assert_array_equal(x, before)
    np.testing.assert_array_equal(base, base_before)
    np.testing.assert_allclose(got, (before.astype(float) ** 2).sum(-1), rtol=1e-5)
    assert passed is not x
    assert passed.flags.c_contiguous and passed.flags.aligned


@pytest.mark.parametrize("layout", ["strided", "transposed", "fortran", "reversed", "unaligned"])
def test_non_contiguous_inputs_to_ops(layout, rng):
    base = rng.standard_normal((17, 6)).astype(F32)
    x = _unaligned(base) if layout == "unaligned" else NON_CONTIGUOUS[layout](base)
    contiguous = np.ascontiguousarray(x)
    before = contiguous.copy()
    np.testing.assert_array_equal(ops.softmax(x), ops.softmax(contiguous))
    np.testing.assert_array_equal(ops.logsumexp(x), ops.logsumexp(contiguous))
    np.testing.assert_array_equal(x, before)


def test_non_contiguous_attention_inputs(rng):
    q = rng.standard_normal((2, 4, 6, 5)).astype(F32)
    k = rng.standard_normal((2, 2, 5, 7)).astype(F32).swapaxes(-1, -2)  # [2, 2, 7, 5]
    v = np.asfortranarray(rng.standard_normal((2, 2, 7, 3)).astype(F32))
    mask = rng.standard_normal((7, 6)).astype(F32).T
    assert not (k.flags.c_contiguous or v.flags.c_contiguous or mask.flags.c_contiguous)
    copies = [np.ascontiguousarray(a) for a in (q, k, v, mask)]
    got = ops.attention(q, k, v, mask=mask)
    np.testing.assert_array_equal(got, ops.attention(*copies[:3], mask=copies[3]))


# --------------------------------------------------------------------------
# results own their memory
# --------------------------------------------------------------------------

def test_results_outlive_the_kernel(rng):
    kernel = attn.compile(STATIC_SOFTMAX)
    x = rng.standard_normal((3, 17)).astype(F32)
    first = kernel(x)
    second = kernel(x)
    want = first.copy()
    assert not np.shares_memory(first, second)
    assert not np.shares_memory(first, x)
    assert first.base is not None and first.base is not x
    del kernel
    gc.collect()
    # scribble over the heap a little, then read the results back
    junk = [np.full((3, 17), 7.0, F32) for _ in range(50)]
    del junk
    np.testing.assert_array_equal(first, want)
    np.testing.assert_array_equal(second, want)
    assert first.flags.writeable
    first[...] = 0  # results are writable and independent
    np.testing.assert_array_equal(second, want)
    del second
    gc.collect()
    assert (first == 0).all()


def test_closed_kernel_results_survive(rng):
    kernel = attn.compile(STATIC_SOFTMAX)
    x = rng.standard_normal((3, 17)).astype(F32)
    result = kernel(x)
    want = result.copy()
    kernel.close()
    gc.collect()
    np.testing.assert_array_equal(result, want)
    with pytest.raises(ValueError, match="closed"):
        kernel(x)
    kernel.close()  # closing twice is harmless


def test_op_results_survive_cache_clear(rng):
    x = rng.standard_normal((3, 17)).astype(F32)
    result = ops.softmax(x)
    want = result.copy()
    ops.kernel_cache.clear()
    gc.collect()
    np.testing.assert_array_equal(result, want)
    np.testing.assert_array_equal(ops.softmax(x), want)


# --------------------------------------------------------------------------
# the op cache
# --------------------------------------------------------------------------

def test_op_cache_compiles_once_per_family(rng):
    x = rng.standard_normal((3, 23)).astype(F32)
    ops.kernel_cache.clear()
    before = ops.kernel_cache_info()
    first = ops.softmax(x)
    info = ops.kernel_cache_info()
    assert (info["misses"] - before["misses"], info["entries"]) == (1, 1)
    second = ops.softmax(rng.standard_normal((3, 23)).astype(F32))
    info2 = ops.kernel_cache_info()
    assert info2["hits"] == info["hits"] + 1
    assert info2["misses"] == info["misses"]
    assert first.shape == second.shape == (3, 23)
    # other sizes of the same rank: the same shape-polymorphic kernel
    for shape in [(1, 1), (0, 5), (7, 22), (2, 1000), (5, 3)]:
        y = rng.standard_normal(shape).astype(F32)
        np.testing.assert_allclose(ops.softmax(y), references.ref_softmax(y),
                                   rtol=1e-5, atol=1e-7)
    assert ops.kernel_cache_info()["misses"] == info["misses"]
    # another family (dtype, rank, attribute) compiles again
    ops.softmax(x.astype(np.float64))
    ops.softmax(x, masked_rows="nan")
    ops.softmax(x[None])
    assert ops.kernel_cache_info()["misses"] == info["misses"] + 3
    # masked_rows="zero" is the default: the same family as no argument
    ops.softmax(x, masked_rows="zero")
    assert ops.kernel_cache_info()["misses"] == info["misses"] + 3
    # rows from online-softmax-min-row on get the one-pass kernel
    ops.softmax(rng.standard_normal((1, 65536)).astype(F32))
    assert ops.kernel_cache_info()["misses"] == info["misses"] + 4


def test_op_cache_evicts_least_recently_used(rng):
    x = rng.standard_normal((3, 9)).astype(F32)
    limits = ops.kernel_cache_info()
    try:
        ops.kernel_cache.clear()
        attn.set_kernel_cache_limits(max_entries=2)
        ops.softmax(x)
        ops.logsumexp(x)
        ops.softmax(x)  # softmax is now the most recently used
        ops.log_softmax(x)  # evicts logsumexp
        info = ops.kernel_cache_info()
        assert info["entries"] == 2 and info["evictions"] >= 1
        misses = info["misses"]
        ops.softmax(x)
        assert ops.kernel_cache_info()["misses"] == misses
        ops.logsumexp(x)
        assert ops.kernel_cache_info()["misses"] == misses + 1
        # by bytes: one kernel's code is over a limit of 1 byte; it is kept
        # alone
        attn.set_kernel_cache_limits(max_entries=100, max_bytes=1)
        info = ops.kernel_cache_info()
        assert info["entries"] == 1 and 0 < info["bytes"]
        with pytest.raises(ValueError, match="max_bytes must be a non-negative integer"):
            attn.set_kernel_cache_limits(max_bytes=-1)
    finally:
        attn.set_kernel_cache_limits(limits["max_entries"], limits["max_bytes"])


# --------------------------------------------------------------------------
# attn.lower
# --------------------------------------------------------------------------

SUM_SQ_STATIC = """\
func.func @sum_sq(%x: tensor<4x7xf32>) -> tensor<4xf32> {
  %s = attn.sum_sq %x : tensor<4x7xf32>
  return %s : tensor<4xf32>
}
"""

ATTENTION = """\
func.func @attention(%q: tensor<2x5x8xf32>, %k: tensor<1x7x8xf32>, %v: tensor<1x7x3xf32>) -> tensor<2x5x3xf32> {
  %o = attn.attention %q, %k, %v causal : tensor<2x5x8xf32>, tensor<1x7x8xf32>, tensor<1x7x3xf32>
  return %o : tensor<2x5x3xf32>
}
"""


_ATTN_OP = re.compile(
    r"\battn\.(masked_max|sum_sq|xent|softmax|logsumexp|log_softmax|xent_logits|attention)\b")


def _has_attn_ops(ir):
    """Whether `ir` still holds attn ops (attn.* attributes do not count)."""
    return _ATTN_OP.search(ir) is not None


def _reduction_generics(ir):
    return [line for line in ir.splitlines()
            if "linalg.generic" in line and '"reduction"' in line]


@pytest.mark.parametrize("source", [SUM_SQ_STATIC, STATIC_SOFTMAX], ids=["sum_sq", "softmax"])
def test_lower_levels(source):
    assert set(attn.LEVELS) == {"attn", "linalg", "fused", "loops", "llvm"}
    op = "attn.sum_sq" if "sum_sq" in source else "attn.softmax"

    ir = attn.lower(source, to="attn")
    assert op in ir and _has_attn_ops(ir) and "linalg." not in ir

    ir = attn.lower(source, to="linalg")
    assert "linalg.reduce" in ir and not _has_attn_ops(ir)

    ir = attn.lower(source, to="fused")
    assert not _has_attn_ops(ir) and "linalg.reduce" not in ir
    # One fused generic per reduction: a softmax's max and its sum of
    # exponentials (its rows are short, computed one at a time later) ...
    assert len(_reduction_generics(ir)) == (1 if op == "attn.sum_sq" else 2)
    # ... merged into one online reduction where rows count as long.
    ir = attn.lower(source, to="fused", online_softmax_min_row=0)
    assert len(_reduction_generics(ir)) == 1

    ir = attn.lower(source, to="loops")
    assert "scf.for" in ir and "memref" in ir
    assert "linalg." not in ir and "tensor<" not in ir

    ir = attn.lower(source, to="llvm")
    assert "llvm.func" in ir
    assert "scf." not in ir and "func.func" not in ir and "memref<" not in ir

    ir = attn.lower(source, to="llvmir")
    assert re.search(r"^define .*@(sum_sq|softmax)\(", ir, re.M)
    assert "define void @_mlir_ciface_" in ir

    assert attn.lower(source) == attn.lower(source, to="llvm")


def test_lower_attention_lowerings():
    decomposed = attn.lower(ATTENTION, to="linalg", attention="decomposed")
    flash = attn.lower(ATTENTION, to="linalg", attention="flash")
    default = attn.lower(ATTENTION, to="linalg")
    assert not _has_attn_ops(decomposed) and not _has_attn_ops(flash)
    assert "scf.for" in flash and "scf.for" not in decomposed
    assert "linalg.reduce" in decomposed
    assert default == flash
    blocked = attn.lower(ATTENTION, to="linalg", attention="flash", block_q=2, block_kv=3)
    assert blocked != flash
    assert re.search(r"arith\.constant 3 : index", blocked)
    assert "llvm.func" in attn.lower(ATTENTION, to="llvm", attention="decomposed")
    assert "_mlir_ciface_attention" in attn.lower(ATTENTION, to="llvmir", block_kv=3)


@pytest.mark.parametrize("level", ["bogus", "LLVM", "", "mlir"])
def test_lower_unknown_level(level):
    with pytest.raises(ValueError, match="unknown level"):
        attn.lower(SUM_SQ_STATIC, to=level)


# --------------------------------------------------------------------------
# pipeline options: reassoc, approximate_math
# --------------------------------------------------------------------------

SUM_SQ_LONG = """\
func.func @sum_sq(%x: tensor<3x130xf32>) -> tensor<3xf32> {
  %s = attn.sum_sq %x : tensor<3x130xf32>
  return %s : tensor<3xf32>
}
"""

SOFTMAX_LONG = """\
func.func @softmax(%x: tensor<3x130xf32>) -> tensor<3x130xf32> {
  %p = attn.log_softmax %x : tensor<3x130xf32>
  return %p : tensor<3x130xf32>
}
"""


def test_reassoc_false_sums_in_order(rng):
    x = rng.standard_normal((3, 130)).astype(F32)
    in_order = np.zeros(3, F32)
    for j in range(x.shape[1]):
        in_order = (in_order + x[:, j] * x[:, j]).astype(F32)
    strict = attn.compile(SUM_SQ_LONG, reassoc=False)(x)
    np.testing.assert_array_equal(strict, in_order)  # bitwise
    fast = attn.compile(SUM_SQ_LONG, reassoc=True)(x)
    np.testing.assert_allclose(fast, (x.astype(float) ** 2).sum(-1), rtol=1e-5)
    assert "fastmath<reassoc" in attn.lower(SUM_SQ_LONG, to="loops", reassoc=True)
    assert "fastmath<reassoc" not in attn.lower(SUM_SQ_LONG, to="loops", reassoc=False)
    # the default is reassoc=True
    assert attn.lower(SUM_SQ_LONG, to="loops") == attn.lower(SUM_SQ_LONG, to="loops", reassoc=True)


def test_approximate_math_options_compile_and_agree(rng):
    x = (3 * rng.standard_normal((3, 130))).astype(F32)
    xd = x.astype(float)
    want = xd - xd.max(-1, keepdims=True)
    want -= np.log(np.exp(want).sum(-1, keepdims=True))
    for approximate in (True, False):
        got = attn.compile(SOFTMAX_LONG, approximate_math=approximate)(x)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_attention_without_approximate_math(rng):
    """Attention's exp2 (marked attn.nonpositive) left to libm: the mark
    reaches llvm.intr.exp2 and the result is the same attention."""
    source = """
      func.func @f(%q: tensor<1x2x70x64xf32>, %k: tensor<1x2x70x64xf32>, %v: tensor<1x2x70x64xf32>) -> tensor<1x2x70x64xf32> {
        %r = attn.attention %q, %k, %v causal : tensor<1x2x70x64xf32>, tensor<1x2x70x64xf32>, tensor<1x2x70x64xf32>
        return %r : tensor<1x2x70x64xf32>
      }"""
    q, k, v = (rng.standard_normal((1, 2, 70, 64)).astype(F32) for _ in range(3))
    assert "llvm.intr.exp2" in attn.lower(source, to="llvm", approximate_math=False)
    libm = attn.compile(source, approximate_math=False)(q, k, v)
    approx = attn.compile(source)(q, k, v)
    np.testing.assert_allclose(libm, approx, rtol=1e-5, atol=1e-6)
    # float64 reference, causal
    s = np.einsum("bhid,bhjd->bhij", q.astype(float), k.astype(float)) / 8.0
    s[..., np.triu_indices(70, 1)[0], np.triu_indices(70, 1)[1]] = -np.inf
    p = np.exp(s - s.max(-1, keepdims=True))
    want = (p / p.sum(-1, keepdims=True)) @ v.astype(float)
    np.testing.assert_allclose(libm, want, rtol=1e-4, atol=1e-5)


def test_attention_strict_reassoc(rng):
    """Attention with reassoc=false (in-order sums, multiply then add, the
    running max taken in the tiles by llvm.maxnum) matches float64, NaN
    score included: its query's row is NaN, the others are not."""
    source = """
      func.func @f(%q: tensor<1x2x128x64xf32>, %k: tensor<1x2x128x64xf32>, %v: tensor<1x2x128x64xf32>) -> tensor<1x2x128x64xf32> {
        %r = attn.attention %q, %k, %v causal : tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
        return %r : tensor<1x2x128x64xf32>
      }"""
    assert "vector.fma" not in attn.lower(source, to="loops", reassoc=False)
    assert "llvm.intr.maxnum" in attn.lower(source, to="llvm", reassoc=False)
    q, k, v = (rng.standard_normal((1, 2, 128, 64)).astype(F32) for _ in range(3))
    k[0, 1, 70, 5] = np.nan  # key 70 of head 1: seen by queries 70..127
    got = attn.compile(source, reassoc=False)(q, k, v)
    s = np.einsum("bhid,bhjd->bhij", q.astype(float), k.astype(float)) / 8.0
    s[..., np.triu_indices(128, 1)[0], np.triu_indices(128, 1)[1]] = -np.inf
    with np.errstate(invalid="ignore"):
        p = np.exp(s - s.max(-1, keepdims=True))
        want = (p / p.sum(-1, keepdims=True)) @ v.astype(float)
    assert np.isnan(got[0, 1, 70:]).all() and not np.isnan(got[0, 1, :70]).any()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_approximate_math_replaces_exp_and_log():
    approx = attn.lower(SOFTMAX_LONG, to="llvm", approximate_math=True)
    libm = attn.lower(SOFTMAX_LONG, to="llvm", approximate_math=False)
    assert "llvm.intr.exp" in libm and "llvm.intr.log" in libm
    assert "llvm.intr.exp" not in approx and "llvm.intr.log" not in approx


# --------------------------------------------------------------------------
# known bugs
# --------------------------------------------------------------------------

IDENTITY = """\
func.func @identity(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
"""

CONSTANT = """\
func.func @constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  return %c : tensor<4xf32>
}
"""


def test_returning_an_argument_gives_a_copy():
    kernel = attn.compile(IDENTITY)
    x = np.arange(4, dtype=F32)
    got = kernel(x)
    np.testing.assert_array_equal(got, x)
    assert not np.shares_memory(got, x)


def test_returning_a_constant():
    got = attn.compile(CONSTANT)(np.zeros(4, F32))
    np.testing.assert_array_equal(got, [1, 2, 3, 4])


NAN_IGNORING_MAX = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @f(%x: tensor<6x256xf32>) -> tensor<6xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<6xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<6xf32>) -> tensor<6xf32>
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<6x256xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maxnumf ORDER : f32
    linalg.yield %m : f32
  } -> tensor<6xf32>
  return %r : tensor<6xf32>
}
"""


@pytest.mark.parametrize("order", ["%in, %out", "%out, %in"])
@pytest.mark.parametrize("reassoc", [True, False])
def test_nan_ignoring_max_reduction(order, reassoc, rng):
    """A maxnumf row reduction over several vector chunks (whose lanes start
    at NaN, maxnum's neutral element) is the row's max; in fast mode a NaN in
    the row may give NaN instead of being ignored, in strict mode it is
    ignored."""
    x = rng.standard_normal((6, 256)).astype(np.float32)
    x[1, 200] = 50.0
    x[2, 7] = -np.inf
    x[3, :] = -np.inf
    x[4, 100] = np.nan
    x[5, :] = np.nan
    kernel = attn.compile(NAN_IGNORING_MAX.replace("ORDER", order),
                          reassoc=reassoc)
    got = kernel(x)
    want = np.nanmax(x[:5].astype(np.float64), axis=1)
    np.testing.assert_array_equal(got[:4], want[:4].astype(np.float32))
    if reassoc:
        assert np.isnan(got[4]) or got[4] == np.float32(want[4])
        assert np.isnan(got[5]) or got[5] == -np.inf
    else:
        assert got[4] == np.float32(want[4])
        assert np.isnan(got[5]) or got[5] == -np.inf


LOOP_CARRIED = """
func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%a = %x) -> tensor<4x8xf32> {
    %s = attn.softmax %a causal : tensor<4x8xf32>
    scf.yield %s : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}
"""


def test_result_carried_by_a_loop(rng):
    """An attn op's result yielded to the next iteration of the user's loop
    (it cannot be computed in place of its input)."""
    x = rng.standard_normal((4, 8)).astype(F32)
    want = x.astype(np.float64)
    for _ in range(3):
        want = ref_softmax_causal(want, np.zeros((4, 8)))
    np.testing.assert_allclose(attn.compile(LOOP_CARRIED)(x), want, rtol=1e-5, atol=1e-7)
