"""Execution test of attn.xent_logits at row counts around every vector width
and lane count of the pipeline (1..17, 63..65, 71..73, 127..129, 200, 257).

`emit` writes an MLIR module that calls xent_logits with reduction = none,
sum and mean on seeded random logits, once with every target kept and once
with some rows ignored, and prints each result with printMemrefF32.
`check` reads the printout and compares it with float64 numpy references
computed here from the same float32 inputs, independently of attn.

Usage: xent_logits_rows.py emit > t.mlir
       xent_logits_rows.py check < printout
"""

import re
import sys

import numpy as np

ROWS = list(range(1, 18)) + [63, 64, 65, 71, 72, 73, 127, 128, 129, 200, 257]
REDUCTIONS = ("none", "sum", "mean")
IGNORE = -100


def cases():
    """(rows, classes, logits, [targets kept, targets with ignored rows])."""
    rng = np.random.default_rng(24)
    for rows in ROWS:
        # Odd class counts take the scalar row path, 128 the vector one.
        for classes, scale in ((37, 1.0), (128, 10.0)):
            if classes == 128 and rows not in (8, 16, 64, 72, 128, 129, 257):
                continue
            z = (rng.standard_normal((rows, classes)) * scale).astype(np.float32)
            t = rng.integers(0, classes, rows)
            ignored = t.copy()
            ignored[rng.random(rows) < 0.3] = IGNORE
            ignored[0] = IGNORE if rows > 1 else ignored[0]
            yield rows, classes, z, [t, ignored]


def reference(z, t, reduction):
    z = z.astype(np.float64)
    m = z.max(axis=-1, keepdims=True)
    lse = (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[:, 0]
    picked = z[np.arange(len(t)), np.clip(t, 0, z.shape[1] - 1)]
    loss = np.where(t == IGNORE, 0.0, lse - picked)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return np.array([loss.sum()])
    kept = np.sum(t != IGNORE)
    return np.array([loss.sum() / kept if kept else np.nan])


def dense(a, fmt):
    def nested(x):
        if x.ndim == 1:
            return "[" + ", ".join(fmt % v for v in x) + "]"
        return "[" + ", ".join(nested(r) for r in x) + "]"
    return f"dense<{nested(a)}>"


def result_type(rows, reduction):
    return f"tensor<{rows}xf32>" if reduction == "none" else "tensor<f32>"


def emit():
    out = ["func.func private @printMemrefF32(tensor<*xf32>)", ""]
    calls = []
    for n, (rows, classes, z, targets) in enumerate(cases()):
        zt = f"tensor<{rows}x{classes}xf32>"
        tt = f"tensor<{rows}xi64>"
        for reduction in REDUCTIONS:
            rt = result_type(rows, reduction)
            out += [
                f"func.func @xent_{n}_{reduction}(%z: {zt}, %t: {tt}) -> {rt} {{",
                f"  %r = attn.xent_logits %z, %t reduction = {reduction} : {zt}, {tt}",
                f"  return %r : {rt}",
                "}",
            ]
        calls.append(f"  %z{n} = arith.constant {dense(z, '%.9e')} : {zt}")
        for k, t in enumerate(targets):
            calls.append(f"  %t{n}_{k} = arith.constant {dense(t, '%d')} : {tt}")
            for reduction in REDUCTIONS:
                rt = result_type(rows, reduction)
                calls += [
                    f"  %r{n}_{k}_{reduction} = call @xent_{n}_{reduction}(%z{n}, %t{n}_{k}) : ({zt}, {tt}) -> {rt}",
                    f"  %u{n}_{k}_{reduction} = tensor.cast %r{n}_{k}_{reduction} : {rt} to tensor<*xf32>",
                    f"  call @printMemrefF32(%u{n}_{k}_{reduction}) : (tensor<*xf32>) -> ()",
                ]
    out += ["func.func @main() {"] + calls + ["  return", "}"]
    print("\n".join(out))


def check():
    text = sys.stdin.read()
    blocks = re.split(r"Unranked Memref", text)[1:]
    expected = [(rows, classes, k, reduction, reference(z, t, reduction))
                for rows, classes, z, targets in cases()
                for k, t in enumerate(targets) for reduction in REDUCTIONS]
    if len(blocks) != len(expected):
        print(f"FAIL: {len(blocks)} results printed, {len(expected)} expected")
        return 1
    failures = 0
    for block, (rows, classes, k, reduction, want) in zip(blocks, expected):
        data = block.split("data =", 1)[1]
        got = np.array([float(v) for v in
                        re.findall(r"-?(?:nan|inf|[0-9.]+(?:e[-+]?[0-9]+)?)", data)])
        # printMemrefF32 prints 6 significant digits.
        ok = got.shape == want.shape and np.allclose(got, want, rtol=2e-5,
                                                     atol=2e-5, equal_nan=True)
        if not ok:
            failures += 1
            print(f"FAIL: rows={rows} classes={classes} ignored={k} "
                  f"reduction={reduction}: got {got[:4]}, want {want[:4]}")
    print(f"{len(expected) - failures} of {len(expected)} results match float64")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(emit() if sys.argv[1] == "emit" else check())
