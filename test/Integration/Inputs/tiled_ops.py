"""Execution test of attn ops tiled, split and decomposed by upstream
transforms (TilingInterface, PartialReductionOpInterface,
AggregatedOpInterface).

Every case is one attn op written twice, in @ref_N and in @tiled_N; the
schedule transforms the op of @tiled_N with `transform.structured.`
`tile_using_for` or `tile_using_forall` (partial tiles included, causal ops
tiled along their rows with M != N, attention along batch, heads, queries
and value features), `tile_reduction_using_for` / `_forall` (rows split into
lanes or chunks and merged) or `decompose_interface`, and both are lowered
and run. `check` compares both printouts with float64
numpy references computed here from the same float32 inputs, never from
attn's output.

Usage: tiled_ops.py payload > p.mlir
       tiled_ops.py schedule > s.mlir
       tiled_ops.py check < printout
"""

import re
import sys

import numpy as np

INF = np.inf


def additive(shape, mask=None, causal=False, diagonal=None):
    add = np.zeros(shape)
    if mask is not None:
        add = add + mask.astype(np.float64)
    if causal:
        m, n = shape[-2:]
        i, j = np.arange(m)[:, None], np.arange(n)[None, :]
        d = n - m if diagonal is None else diagonal
        add = np.where(j > i + d, -INF, add)
    return add


def lse(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        m = x.max(axis=-1, keepdims=True)
        shift = np.where(m == -INF, 0.0, m)
        return (shift + np.log(np.exp(x - shift).sum(axis=-1, keepdims=True)))[..., 0]


def softmax(x):
    l = lse(x)[..., None]
    with np.errstate(invalid="ignore"):
        return np.where(l == -INF, 0.0, np.exp(x - l))


def log_softmax(x):
    l = lse(x)[..., None]
    with np.errstate(invalid="ignore"):
        return np.where(l == -INF, -INF, x - l)


def scores(q, k, v, mask, causal, diagonal):
    q, k, v = (a.astype(np.float64) for a in (q, k, v))
    if q.ndim >= 3:
        groups = q.shape[-3] // k.shape[-3]
        k = np.repeat(k, groups, axis=-3)
        v = np.repeat(v, groups, axis=-3)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    return s + additive(s.shape, mask, causal, diagonal), v


def attention(q, k, v, mask, causal, diagonal=None, nan_rows=False):
    s, v = scores(q, k, v, mask, causal, diagonal)
    out = softmax(s) @ v
    if nan_rows:
        out[(s == -INF).all(-1)] = np.nan
    return out


def online_step(q, k, v, mask, causal, diagonal, acc, mx, sm):
    """attn.online_attention's (acc', max', sum') from the state given."""
    s, v = scores(q, k, v, mask, causal, diagonal)
    new_max = np.maximum(mx, s.max(-1))
    shift = np.where(new_max == -INF, 0.0, new_max)
    alpha = np.exp(mx - shift)
    p = np.exp(s - shift[..., None])
    return (alpha[..., None] * acc + p @ v, new_max,
            alpha * sm + p.sum(-1))


def cases():
    """(name, operands, op text, result shape, reference, tiling)."""
    rng = np.random.default_rng(15)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)

    def mask(*shape, p=0.25):
        return np.where(rng.random(shape) < p, -INF, 0.0).astype(np.float32)

    s, m = f32(3, 5, 37), mask(5, 37)
    yield ("masked_max", [s, m], "attn.masked_max %a0, %a1 : {t0}, {t1}",
           (3, 5), (s + m.astype(np.float64)).max(-1), "for [2, 2]")
    x = f32(7, 33) * 10
    yield ("sum_sq", [x], "attn.sum_sq %a0 : {t0}", (7,),
           (x.astype(np.float64) ** 2).sum(-1), "forall [3]")
    p = rng.random((6, 20)).astype(np.float32)
    q = rng.random((6, 20)).astype(np.float32)
    q[:, ::3] = 0
    p[0, 0] = 0
    p2, q2 = p, q
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = -np.where(q == 0, 0.0, q * np.log(p.astype(np.float64))).sum(-1)
    yield ("xent", [p, q], "attn.xent %a0, %a1 : {t0}, {t1}", (6,), ref,
           "for [4]")
    x, m = f32(2, 7, 19) * 3, mask(7, 19)
    yield ("softmax", [x, m],
           "attn.softmax %a0 mask %a1 causal : {t0}, {t1}", (2, 7, 19),
           softmax(x + additive(x.shape, m, True)), "for [1, 3]")
    # M > N: the first rows are fully masked.
    x = f32(9, 5)
    yield ("log_softmax", [x], "attn.log_softmax %a0 causal : {t0}", (9, 5),
           log_softmax(x + additive(x.shape, None, True)), "forall [4]")
    x, m = f32(2, 6, 10) * 30, mask(2, 6, 10, p=0.5)
    yield ("logsumexp", [x, m],
           "attn.logsumexp %a0 mask %a1 causal : {t0}, {t1}", (2, 6),
           lse(x + additive(x.shape, m, True)), "for [0, 4]")
    z = f32(10, 13) * 5
    t = rng.integers(0, 13, 10)
    t[3] = -100
    picked = z.astype(np.float64)[np.arange(10), np.clip(t, 0, 12)]
    yield ("xent_logits", [z, t],
           "attn.xent_logits %a0, %a1 reduction = none : {t0}, {t1}", (10,),
           np.where(t == -100, 0.0, lse(z.astype(np.float64)) - picked),
           "for [3]")
    q, k, v, m = f32(2, 4, 10, 8), f32(2, 2, 13, 8), f32(2, 2, 13, 6), mask(10, 13)
    op = "attn.attention %a0, %a1, %a2 mask %a3 causal : {t0}, {t1}, {t2}, {t3}"
    ref = attention(q, k, v, m, True)
    yield ("attention", [q, k, v, m], op, (2, 4, 10, 6), ref, "for [1, 2, 3]")
    # A head tile within a group, queries in one tile of 7 and a partial one,
    # value features in halves.
    yield ("attention", [q, k, v, m], op, (2, 4, 10, 6), ref,
           "forall [0, 1, 7, 0, 0, 3]")
    q, k, v = f32(3, 6, 8), f32(1, 6, 8), f32(1, 6, 8)
    yield ("attention", [q, k, v], "attn.attention %a0, %a1, %a2 causal : {t0}, {t1}, {t2}",
           (3, 6, 8), attention(q, k, v, None, True), "for [3, 4]")

    # Rows split into partial reductions (tile_reduction_using_for: lanes
    # of a chunk; _forall: one slot per chunk) and merged, partial last
    # chunks included; logsumexp with fully masked rows and logits of 1e4.
    x = f32(7, 33) * 10
    ref = (x.astype(np.float64) ** 2).sum(-1)
    yield ("sum_sq", [x], "attn.sum_sq %a0 : {t0}", (7,), ref, "reduce_for [0, 8]")
    yield ("sum_sq", [x], "attn.sum_sq %a0 : {t0}", (7,), ref, "reduce_forall [0, 5]")
    s, m = f32(3, 5, 37), mask(5, 37)
    ref = (s + m.astype(np.float64)).max(-1)
    for tiling in ("reduce_for [0, 0, 16]", "reduce_forall [0, 0, 16]"):
        yield ("masked_max", [s, m], "attn.masked_max %a0, %a1 : {t0}, {t1}",
               (3, 5), ref, tiling)
    with np.errstate(divide="ignore", invalid="ignore"):
        ref = -np.where(q2 == 0, 0.0, q2 * np.log(p2.astype(np.float64))).sum(-1)
    for tiling in ("reduce_for [0, 6]", "reduce_forall [0, 7]"):
        yield ("xent", [p2, q2], "attn.xent %a0, %a1 : {t0}, {t1}", (6,), ref, tiling)
    x, m = f32(2, 6, 10) * 30, mask(2, 6, 10, p=0.5)
    ref = lse(x + additive(x.shape, m, True))
    for tiling in ("reduce_for [0, 0, 4]", "reduce_forall [0, 0, 3]"):
        yield ("logsumexp", [x, m],
               "attn.logsumexp %a0 mask %a1 causal : {t0}, {t1}", (2, 6), ref, tiling)
    x = f32(4, 50) * 1e4
    yield ("logsumexp", [x], "attn.logsumexp %a0 : {t0}", (4,),
           lse(x.astype(np.float64)), "reduce_for [0, 16]")

    # Decomposed by decompose_interface, then lowered.
    q, k, v, m = f32(2, 4, 10, 8), f32(2, 2, 13, 8), f32(2, 2, 13, 6), mask(10, 13)
    yield ("attention", [q, k, v, m],
           "attn.attention %a0, %a1, %a2 mask %a3 causal : {t0}, {t1}, {t2}, {t3}",
           (2, 4, 10, 6), attention(q, k, v, m, True), "decompose")
    x, m = f32(2, 7, 19) * 3, mask(7, 19)
    yield ("log_softmax", [x, m], "attn.log_softmax %a0 mask %a1 causal : {t0}, {t1}",
           (2, 7, 19), log_softmax(x + additive(x.shape, m, True)), "decompose")

    # Explicit diagonals, untiled and tiled: below, on and above the default
    # N - M, so that the flash loop's padding keys (13 keys in blocks of 16)
    # and its halved diagonal blocks (a diagonal multiple of the block) are
    # seen.
    x = f32(6, 10)
    yield ("softmax", [x], "%d = arith.constant -2 : index; attn.softmax %a0 causal diagonal %d : {t0}",
           (6, 10), softmax(x + additive(x.shape, None, True, -2)), "for [4]")
    q, k, v = f32(2, 9, 8), f32(2, 13, 8), f32(2, 13, 5)
    for d in (1, 9):
        yield ("attention", [q, k, v],
               f"%d = arith.constant {d} : index; attn.attention %a0, %a1, %a2 causal diagonal %d : {{t0}}, {{t1}}, {{t2}}",
               (2, 9, 5), attention(q, k, v, None, True, d), "none")
    q, k, v = f32(1, 128, 16), f32(1, 192, 16), f32(1, 192, 8)
    yield ("attention", [q, k, v],
           "%d = arith.constant 64 : index; attn.attention %a0, %a1, %a2 causal diagonal %d : {t0}, {t1}, {t2}",
           (1, 128, 8), attention(q, k, v, None, True, 64), "none")
    yield ("attention", [q, k, v],
           "%d = arith.constant 64 : index; attn.attention %a0, %a1, %a2 causal diagonal %d : {t0}, {t1}, {t2}",
           (1, 128, 8), attention(q, k, v, None, True, 64), "for [0, 48]")

    # Attention split over its keys: chunks of online states in slots
    # (_forall) or lanes (_for), merged by rescaled sums; causal M != N with
    # a mask and grouped heads, partial last chunks, rows that see no key
    # (masked_rows = zero and nan).
    q, k, v, m = f32(2, 4, 10, 8), f32(2, 2, 13, 8), f32(2, 2, 13, 6), mask(10, 13)
    op = "attn.attention %a0, %a1, %a2 mask %a3 causal : {t0}, {t1}, {t2}, {t3}"
    ref = attention(q, k, v, m, True)
    for tiling in ("reduce_forall [0, 0, 0, 5, 0, 0]", "reduce_for [0, 0, 0, 4, 0, 0]"):
        yield ("attention", [q, k, v, m], op, (2, 4, 10, 6), ref, tiling)
    q, k, v = f32(9, 8) * 4, f32(5, 8), f32(5, 3)
    for rows in ("zero", "nan"):
        for tiling in ("reduce_forall [0, 2, 0, 0]", "reduce_for [0, 3, 0, 0]"):
            yield ("attention", [q, k, v],
                   f"attn.attention %a0, %a1, %a2 causal masked_rows = {rows} : {{t0}}, {{t1}}, {{t2}}",
                   (9, 3), attention(q, k, v, None, True, nan_rows=rows == "nan"), tiling)

    # Split-K decode then flash blocks, through upstream transforms alone:
    # the keys split into chunks (tile_reduction_using_forall), each chunk's
    # attn.online_attention tiled along queries and keys (tile_using_for),
    # causal with M != N and grouped heads.
    q, k, v = f32(4, 40, 8), f32(2, 70, 8), f32(2, 70, 6)
    yield ("attention", [q, k, v],
           "attn.attention %a0, %a1, %a2 causal : {t0}, {t1}, {t2}", (4, 40, 6),
           attention(q, k, v, None, True),
           "decode [0, 0, 32, 0, 0] [0, 16, 8, 0, 0]")

    # xent_logits split over its classes: a partial logsumexp and the
    # picked logit per part; ignored rows, a target out of range (NaN), and
    # a sum and a mean (rank 0) merged from the parts.
    z = f32(10, 13) * 5
    t = rng.integers(0, 13, 10)
    t[3], t[7] = -100, 13
    zz = z.astype(np.float64)
    picked = zz[np.arange(10), np.clip(t, 0, 12)]
    losses = np.where(t == -100, 0.0, np.where(t == 13, np.nan, lse(zz) - picked))
    for tiling in ("reduce_for [0, 4]", "reduce_forall [0, 5]"):
        yield ("xent_logits", [z, t],
               "attn.xent_logits %a0, %a1 reduction = none : {t0}, {t1}", (10,),
               losses, tiling)
    z = f32(2, 5, 13) * 5
    t = rng.integers(0, 13, (2, 5))
    t[0, 1] = -100
    zz = z.astype(np.float64)
    picked = np.take_along_axis(zz, np.clip(t, 0, 12)[..., None], -1)[..., 0]
    losses = np.where(t == -100, 0.0, lse(zz) - picked)
    yield ("xent_logits", [z, t],
           "attn.xent_logits %a0, %a1 reduction = sum : {t0}, {t1}", (),
           losses.sum(), "reduce_forall [0, 0, 4]")
    yield ("xent_logits", [z, t],
           "attn.xent_logits %a0, %a1 : {t0}, {t1}", (),
           losses.sum() / (t != -100).sum(), "reduce_for [0, 0, 6]")

    # One online step from a state that has seen keys (row 0: none yet),
    # untiled (the pipeline decomposes it), tiled along its parallel loops
    # and along its keys (the state threaded through the loop); each result
    # checked. (decompose_interface takes single-result ops only.)
    q, k, v = f32(4, 9, 8), f32(2, 11, 8), f32(2, 11, 5)
    acc, mx, sm = f32(4, 9, 5), f32(4, 9), rng.random((4, 9)).astype(np.float32) + 1
    mx[:, 0], sm[:, 0], acc[:, 0] = -INF, 0, 0
    refs = online_step(q, k, v, None, True, 4, acc.astype(np.float64),
                       mx.astype(np.float64), sm.astype(np.float64))
    shapes = [(4, 9, 5), (4, 9), (4, 9)]
    step = ("%d = arith.constant 4 : index; %s:3 = attn.online_attention %a0, %a1, %a2 causal diagonal %d"
            " into %a3, %a4, %a5 : {t0}, {t1}, {t2} -> {t3}, {t4}, {t5}; %r = %s#{i}")
    for i, tiling in ((0, "none"), (1, "none"), (2, "none"), (0, "for [2, 4, 0, 0, 0]"),
                      (0, "for [0, 0, 4, 0, 0]"), (1, "for [0, 0, 3, 0, 0]"),
                      (2, "for [0, 5, 4, 0, 0]")):
        yield ("online_attention", [q, k, v, acc, mx, sm], step.replace("{i}", str(i)),
               shapes[i], refs[i], tiling)


def tensor_type(a):
    elem = "i64" if a.dtype.kind == "i" else "f32"
    return f"tensor<{'x'.join(map(str, a.shape))}x{elem}>"


def dense(a):
    fmt = "%d" if a.dtype.kind == "i" else "%.9e"

    def nested(x):
        if x.ndim == 1:
            return "[" + ", ".join(fmt % v for v in x).replace("inf", "0x7F800000") + "]"
        return "[" + ", ".join(nested(r) for r in x) + "]"
    return "dense<" + nested(a).replace("-0x7F800000", "0xFF800000") + ">"


def payload():
    out = ["func.func private @printMemrefF32(tensor<*xf32>)"]
    calls = []
    for n, (name, operands, op, shape, _, _) in enumerate(cases()):
        types = {f"t{i}": tensor_type(a) for i, a in enumerate(operands)}
        args = ", ".join(f"%a{i}: {t}" for i, t in enumerate(types.values()))
        rt = f"tensor<{''.join(f'{d}x' for d in shape)}f32>"
        *prelude, op = op.format(**types).split("; ")
        # "%r = %s#i" returns result i of a multi-result op of the prelude.
        body = [] if op.startswith("%r = %") else [f"%r = {op}"]
        returned = op[len("%r = "):] if not body else "%r"
        for kind in ("ref", "tiled"):
            out += [f"func.func @{kind}_{n}({args}) -> {rt} {{"]
            out += [f"  {line}" for line in prelude + body]
            out += [f"  return {returned} : {rt}", "}"]
        for i, a in enumerate(operands):
            calls.append(f"  %c{n}_{i} = arith.constant {dense(a)} : {tensor_type(a)}")
        values = ", ".join(f"%c{n}_{i}" for i in range(len(operands)))
        for kind in ("ref", "tiled"):
            calls += [
                f"  %{kind}{n} = call @{kind}_{n}({values}) : ({', '.join(types.values())}) -> {rt}",
                f"  %u{kind}{n} = tensor.cast %{kind}{n} : {rt} to tensor<*xf32>",
                f"  call @printMemrefF32(%u{kind}{n}) : (tensor<*xf32>) -> ()"]
    out += ["func.func @main() {"] + calls + ["  return", "}"]
    print("\n".join(out))


def schedule():
    out = ["module attributes {transform.with_named_sequence} {",
           "  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {"]
    for n, (name, _, op, _, _, tiling) in enumerate(cases()):
        if tiling == "none":
            continue
        loop, _, sizes = tiling.partition(" ")
        out += [
            f"    %f{n} = transform.structured.match ops{{[\"func.func\"]}} attributes{{sym_name = \"tiled_{n}\"}} in %root : (!transform.any_op) -> !transform.any_op",
            f"    %o{n} = transform.structured.match ops{{[\"attn.{name}\"]}} in %f{n} : (!transform.any_op) -> !transform.any_op"]
        if loop == "decompose":
            out.append(
                f"    %d{n} = transform.structured.decompose_interface %o{n} : (!transform.any_op) -> !transform.any_op")
            continue
        if loop == "decode":
            split, blocks = sizes.split("] [")
            handles = ", ".join(["!transform.any_op"] * 9)
            out += [
                f"    %r{n}:9 = transform.structured.tile_reduction_using_forall %o{n} by tile_sizes = {split}] : (!transform.any_op) -> ({handles})",
                f"    %s{n} = transform.structured.match ops{{[\"attn.online_attention\"]}} in %f{n} : (!transform.any_op) -> !transform.any_op",
                f"    %t{n}, %l{n}:2 = transform.structured.tile_using_for %s{n} tile_sizes [{blocks} : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)"]
            continue
        if loop.startswith("reduce_"):
            # The fills, split ops and merge ops of each partial, and the
            # loop: attention has 3 partials (acc, max, sum), 1 split op
            # (3 lane generics with _for) and 4 merge generics.
            count = 4
            if name == "attention":
                count = 3 + (1 if loop == "reduce_forall" else 3) + 4 + 1
            if name == "xent_logits":
                # 2 partials, 1 split op, the merge's logsumexp, sum and
                # losses (and the sum or mean of those).
                count = 2 + 1 + 3 + (0 if "none" in op else 1) + 1
            handles = ", ".join(["!transform.any_op"] * count)
            out.append(
                f"    %r{n}:{count} = transform.structured.tile_reduction_using_{loop[7:]} %o{n} by tile_sizes = {sizes} : (!transform.any_op) -> ({handles})")
            continue
        tiled = sum(1 for s in sizes.strip("[]").split(",") if int(s) != 0)
        loops = 1 if loop == "forall" else tiled
        handles = ", ".join(["!transform.any_op"] * (1 + loops))
        out.append(
            f"    %t{n}, %l{n}:{loops} = transform.structured.tile_using_{loop} %o{n} tile_sizes {sizes} : (!transform.any_op) -> ({handles})")
    out += ["    transform.yield", "  }", "}"]
    print("\n".join(out))


def check():
    blocks = re.split(r"Unranked Memref", sys.stdin.read())[1:]
    expected = [(n, kind, name, tiling, ref)
                for n, (name, _, _, _, ref, tiling) in enumerate(cases())
                for kind in ("ref", "tiled")]
    if len(blocks) != len(expected):
        print(f"FAIL: {len(blocks)} results printed, {len(expected)} expected")
        return 1
    failures = 0
    for block, (n, kind, name, tiling, want) in zip(blocks, expected):
        data = block.split("data =", 1)[1]
        got = np.array([float(v) for v in re.findall(
            r"-?(?:nan|inf|[0-9.]+(?:e[-+]?[0-9]+)?)", data)])
        want = np.asarray(want, np.float64).ravel()
        # printMemrefF32 prints 6 significant digits.
        if not (got.shape == want.shape and
                np.allclose(got, want, rtol=2e-5, atol=2e-5, equal_nan=True)):
            failures += 1
            print(f"FAIL: case {n} {kind} {name} ({tiling}): got {got[:6]}, want {want[:6]}")
    print(f"{len(expected) - failures} of {len(expected)} results match float64")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit({"payload": payload, "schedule": schedule, "check": check}[sys.argv[1]]())
