"""Shape-polymorphic kernels and the kernel caches (issue: new shapes
without recompiling): one kernel per signature family at many sizes against
float64 references; the disk cache across processes (concurrent writers,
corrupt entries, another host's entries); saved kernels loaded in a fresh
process."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import attn
from attn import cache, ops
from references import (ref_attention, ref_log_softmax, ref_logsumexp,
                        ref_masked_max, ref_softmax, ref_sum_sq, ref_xent,
                        ref_xent_logits)

F32 = np.float32
PACKAGES = os.path.dirname(os.path.dirname(os.path.abspath(attn.__file__)))

SUM_SQ = """\
func.func @sum_sq(%x: tensor<?x?xf32>) -> tensor<?xf32> {
  %s = attn.sum_sq %x : tensor<?x?xf32>
  return %s : tensor<?xf32>
}
"""


def misses():
    return ops.kernel_cache_info()["misses"]


def run_python(code, env=None, check=True):
    """Runs `code` in a fresh interpreter with the package on its path."""
    environment = dict(os.environ, PYTHONPATH=PACKAGES, **(env or {}))
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                            capture_output=True, text=True, env=environment,
                            timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


# --------------------------------------------------------------------------
# one kernel per family, any size
# --------------------------------------------------------------------------

# Sizes 0 and 1, primes, both sides of the vector widths, the flash blocks
# and a row tile.
ROW_SIZES = [0, 1, 2, 7, 15, 16, 17, 63, 64, 65, 127, 256, 1000, 4099]


@pytest.mark.parametrize("op", ["softmax", "logsumexp", "log_softmax", "sum_sq",
                                "masked_max", "xent"])
def test_row_ops_one_kernel_for_all_sizes(op, rng):
    ref = {"softmax": ref_softmax, "logsumexp": ref_logsumexp,
           "log_softmax": ref_log_softmax, "sum_sq": ref_sum_sq,
           "masked_max": ref_masked_max, "xent": ref_xent}[op]
    before = None
    for rows, n in [(3, ROW_SIZES[0])] + [(r, n) for r, n in
                                         zip([1, 2, 5, 0, 3, 4, 1, 9, 2, 6, 1, 3, 2, 1],
                                             ROW_SIZES)]:
        x = rng.standard_normal((2, rows, n)).astype(F32) * 10
        if op in ("masked_max",):
            mask = np.where(rng.random((rows, n)) < 0.3, -np.inf, 0).astype(F32)
            got, want = ops.masked_max(x, mask), ref(x, mask)
        elif op == "xent":
            p = rng.random((2, rows, n)).astype(F32)
            q = rng.random((2, rows, n)).astype(F32)
            got, want = ops.xent(p, q), ref(p, q)
        else:
            got, want = getattr(ops, op)(x), ref(x)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6,
                                   err_msg=f"{op} rows={rows} n={n}")
        if before is None:
            before = misses()  # the family's kernel exists from here on
    assert misses() == before, "a new size of a known family compiled again"


def test_softmax_rows_crossing_online_threshold(rng):
    """Rows below online-softmax-min-row and from it on: two kernels (one per
    bucket), each right at every size."""
    start = misses()
    for n in [65535, 65536, 65537, 3, 70001, 40000]:
        x = (rng.standard_normal((2, n)) * 30).astype(F32)
        x[1, : n // 2] = -np.inf
        np.testing.assert_allclose(ops.softmax(x), ref_softmax(x), rtol=2e-5, atol=1e-9)
        np.testing.assert_allclose(ops.logsumexp(x), ref_logsumexp(x), rtol=2e-6)
    assert misses() - start <= 4  # softmax and logsumexp, short and long


def test_xent_logits_sizes(rng):
    start = None
    for n, c in [(1, 1), (5, 3), (0, 4), (17, 100), (64, 32000 // 16), (3, 70000)]:
        z = (rng.standard_normal((n, c)) * 5).astype(F32)
        t = rng.integers(0, c, n).astype(np.int64)
        if n:
            t[0] = -100
        for reduction in ("none", "sum", "mean"):
            np.testing.assert_allclose(
                ops.xent_logits(z, t, reduction=reduction),
                ref_xent_logits(z, t, reduction=reduction), rtol=2e-5, atol=1e-6)
        if start is None:
            start = misses()
    assert misses() - start <= 3  # the long rows' bucket


@pytest.mark.parametrize("causal", [False, True])
def test_attention_one_kernel_per_block_bucket(causal, rng):
    """Grouped-query attention over many query and key lengths (M < N, M > N,
    not multiples of any block): kernels per bucket of block sizes only."""
    start = misses()
    for m, n in [(1, 1), (1, 300), (5, 7), (16, 16), (17, 63), (64, 64),
                 (65, 129), (130, 70), (200, 1), (3, 0)]:
        q = rng.standard_normal((2, 4, m, 8)).astype(F32)
        k = rng.standard_normal((2, 2, n, 8)).astype(F32)
        v = rng.standard_normal((2, 2, n, 5)).astype(F32)
        np.testing.assert_allclose(
            ops.attention(q, k, v, causal=causal), ref_attention(q, k, v, causal=causal),
            rtol=1e-4, atol=1e-5, err_msg=f"m={m} n={n}")
    # block buckets: queries {<=16, <=32, <=48, <=64, more} x keys likewise
    assert misses() - start <= 12


def test_attention_mask_broadcast_dims(rng):
    for m, n in [(3, 5), (40, 70)]:
        q = rng.standard_normal((2, 4, m, 8)).astype(F32)
        k = rng.standard_normal((2, 4, n, 8)).astype(F32)
        v = rng.standard_normal((2, 4, n, 8)).astype(F32)
        for shape in [(m, n), (1, n), (2, 1, m, n), (4, m, 1), (1, 4, 1, n)]:
            mask = np.where(rng.random(shape) < 0.2, -np.inf,
                            rng.standard_normal(shape)).astype(F32)
            np.testing.assert_allclose(
                ops.attention(q, k, v, mask=mask), ref_attention(q, k, v, mask=mask),
                rtol=1e-4, atol=1e-5, err_msg=f"mask {shape}")


def test_size_rules_checked_per_call(rng):
    """A family's kernel takes any sizes; sizes that break a rule raise the
    verifier's message with the arguments' own sizes."""
    x = rng.standard_normal((3, 5)).astype(F32)
    ops.masked_max(x[None], np.zeros((3, 5), F32))
    with pytest.raises(ValueError, match=r"expects mask dimension 0 \(2\) to match scores dimension 1 \(3\)"):
        ops.masked_max(x[None], np.zeros((2, 5), F32))
    ops.xent(x, x)
    with pytest.raises(ValueError, match=r"attn.ops.xent: .*\(4\) to match p dimension 1 \(5\)"):
        ops.xent(x, x[:, :4].copy())


# --------------------------------------------------------------------------
# the in-memory cache
# --------------------------------------------------------------------------

@pytest.mark.skipif("ASAN_OPTIONS" in os.environ,
                    reason="ASan's quarantine keeps freed memory resident")
def test_thousand_shapes_bounded_memory(rng):
    """1,000 distinct shapes of one family: one kernel, flat memory."""
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    ops.softmax(rng.standard_normal((4, 3)).astype(F32))
    start, before = misses(), rss()
    for n in range(1, 1001):
        ops.softmax(np.ones((4, n), F32))
    assert misses() == start
    assert rss() - before < 50 << 20


# --------------------------------------------------------------------------
# the disk cache
# --------------------------------------------------------------------------

def entries(directory):
    return sorted(f for f in os.listdir(directory) if f.endswith(".attnobj"))


PROGRAM = """
import numpy as np, attn
from attn import _attn_core
compiled = []
original = _attn_core.compile_object
def counting(*args, **kwargs):
    compiled.append(1)
    return original(*args, **kwargs)
_attn_core.compile_object = counting
x = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
got = attn.ops.softmax(x)
e = np.exp(x - x.max(-1, keepdims=True))
assert np.allclose(got, e / e.sum(-1, keepdims=True), rtol=1e-6)
print("compiled", len(compiled))
"""


def test_disk_cache_across_processes(tmp_path):
    env = {"ATTN_CACHE_DIR": str(tmp_path)}
    assert "compiled 1" in run_python(PROGRAM, env).stdout
    assert len(entries(tmp_path)) == 1
    assert "compiled 0" in run_python(PROGRAM, env).stdout
    # no temporary file is left behind
    assert [f for f in os.listdir(tmp_path) if not f.endswith(".attnobj")] == []


def test_disk_cache_default_location_and_off(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    environment = {k: v for k, v in os.environ.items() if k != "ATTN_CACHE_DIR"}
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True,
                            text=True, env=dict(environment, PYTHONPATH=PACKAGES, **env))
    assert result.returncode == 0, result.stderr
    assert len(entries(tmp_path / "xdg" / "attn")) == 1
    # ATTN_CACHE_DIR= turns it off: nothing written, compiled every time
    off = {"ATTN_CACHE_DIR": "", "XDG_CACHE_HOME": str(tmp_path / "other")}
    for _ in range(2):
        assert "compiled 1" in run_python(PROGRAM, off).stdout
    assert not (tmp_path / "other").exists()


def test_two_processes_fill_the_cache_at_once(tmp_path):
    env = dict(os.environ, PYTHONPATH=PACKAGES, ATTN_CACHE_DIR=str(tmp_path))
    code = textwrap.dedent(PROGRAM) + textwrap.dedent("""
        for shape in [(1, 3), (4, 3), (1, 2, 3)]:
            attn.ops.logsumexp(np.ones(shape, np.float32))
        attn.ops.sum_sq(np.ones((2, 2), np.float32))
        """)
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    names = entries(tmp_path)
    assert len(names) == 4  # softmax, logsumexp of rank 2 and 3, sum_sq
    for name in names:
        with open(tmp_path / name, "rb") as f:
            header, _, _ = cache.decode(f.read())
        assert header["key"] + ".attnobj" == name
    assert "compiled 0" in run_python(PROGRAM, {"ATTN_CACHE_DIR": str(tmp_path)}).stdout


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_entry_rebuilt_not_loaded(tmp_path, damage):
    env = {"ATTN_CACHE_DIR": str(tmp_path)}
    run_python(PROGRAM, env)
    (name,) = entries(tmp_path)
    path = tmp_path / name
    blob = bytearray(path.read_bytes())
    if damage == "truncate":
        blob = blob[: len(blob) - 100]
    elif damage == "flip":
        blob[-200] ^= 0xFF  # inside the code
    elif damage == "garbage":
        blob = bytearray(os.urandom(len(blob)))
    else:
        blob = bytearray()
    path.write_bytes(bytes(blob))
    assert "compiled 1" in run_python(PROGRAM, env).stdout
    # rebuilt whole
    with open(path, "rb") as f:
        cache.decode(f.read())
    assert "compiled 0" in run_python(PROGRAM, env).stdout


def test_entry_of_another_cpu_not_used(tmp_path):
    env = {"ATTN_CACHE_DIR": str(tmp_path)}
    run_python(PROGRAM, env)
    other_host = PROGRAM.replace(
        "import numpy as np, attn",
        "import numpy as np, attn\n"
        "attn.cache.host_target = lambda: 'x86_64-unknown-linux-gnu znver9 +avx9'")
    assert "compiled 1" in run_python(other_host, env).stdout
    assert len(entries(tmp_path)) == 2


def test_clear_cache(tmp_path):
    code = PROGRAM + "\nattn.clear_cache()\nimport os\nprint(len(os.listdir(attn.cache.cache_dir())))"
    result = run_python(code, {"ATTN_CACHE_DIR": str(tmp_path)})
    assert result.stdout.split()[-1] == "0"


# --------------------------------------------------------------------------
# ahead of time: save and load
# --------------------------------------------------------------------------

def test_saved_kernel_loads_in_a_fresh_process(tmp_path, rng):
    kernel = attn.compile(SUM_SQ, threads=2)
    path = tmp_path / "sum_sq.attnobj"
    kernel.save(path)
    x = rng.standard_normal((33, 1001)).astype(F32)
    np.save(tmp_path / "x.npy", x)
    code = f"""
        import numpy as np, attn
        from attn import _attn_core
        def refuse(*a, **k):
            raise AssertionError("compiled")
        _attn_core.compile_object = refuse
        k = attn.load({str(path)!r})
        x = np.load({str(tmp_path / 'x.npy')!r})
        np.save({str(tmp_path / 'out.npy')!r}, k(x))
        print(repr(k))
        """
    out = run_python(code, {"ATTN_CACHE_DIR": ""}).stdout
    assert "@sum_sq(tensor<?x?xf32>)" in out
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), ref_sum_sq(x), rtol=1e-5)


def test_load_refuses_bad_files(tmp_path):
    kernel = attn.compile(SUM_SQ)
    path = tmp_path / "k.attnobj"
    kernel.save(path)
    blob = path.read_bytes()
    header, obj, signatures = cache.decode(blob)
    for field, value in [("host", "x86_64-unknown-linux-gnu znver9 +avx9"),
                         ("llvm", "1.0.0"), ("attn", "0.0.1")]:
        other = {k: v for k, v in header.items()
                 if k not in ("signatures", "size", "sha256")}
        other[field] = value
        (tmp_path / "o.attnobj").write_bytes(cache.encode(obj, signatures, other))
        with pytest.raises(ValueError, match=f"was compiled for {field}"):
            attn.load(tmp_path / "o.attnobj")
    (tmp_path / "t.attnobj").write_bytes(blob[:-10])
    with pytest.raises(ValueError, match="truncated"):
        attn.load(tmp_path / "t.attnobj")
    (tmp_path / "n.attnobj").write_bytes(b"hello")
    with pytest.raises(ValueError, match="not an attn compiled module"):
        attn.load(tmp_path / "n.attnobj")
    kernel.close()
    with pytest.raises(ValueError, match="closed"):
        kernel.save(tmp_path / "closed.attnobj")
