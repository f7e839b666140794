#!/usr/bin/env python3
"""Benchmark of the attn ops against their baselines, on this machine.

For each op at the seed sizes and at large sizes, every implementation's
result is first checked against a float64 numpy reference, then timed
(median of >= 5 runs after a warm-up, up to 50 for fast ones). Reported:
time, GB/s (minimum bytes read + written / time) or GFLOP/s, % of this
machine's read bandwidth (or FMA peak) measured in the same run, and
ratios against the baselines run side by side: attn's own unfused,
unvectorized lowering; hand-written C
(clang-22 -O3 -march=native, strict and -ffast-math); numpy; PyTorch.
Inputs start on a 64-byte boundary (attn.aligned), the same for all.

Usage: bench/run [--quick] [--ops softmax,xent] [--out bench/out]
"""

import argparse
import ctypes
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("ATTN_BUILD_DIR", os.path.join(ROOT, "build"))
sys.path.insert(0, os.path.join(BUILD, "python_packages"))
import attn  # noqa: E402

try:
    import torch
    torch.set_num_threads(1)
except ImportError:
    torch = None

# attn's own lowering without fusion or the online softmax: each named op
# its own loop nest over memory.
UNFUSED = ",".join([
    "convert-attn-to-linalg{attention=decomposed}",
    "linalg-generalize-named-ops",
    "attn-emit-c-interface",
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map}",
    "buffer-deallocation-pipeline",
    "func.func(convert-linalg-to-loops)",
    "convert-scf-to-cf", "expand-strided-metadata", "lower-affine",
    "finalize-memref-to-llvm", "convert-math-to-llvm", "convert-arith-to-llvm",
    "convert-cf-to-llvm", "convert-func-to-llvm", "convert-ub-to-llvm",
    "reconcile-unrealized-casts",
])


def build_c(out_dir):
    """kernels.c as two shared libraries: strict and -ffast-math."""
    libs = {}
    # "machine" measures the core: full-width vectors for the FMA peak.
    for name, flags in (("C strict", []), ("C fast-math", ["-ffast-math"]),
                        ("machine", ["-ffast-math", "-mprefer-vector-width=512"])):
        path = os.path.join(out_dir, f"kernels_{name.split()[-1]}.so")
        subprocess.run(
            ["clang-22", "-O3", "-march=native", "-shared", "-fPIC",
             "-Wno-nan-infinity-disabled", *flags,
             os.path.join(ROOT, "bench", "kernels.c"), "-lm", "-o", path],
            check=True)
        libs[name] = ctypes.CDLL(path)
    return libs


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def timed(fn, repeats):
    """Median time of `repeats` runs after a warm-up, or of as many as fit
    in half a second (up to 50) when that is more: a shared machine's
    hiccups move the median of a few short runs."""
    fn()  # warm-up (and compilation for JIT'd code)
    times = []
    runs = repeats
    while len(times) < runs:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if len(times) == 1:
            runs = max(repeats, min(50, int(0.5 / max(times[0], 1e-6))))
    return statistics.median(times)


def measure_bandwidth(lib, repeats):
    """Read bandwidth (GB/s) of one core."""
    x = attn.empty(1 << 28, np.float32)  # 1 GiB, cache-line aligned
    x[...] = 1
    lib.c_read.restype = ctypes.c_float
    t = timed(lambda: lib.c_read(ptr(x), ctypes.c_int64(x.size)), repeats)
    return x.nbytes / t / 1e9


def measure_peak(lib):
    """FMA peak (GFLOP/s) of one core."""
    iters = 20_000_000
    lib.c_fma_peak.restype = ctypes.c_float
    t = timed(lambda: lib.c_fma_peak(ctypes.c_int64(iters)), 3)
    return iters * 12 * 16 * 2 / t / 1e9


def measure_machine(lib, repeats):
    """Read bandwidth (GB/s) and FMA peak (GFLOP/s) of one core."""
    return measure_bandwidth(lib, repeats), measure_peak(lib)


# ----------------------------------------------------------------------------
# The ops: inputs, float64 reference, and each implementation.
# ----------------------------------------------------------------------------

def masked_rows_softmax(x):
    m = x.max(-1, keepdims=True)
    m = np.where(np.isneginf(m), 0, m)
    e = np.exp(x - m)
    s = e.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s == 0, 0, e / s)


class Op:
    """One benchmark row: name, sizes, inputs and implementations."""

    def __init__(self, name, label, make, reference, impls, nbytes=None,
                 flops=None, rtol=1e-4, atol=1e-5):
        self.name, self.label = name, label
        self.make, self.reference, self.impls = make, reference, impls
        self.nbytes, self.flops = nbytes, flops
        self.rtol, self.atol = rtol, atol


def ops(libs, quick):
    rng = np.random.default_rng(0)
    f32 = np.float32

    def c_call(fname, *shape_args):
        def impl_for(lib):
            fn = getattr(lib, fname)
            return fn
        return impl_for

    rows = []

    # masked_max ---------------------------------------------------------------
    for B, S in ([(4, 512)] + ([] if quick else [(16, 2048)])):
        def make(B=B, S=S):
            s = rng.standard_normal((B, S, S), f32)
            m = np.where(rng.random((S, S)) < 0.1, -np.inf, 0).astype(f32)
            return s, m

        def ref(s, m):
            return (s.astype(np.float64) + m).max(-1)

        def c(lib):
            def run(s, m):
                out = np.empty(s.shape[:2], f32)
                lib.c_masked_max(ptr(s), ptr(m), ptr(out), *map(ctypes.c_int64, s.shape))
                return out
            return run

        rows.append(Op(
            "masked_max", f"masked_max {B}x{S}x{S}, mask {S}x{S}", make, ref,
            {"attn": lambda s, m: attn.ops.masked_max(s, m),
             "C": c,
             "numpy": lambda s, m: (s + m).max(-1),
             "torch": (lambda s, m: torch.amax(torch.from_numpy(s) + torch.from_numpy(m), -1).numpy()) if torch else None},
            nbytes=lambda s, m: s.nbytes + m.nbytes + s.nbytes // s.shape[-1]))

    # sum_sq -------------------------------------------------------------------
    for R, N in ([(4, 1024)] + ([] if quick else [(8192, 8192)])):
        def make(R=R, N=N):
            return (rng.standard_normal((R, N), f32),)

        def c(lib):
            def run(x):
                out = np.empty(x.shape[0], f32)
                lib.c_sum_sq(ptr(x), ptr(out), *map(ctypes.c_int64, x.shape))
                return out
            return run

        rows.append(Op(
            "sum_sq", f"sum_sq {R}x{N}", make,
            lambda x: (x.astype(np.float64) ** 2).sum(-1),
            {"attn": lambda x: attn.ops.sum_sq(x), "C": c,
             "numpy": lambda x: np.einsum("ij,ij->i", x, x),
             "torch": (lambda x: (lambda t: (t * t).sum(-1))(torch.from_numpy(x)).numpy()) if torch else None},
            nbytes=lambda x: x.nbytes + x.nbytes // x.shape[-1]))

    # xent ---------------------------------------------------------------------
    for R, C in ([(1, 1024)] + ([] if quick else [(2048, 32000)])):
        def make(R=R, C=C):
            logits = rng.standard_normal((R, C), f32)
            p = np.exp(logits - logits.max(-1, keepdims=True))
            p = (p / p.sum(-1, keepdims=True)).astype(f32)
            q = rng.random((R, C), f32)
            q[q < 0.5] = 0
            q /= q.sum(-1, keepdims=True)
            return p, q

        def ref(p, q):
            p, q = p.astype(np.float64), q.astype(np.float64)
            return -np.where(q == 0, 0, q * np.log(p)).sum(-1)

        def c(lib):
            def run(p, q):
                out = np.empty(p.shape[0], f32)
                lib.c_xent(ptr(p), ptr(q), ptr(out), *map(ctypes.c_int64, p.shape))
                return out
            return run

        def np_xent(p, q):
            with np.errstate(divide="ignore", invalid="ignore"):
                return -np.where(q == 0, 0, q * np.log(p)).sum(-1)

        rows.append(Op(
            "xent", f"xent {R}x{C}", make, ref,
            {"attn": lambda p, q: attn.ops.xent(p, q), "C": c, "numpy": np_xent,
             "torch": (lambda p, q: torch.xlogy(torch.from_numpy(q), torch.from_numpy(p)).sum(-1).neg().numpy()) if torch else None},
            nbytes=lambda p, q: p.nbytes + q.nbytes + p.nbytes // p.shape[-1],
            rtol=1e-4))

    # softmax ------------------------------------------------------------------
    for B, S in ([(4, 512)] + ([] if quick else [(16, 2048)])):
        def make(B=B, S=S):
            x = rng.standard_normal((B, S, S), f32) * 4
            m = np.where(rng.random((S, S)) < 0.1, -np.inf, 0).astype(f32)
            return x, m

        def c(lib):
            def run(x, m):
                out = np.empty_like(x)
                lib.c_softmax(ptr(x), ptr(m), ptr(out), *map(ctypes.c_int64, x.shape))
                return out
            return run

        rows.append(Op(
            "softmax", f"softmax {B}x{S}x{S}, mask {S}x{S}", make,
            lambda x, m: masked_rows_softmax(x.astype(np.float64) + m),
            {"attn": lambda x, m: attn.ops.softmax(x, mask=m), "C": c,
             "numpy": lambda x, m: masked_rows_softmax(x + m),
             "torch": (lambda x, m: torch.softmax(torch.from_numpy(x) + torch.from_numpy(m), -1).numpy()) if torch else None},
            # at least: reads x and the mask once, writes the result once
            nbytes=lambda x, m: 2 * x.nbytes + m.nbytes))

    # attention ----------------------------------------------------------------
    for H, S, D in ([(2, 256, 64)] + ([] if quick else [(8, 1024, 64)])):
        def make(H=H, S=S, D=D):
            return tuple(rng.standard_normal((1, H, S, D), f32) for _ in range(3))

        def ref(q, k, v):
            q, k, v = (a.astype(np.float64) for a in (q, k, v))
            S, D = q.shape[-2], q.shape[-1]
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(D)
            s = s + np.triu(np.full((S, S), -np.inf), 1)
            return masked_rows_softmax(s) @ v

        def c(lib):
            def run(q, k, v):
                out = np.empty_like(q)
                scratch = np.empty(q.shape[-2], f32)
                lib.c_attention_causal(ptr(q), ptr(k), ptr(v), ptr(out), ptr(scratch),
                                       *map(ctypes.c_int64, q.shape[1:]),
                                       ctypes.c_float(1 / math.sqrt(q.shape[-1])))
                return out
            return run

        def np_attn(q, k, v):
            S, D = q.shape[-2], q.shape[-1]
            s = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(D))
            s = s + np.triu(np.full((S, S), -np.inf, np.float32), 1)
            return masked_rows_softmax(s) @ v

        def torch_attn(q, k, v):
            q, k, v = (torch.from_numpy(a) for a in (q, k, v))
            S, D = q.shape[-2], q.shape[-1]
            s = q @ k.transpose(-1, -2) / math.sqrt(D)
            s = s.masked_fill(torch.ones(S, S, dtype=torch.bool).triu(1), float("-inf"))
            return (torch.softmax(s, -1) @ v).numpy()

        rows.append(Op(
            "attention", f"attention causal B=1 H={H} S={S} D={D}", make, ref,
            {"attn": lambda q, k, v: attn.ops.attention(q, k, v, causal=True),
             "C": c, "numpy": np_attn, "torch": torch_attn if torch else None},
            flops=lambda q, k, v: 2 * q.shape[1] * q.shape[2] ** 2 * q.shape[3],
            rtol=1e-3, atol=1e-4))
    return rows


def threaded(impl, threads):
    """`impl` (an attn.ops call) run with `threads` threads."""
    def run(*args):
        attn.ops.set_threads(threads)
        try:
            return impl(*args)
        finally:
            attn.ops.set_threads(1)
    return run


def unfused_impl(op, args):
    """attn's own unfused, unvectorized lowering of the same op."""
    calls = {
        "masked_max": lambda a: ("masked_max", "", "%a0, %a1"),
        "sum_sq": lambda a: ("sum_sq", "", "%a0"),
        "xent": lambda a: ("xent", "", "%a0, %a1"),
        "softmax": lambda a: ("softmax", "", "%a0 mask %a1"),
        "attention": lambda a: ("attention", " causal", "%a0, %a1, %a2"),
    }
    name, attrs, operands = calls[op.name](args)
    result = op.impls["numpy"](*args)
    types = [f"tensor<{'x'.join(map(str, a.shape))}xf32>" for a in args]
    rtype = f"tensor<{'x'.join(map(str, np.shape(result)))}{'x' if np.ndim(result) else ''}f32>"
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(types))
    source = (f"func.func @f({params}) -> {rtype} {{\n"
              f"  %r = attn.{name} {operands}{attrs} : {', '.join(types)}\n"
              f"  return %r : {rtype}\n}}\n")
    kernel = attn.compile(source, pipeline=UNFUSED)
    return lambda *a: kernel(*a)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="seed sizes only")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ops", default="", help="comma-separated op names")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "out"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    libs = build_c(args.out)
    bandwidth, peak = measure_machine(libs["machine"], args.repeats)
    print(f"machine: read bandwidth {bandwidth:.1f} GB/s, FMA peak "
          f"{peak:.0f} GFLOP/s (one core, measured now)\n", flush=True)

    wanted = set(filter(None, args.ops.split(",")))
    results = []
    for op in ops(libs, args.quick):
        if wanted and op.name not in wanted:
            continue
        # Inputs start on a cache line (as PyTorch allocates them; numpy
        # aligns to 16 bytes), the same arrays for every implementation.
        inputs = tuple(attn.aligned(x) for x in op.make())
        want = op.reference(*inputs)
        impls = {"attn": op.impls["attn"],
                 "attn 2 threads": threaded(op.impls["attn"], 2),
                 "attn unfused": unfused_impl(op, inputs)}
        for cname in ("C strict", "C fast-math"):
            impls[cname] = op.impls["C"](libs[cname])
        impls["numpy"] = op.impls["numpy"]
        if op.impls.get("torch"):
            impls["PyTorch"] = op.impls["torch"]
        row = {"op": op.label, "times": {}}
        # The machine's figure for this row is measured just before and
        # just after attn is timed (a shared machine's speed drifts over a
        # run): the row's percentage compares like with like.
        measure = ((lambda: measure_bandwidth(libs["machine"], args.repeats))
                   if op.nbytes else (lambda: measure_peak(libs["machine"])))
        machine = []
        for name, fn in impls.items():
            got = np.asarray(fn(*inputs), np.float64)
            finite = np.isfinite(want)
            ok = (got.shape == want.shape
                  and np.array_equal(np.isfinite(got), finite)
                  and np.allclose(got[finite], want[finite], rtol=op.rtol, atol=op.atol))
            if not ok:
                err = np.nanmax(np.abs(got - want)) if got.shape == want.shape else "shape"
                print(f"  {op.label}: {name} WRONG (max error {err}); not timed", flush=True)
                continue
            if name == "attn":
                machine.append(measure())
            row["times"][name] = timed(lambda: fn(*inputs), args.repeats)
            if name == "attn":
                machine.append(measure())
        t = row["times"].get("attn")
        if t is not None:
            reference = statistics.mean(machine)
            if op.nbytes:
                rate = op.nbytes(*inputs) / t / 1e9
                row["rate"] = f"{rate:.1f} GB/s"
                row["pct"] = (f"{100 * rate / reference:.0f}% of read BW "
                              f"({reference:.1f} GB/s)")
            else:
                rate = op.flops(*inputs) / t / 1e9
                row["rate"] = f"{rate:.1f} GFLOP/s"
                row["pct"] = (f"{100 * rate / reference:.0f}% of FMA peak "
                              f"({reference:.0f} GFLOP/s)")
        results.append(row)
        print_row(row, flush=True)

    write_report(results, bandwidth, peak, args.out)


BASELINES = ["attn unfused", "C strict", "C fast-math", "numpy", "PyTorch"]


def print_row(row, flush=False):
    t = row["times"]
    parts = [f"{k} {1e3 * v:.2f} ms" for k, v in t.items()]
    print(f"{row['op']}: " + ", ".join(parts), flush=flush)


def table(results):
    head = ("| op | attn time | attn rate | of machine | 2 threads | "
            + " | ".join(f"vs {b}" for b in BASELINES) + " |")
    lines = [head, "|" + "---|" * (5 + len(BASELINES))]
    for r in results:
        t = r["times"]
        a = t.get("attn")
        two = t.get("attn 2 threads")
        cells = [r["op"], f"{1e3 * a:.2f} ms" if a else "wrong",
                 r.get("rate", ""), r.get("pct", ""),
                 f"{a / two:.2f}x" if a and two else "n/a"]
        for b in BASELINES:
            cells.append(f"{t[b] / a:.2f}x" if a and b in t else "n/a")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(results, bandwidth, peak, out):
    text = (f"Read bandwidth {bandwidth:.1f} GB/s, FMA peak {peak:.0f} GFLOP/s "
            "(one core, measured at the start of this run; each row's "
            "percentage is of the figure measured just before and after its "
            "attn timing, in parentheses). Ratios are baseline time / attn "
            "time: above 1x, attn is faster. \"2 threads\": attn's speed-up on 2 "
            "threads (OpenMP) over 1.\n\n" + table(results) + "\n")
    print("\n" + text)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no chart)")
        return
    names = ["attn"] + BASELINES
    fig, ax = plt.subplots(figsize=(12, 5))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        speedups = [r["times"][name] / r["times"]["attn"]
                    if "attn" in r["times"] and name in r["times"] else 0
                    for r in results]
        ax.bar([x + i * width for x in range(len(results))], speedups, width,
               label=name)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(results))])
    ax.set_xticklabels([r["op"] for r in results], rotation=20, ha="right",
                       fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("time / attn time (higher: attn faster)")
    ax.set_title("attn vs baselines, one core")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "results.png"), dpi=120)
    print(f"chart: {os.path.join(out, 'results.png')}")


if __name__ == "__main__":
    main()
