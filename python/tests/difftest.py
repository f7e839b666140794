"""Differential testing of attn: random valid attn programs, deterministic
from a seed, each compiled under several pipeline option sets, run, and
compared with the float64 numpy references of references.py.

A program is a spec (a JSON-able dict: op, shapes, which dims are dynamic,
dtype, attributes, mask form, data seed); `build` turns it into MLIR text and
inputs. The generator draws every op (and chains: a softmax or log_softmax whose
result a second op reduces, in one function), ranks 1-4, sizes including 0,
1, primes
and sizes on both sides of the flash block sizes and of
`online-softmax-min-row` (lowered to a small value in some option sets),
static and dynamic dims, every mask broadcast form, causal with M < N and
M > N and explicit diagonals, grouped-query heads, masked_rows, f16, bf16
(passed as its bits; attention on the host's bf16 dot product where it has
one), f32 and f64; the option sets vary threads, reassoc, approximate-math, checked and
attention's lowering and blocks. A disagreement is shrunk (each size made
smaller while the disagreement stays) and can be kept as a JSON regression
under test/Differential/regressions, which the tests replay.

    scripts/difftest --seed 1 --count 500     # a campaign
"""

import argparse
import json
import os
import sys
import time

import numpy as np

import attn
from attn import compiler
from references import (ref_attention, ref_log_softmax, ref_logsumexp,
                        ref_masked_max, ref_softmax, ref_sum_sq, ref_xent,
                        ref_xent_logits)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGRESSIONS = os.path.join(ROOT, "test", "Differential", "regressions")

OPS = ["sum_sq", "masked_max", "xent", "softmax", "logsumexp", "log_softmax",
       "xent_logits", "attention"]
# bf16 values are generated as float32 values rounded to bf16 (the
# references read them), and passed to the kernels as their bits.
ELT = {"f16": np.float16, "bf16": np.float32, "f32": np.float32, "f64": np.float64}
# (rtol, atol) per element type, atol scaled by the magnitude of the result.
# bf16 keeps 8 significant bits; its attention may take the bf16 dot
# product (q * scale and the probabilities rounded to bf16).
TOL = {"f16": (2e-2, 4e-3), "bf16": (4e-2, 4e-2), "f32": (2e-5, 2e-6),
       "f64": (1e-11, 1e-12)}


def _to_bf16(x):
    """float32 values rounded to the nearest bf16 (even on ties)."""
    u = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint32)
    bits = np.where(np.isnan(x), 0x7FC0, bits)
    return (bits.astype(np.uint32) << 16).view(np.float32)


def _bits(x):
    """The bf16 bits of float32 values that are bf16 already."""
    return (np.ascontiguousarray(x, np.float32).view(np.uint32) >> 16).astype(np.uint16)


def _from_bits(b):
    return np.asarray(np.asarray(b).astype(np.uint32) << 16, np.uint32).view(np.float32)


def _cast(x, elt):
    return _to_bf16(x) if elt == "bf16" else x.astype(ELT[elt])
# Sizes: 0 and 1, primes, and both sides of 8, 16, 32 and 64 (vector widths
# and flash blocks).
SIZES = [1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 31, 32, 33, 63, 64, 65, 97]


# --------------------------------------------------------------------------
# programs
# --------------------------------------------------------------------------

def _size(rng, zero=0.05):
    return 0 if rng.random() < zero else int(rng.choice(SIZES))


def _dynamic(rng, rank, p=0.3):
    return [bool(rng.random() < p) for _ in range(rank)]


def generate(rng):
    """One random valid program spec."""
    op = str(rng.choice(OPS))
    elt = str(rng.choice(["f32", "f32", "f64", "f16", "bf16"]))
    spec = {"op": op, "elt": elt, "data_seed": int(rng.integers(1 << 31))}
    if op == "attention":
        rank = int(rng.integers(2, 5))
        hkv = int(rng.choice([1, 2]))
        hq = hkv * int(rng.choice([1, 2, 4]))  # grouped-query heads
        batch = int(rng.choice([1, 2]))
        lead, lead_kv = {2: ([], []), 3: ([hq], [hkv]),
                         4: ([batch, hq], [batch, hkv])}[rank]
        m, n = _size(rng), _size(rng)
        d, dv = int(rng.choice([1, 3, 8, 16, 64])), int(rng.choice([1, 4, 8, 64]))
        spec.update(q=lead + [m, d], k=lead_kv + [n, d], v=lead_kv + [n, dv])
        # Heads stay static (grouped through an affine floordiv).
        dyn = [False] * (rank - 2) + _dynamic(rng, 2)
        spec["dynamic"] = {"q": dyn, "k": dyn, "v": dyn}
        scores = lead + [m, n]
        spec["mask"] = _mask_form(rng, scores, rank)
        if spec["mask"] is not None:
            # A broadcast (1) dim stays static; the others may be dynamic.
            spec["dynamic"]["mask"] = [bool(s != 1 and rng.random() < 0.3)
                                       for s in spec["mask"]]
        spec["causal"] = bool(rng.random() < 0.4)
        if spec["causal"] and rng.random() < 0.3:
            spec["diagonal"] = int(rng.integers(-3, 4)) + (n - m)
        spec["masked_rows"] = str(rng.choice(["zero", "nan"]))
        if rng.random() < 0.2:
            spec["scale"] = float(rng.choice([0.05, 0.5, 2.0]))
        return spec
    if op == "xent_logits":
        rank = int(rng.integers(1, 4))
        shape = [_size(rng) for _ in range(rank - 1)] + [max(1, _size(rng))]
        spec.update(logits=shape, dynamic={"logits": _dynamic(rng, rank)},
                    target_elt=str(rng.choice(["i32", "i64"])),
                    reduction=str(rng.choice(["none", "sum", "mean"])),
                    ignore_index=int(rng.choice([-100, 0, 1])))
        return spec
    rank = int(rng.integers(1, 5))
    shape = [_size(rng) for _ in range(rank)]
    spec.update(x=shape, dynamic={"x": _dynamic(rng, rank)})
    if op in ("masked_max", "softmax", "logsumexp", "log_softmax"):
        forms = ["full"] + (["rows"] if rank >= 2 else [])
        if op != "masked_max":
            forms.append(None)
        spec["mask"] = forms[int(rng.integers(len(forms)))]
    if op in ("softmax", "logsumexp", "log_softmax") and rank >= 2:
        spec["causal"] = bool(rng.random() < 0.4)
        if spec["causal"] and rng.random() < 0.3:
            spec["diagonal"] = int(rng.integers(-3, 4)) + shape[-1] - shape[-2]
    if op == "softmax":
        spec["masked_rows"] = str(rng.choice(["zero", "nan"]))
    if op in ("softmax", "log_softmax") and rng.random() < 0.3:
        # A chain: a second op on the first one's result, in one function
        # (fusion across the two ops is what it tests).
        then = str(rng.choice(["sum_sq", "logsumexp", "masked_max", "softmax"]))
        masked = then == "masked_max" or (then != "sum_sq" and rng.random() < 0.3)
        spec["then"] = {"op": then, "mask": "full" if masked else None}
    return spec


def _mask_form(rng, scores, rank):
    """A numpy-broadcast mask shape for attention's scores, or None."""
    if rng.random() < 0.3:
        return None
    form = []
    for i, s in enumerate(scores):
        form.append(s if rng.random() < 0.6 or i == len(scores) - 1 else 1)
    # Drop leading dims sometimes (aligned to the trailing ones).
    drop = int(rng.integers(0, rank - 1))
    return form[drop:]


def _type(shape, dynamic, elt):
    dims = "".join(("?" if dyn else str(s)) + "x"
                   for s, dyn in zip(shape, dynamic))
    return f"tensor<{dims}{elt}>"


def _data(rng, shape, elt, kind="normal"):
    if kind == "normal":
        return _cast(rng.standard_normal(shape), elt)
    if kind == "mask":
        m = np.where(rng.random(shape) < 0.25, -np.inf, 0.0)
        if m.ndim >= 2 and shape[-2] > 0 and rng.random() < 0.5:
            m[..., 0, :] = -np.inf  # a fully masked row
        return _cast(m, elt)
    raise ValueError(kind)


def _masking(spec, mask, pre):
    """The `mask`, `scale`, `causal`, `diagonal` and `masked_rows` clauses of
    an op (in assembly order); the diagonal's constant goes into `pre`."""
    text = f" mask {mask}" if mask else ""
    if "scale" in spec:
        text += f" scale = {spec['scale']!r}"
    if spec.get("causal"):
        text += " causal"
    if "diagonal" in spec:
        pre.append(f"%d = arith.constant {spec['diagonal']} : index")
        text += " diagonal %d"
    if "masked_rows" in spec:
        text += f" masked_rows = {spec['masked_rows']}"
    return text


def build(spec):
    """(MLIR source, inputs, reference) of a spec."""
    rng = np.random.default_rng(spec["data_seed"])
    op, elt = spec["op"], spec["elt"]
    params, inputs, pre = [], [], []
    attrs = ""

    def arg(name, shape, dynamic, value, elt_=elt):
        params.append(f"%{name}: {_type(shape, dynamic, elt_)}")
        inputs.append(_bits(value) if elt_ == "bf16" else value)
        return f"%{name}"

    if op == "attention":
        q = _data(rng, spec["q"], elt)
        k = _data(rng, spec["k"], elt)
        v = _data(rng, spec["v"], elt)
        dyn = spec["dynamic"]
        operands = [arg("q", spec["q"], dyn["q"], q), arg("k", spec["k"], dyn["k"], k),
                    arg("v", spec["v"], dyn["v"], v)]
        mask = None
        if spec.get("mask") is not None:
            mask = _data(rng, spec["mask"], elt, "mask")
            operands.append(arg("m", spec["mask"], dyn["mask"], mask))
        line = ", ".join(operands[:3]) + _masking(
            spec, operands[3] if mask is not None else None, pre)
        ref = ref_attention(q, k, v, mask=mask, causal=spec.get("causal", False),
                            scale=spec.get("scale"), masked_rows=spec["masked_rows"],
                            diagonal=spec.get("diagonal"))
    elif op == "xent_logits":
        logits = _cast(_data(rng, spec["logits"], elt) * 3, elt)
        c = spec["logits"][-1]
        rows = spec["logits"][:-1]
        tdtype = np.int32 if spec["target_elt"] == "i32" else np.int64
        target = np.asarray(rng.integers(0, c, size=tuple(rows))).astype(tdtype)
        ignored = np.asarray(rng.random(tuple(rows)) < 0.2)
        target[ignored] = spec["ignore_index"]
        operands = [arg("x", spec["logits"], spec["dynamic"]["logits"], logits),
                    arg("t", rows, spec["dynamic"]["logits"][:-1], target,
                        spec["target_elt"])]
        line = ", ".join(operands)
        line += f" ignore_index = {spec['ignore_index']} reduction = {spec['reduction']}"
        ref = ref_xent_logits(logits, target, spec["ignore_index"], spec["reduction"])
    else:
        shape = spec["x"]
        dyn = spec["dynamic"]["x"]
        if op == "xent":
            p = rng.random(shape).astype(np.float64) + 0.05
            p[rng.random(shape) < 0.1] = 0.0
            q = rng.random(shape)
            q[rng.random(shape) < 0.3] = 0.0
            p, q = _cast(p, elt), _cast(q, elt)
            operands = [arg("p", shape, dyn, p), arg("q", shape, dyn, q)]
            ref = ref_xent(p, q)
        else:
            x = _data(rng, shape, elt)
            operands = [arg("x", shape, dyn, x)]
            mask = None
            form = spec.get("mask")
            if form is not None:
                mshape = shape if form == "full" else shape[-2:]
                mdyn = dyn if form == "full" else dyn[-2:]
                mask = _data(rng, mshape, elt, "mask")
                operands.append(arg("m", mshape, mdyn, mask))
            causal = spec.get("causal", False)
            diagonal = spec.get("diagonal")
            if op == "sum_sq":
                ref = ref_sum_sq(x)
            elif op == "masked_max":
                ref = ref_masked_max(x, mask)
            elif op == "softmax":
                ref = ref_softmax(x, mask, causal, spec["masked_rows"], diagonal)
            elif op == "logsumexp":
                ref = ref_logsumexp(x, mask, causal, diagonal)
            else:
                ref = ref_log_softmax(x, mask, causal, diagonal)
        if op in ("masked_max", "xent", "sum_sq"):
            line = ", ".join(operands)
        else:
            line = operands[0] + _masking(
                spec, operands[1] if len(operands) > 1 else None, pre)
    types = ", ".join(p.split(": ", 1)[1] for p in params)
    lines = [f"%r = attn.{op} {line} : {types}"]
    result = _result_type(params, pre + lines)
    if "then" in spec:
        # The second op of a chain reads the first one's result.
        then = spec["then"]
        lines[0] = lines[0].replace("%r =", "%r0 =", 1)
        operands = ["%r0"]
        mask = None
        if then["mask"] is not None:
            mask = _data(rng, spec["x"], elt, "mask")
            operands.append(arg("m2", spec["x"], spec["dynamic"]["x"], mask))
        second = operands[0] + (f", {operands[1]}" if then["op"] == "masked_max"
                                else (f" mask {operands[1]}" if mask is not None else ""))
        mtype = f", {params[-1].split(': ', 1)[1]}" if mask is not None else ""
        lines.append(f"%r = attn.{then['op']} {second} : {result}{mtype}")
        # The probe reads the first op's result as a parameter.
        result = _result_type(params + [f"%r0: {result}"], lines[1:])
        ref = {"sum_sq": lambda x: ref_sum_sq(x),
               "logsumexp": lambda x: ref_logsumexp(x, mask),
               "masked_max": lambda x: ref_masked_max(x, mask),
               "softmax": lambda x: ref_softmax(x, mask)}[then["op"]](ref)
    body = "".join(f"  {p}\n" for p in pre + lines)
    source = (f"func.func @f({', '.join(params)}) -> {result} {{\n{body}"
              f"  return %r : {result}\n}}\n")
    return source, inputs, ref


def _result_type(params, lines):
    """The result type of the attn op in `lines`, as the compiler infers it."""
    body = "".join(f"  {p}\n" for p in lines)
    probe = f"func.func @probe({', '.join(params)}) {{\n{body}  return\n}}\n"
    return compiler._attn_core.infer_result_types(probe)[0]


# --------------------------------------------------------------------------
# option sets
# --------------------------------------------------------------------------

def option_sets(rng, count=2):
    """`count` random pipeline option sets (the first is the default)."""
    sets = [{}]
    while len(sets) < count:
        o = {"threads": int(rng.choice([1, 2])),
             "reassoc": bool(rng.random() < 0.7),
             "approximate_math": bool(rng.random() < 0.7),
             "checked": bool(rng.random() < 0.7)}
        if rng.random() < 0.5:
            o["attention"] = "decomposed"
        else:
            o["block_q"] = int(rng.choice([2, 4, 16, 32, 64]))
            o["block_kv"] = int(rng.choice([3, 4, 16, 32, 64]))
        if rng.random() < 0.4:
            o["online_softmax_min_row"] = int(rng.choice([1, 8, 64]))
            # dynamic rows on either side of the threshold, as attn.ops buckets them
            o["short_dynamic_rows"] = bool(rng.random() < 0.5)
        sets.append(o)
    return sets


# --------------------------------------------------------------------------
# running and comparing
# --------------------------------------------------------------------------

def disagreement(spec, options):
    """None if the program agrees with its reference, else why not."""
    try:
        source, inputs, ref = build(spec)
    except compiler._attn_core.CompileError as e:
        return f"the generated program does not verify: {e}"
    try:
        kernel = attn.compile(source, **options)
        got = kernel(*inputs)
    except Exception as e:  # a valid program must compile and run
        return f"{type(e).__name__}: {e}"
    got = np.asarray(got)
    if spec["elt"] == "bf16" and got.dtype == np.uint16:
        got = _from_bits(got)
    want = np.asarray(ref, dtype=np.float64)
    if got.shape != want.shape:
        return f"shape {got.shape}, reference {want.shape}"
    rtol, atol = TOL[spec["elt"]]
    finite = want[np.isfinite(want)]
    magnitude = 1.0 + (np.abs(finite).max() if finite.size else 0.0)
    g = got.astype(np.float64)
    same_nan = np.array_equal(np.isnan(g), np.isnan(want))
    same_inf = np.array_equal(np.where(np.isinf(g), g, 0), np.where(np.isinf(want), want, 0))
    close = np.allclose(g, want, rtol=rtol, atol=atol * magnitude, equal_nan=True)
    if same_nan and same_inf and close:
        return None
    worst = np.nanmax(np.abs(np.where(np.isfinite(g) & np.isfinite(want), g - want, 0)),
                      initial=0.0)
    return (f"differs from float64: NaN positions {'equal' if same_nan else 'differ'}, "
            f"inf {'equal' if same_inf else 'differ'}, max |error| {worst:.3g} "
            f"(magnitude {magnitude:.3g})")


def _shape_keys(spec):
    return [key for key in ("x", "logits", "q", "k", "v", "mask")
            if isinstance(spec.get(key), list)]


def shrink(spec, options, why):
    """A smaller spec that still disagrees: each size lowered while it does."""
    best, reason = json.loads(json.dumps(spec)), why
    improved = True
    while improved:
        improved = False
        for key in _shape_keys(best):
            for i, size in enumerate(best[key]):
                for smaller in sorted({0, 1, size // 2, size - 1}):
                    if smaller >= size or smaller < 0:
                        continue
                    trial = json.loads(json.dumps(best))
                    _resize(trial, key, i, size, smaller)
                    try:
                        build(trial)
                    except Exception:
                        continue  # no longer a valid program
                    r = disagreement(trial, options)
                    if r is not None and not r.startswith("the generated program"):
                        best, reason, improved = trial, r, True
                        break
    return best, reason


def _resize(spec, key, i, old, new):
    """Sets dim i of `key` to `new`, and the dims that must agree with it."""
    spec[key][i] = new
    if spec["op"] != "attention":
        return
    # q, k, v and the mask share sizes by position from the end.
    tail = len(spec[key]) - i
    if key == "q" and tail == 1:
        spec["k"][-1] = new
    if key == "k" and tail == 1:
        spec["q"][-1] = new
    if key == "k" and tail == 2:
        spec["v"][-2] = new
    if key == "v" and tail == 2:
        spec["k"][-2] = new
    mask = spec.get("mask")
    if isinstance(mask, list):
        scores = spec["q"][:-1] + [spec["k"][-2]]
        for j in range(1, len(mask) + 1):
            if mask[-j] != 1:
                mask[-j] = scores[-j]


def run(seed, count, option_count=2, log=print, keep=None, trace=None):
    """Generates and checks `count` programs; returns the disagreements.
    `trace`, a file, gets each program before it runs (to find a crash)."""
    rng = np.random.default_rng(seed)
    failures = []
    start = time.time()
    for index in range(count):
        spec = generate(rng)
        for options in option_sets(rng, option_count):
            if trace:
                print(json.dumps({"index": index, "spec": spec, "options": options}),
                      file=trace, flush=True)
            why = disagreement(spec, options)
            if why is None:
                continue
            small, why = shrink(spec, options, why)
            failure = {"seed": seed, "index": index, "spec": small,
                       "options": options, "why": why}
            failures.append(failure)
            log(json.dumps(failure))
            if keep:
                os.makedirs(keep, exist_ok=True)
                name = f"seed{seed}-{index}-{small['op']}.json"
                with open(os.path.join(keep, name), "w") as f:
                    json.dump(failure, f, indent=1)
    log(f"{count} programs, {count * option_count} compilations, "
        f"{len(failures)} disagreements, {time.time() - start:.0f} s")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--option-sets", type=int, default=2)
    parser.add_argument("--keep", action="store_true",
                        help=f"write each disagreement to {REGRESSIONS}")
    parser.add_argument("--trace", action="store_true",
                        help="print each program to stderr before it runs")
    args = parser.parse_args()
    failures = run(args.seed, args.count, args.option_sets,
                   keep=REGRESSIONS if args.keep else None,
                   trace=sys.stderr if args.trace else None)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
