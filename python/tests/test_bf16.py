"""bfloat16 attention: uint16 arrays of bf16 bits with dtype="bfloat16" in
attn.ops, and bfloat16 tensors in attn.torch. Both paths: the bf16 dot
product (bf16 operands and probabilities, f32 sums; where the host has
AVX512_BF16) and the widened one (f32 from the bf16 inputs; every host).

The reference is float64 attention of the bf16 inputs' exact values. The
tolerance per output element is the sum of what each documented rounding
can cost (attn.online_attention's description):
- the output's own rounding to bf16: 2^-8 |o| (half an ulp: bf16 keeps 8 significant bits);
- dot path, p rounded to bf16 for p v: 2^-8 max|v|;
- dot path, q * scale rounded to bf16 (exact for a power-of-two scale): a
  score error ds <= 2^-8 scale max_j sum_d |q_id k_jd|, which moves the
  output by at most 2 ds max|v|;
- f32 sums and exponentials: 2^-14 max|v|.
"""

import numpy as np
import pytest
import torch

import attn
from attn import compiler, ops

HAS_DOT = compiler.host_has_bf16_dot()


def to_bf16(x):
    """float32 -> bf16 bits, rounded to nearest even (numpy alone)."""
    u = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16(b):
    return np.asarray(np.asarray(b).astype(np.uint32) << 16, np.uint32).view(np.float32)


def reference(q, k, v, scale, causal=False, mask=None):
    """float64 attention and lse; q [B, Hq, M, D], k, v [B, Hkv, N, .]."""
    q, k, v = (np.asarray(x, np.float64) for x in (q, k, v))
    g = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, g, axis=1), np.repeat(v, g, axis=1)
    s = q @ k.swapaxes(-1, -2) * scale
    m, n = s.shape[-2:]
    if causal:
        hidden = np.arange(n)[None, :] > np.arange(m)[:, None] + n - m
        s = np.where(hidden, -np.inf, s)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == np.bool_ else s + mask
    top = s.max(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):  # rows of no key
        p = np.exp(s - top)
        total = p.sum(-1, keepdims=True)
        return (p / total) @ v, (top + np.log(total))[..., 0]


def tolerance(out, q, k, v, scale, dot):
    vmax = np.abs(v).max()
    tol = 2.0**-8 * np.abs(out) + 2.0**-14 * vmax
    if dot:
        tol = tol + 2.0**-8 * vmax
        if np.log2(scale) != np.round(np.log2(scale)):
            g = q.shape[1] // k.shape[1]
            kk = np.repeat(np.abs(k.astype(np.float64)), g, axis=1)
            ds = 2.0**-8 * scale * (np.abs(q.astype(np.float64)) @ kk.swapaxes(-1, -2)).max()
            tol = tol + 2 * ds * vmax
    return tol


@pytest.fixture(params=[True, False], ids=["bf16-dot", "widened"])
def bf16_dot(request, monkeypatch):
    """Each test on both paths (the kernels of each are cached apart)."""
    if request.param and not HAS_DOT:
        pytest.skip("this host has no AVX512_BF16 (vdpbf16ps)")
    monkeypatch.setattr(compiler, "_HOST_BF16_DOT", request.param)
    return request.param


CASES = [
    # B, Hq, Hkv, M, N, D, causal
    (1, 2, 2, 128, 128, 64, True),     # whole blocks, the causal diagonal
    (2, 4, 2, 100, 77, 64, False),     # grouped heads, partial blocks
    (1, 2, 1, 37, 200, 80, True),      # M < N, a scale that is no power of 2
    (1, 1, 1, 200, 64, 32, True),      # M > N: rows that see no key
    (1, 8, 2, 1, 300, 128, False),     # a decode step (packed groups)
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "x".join(map(str, c)))
def test_attention_bf16(case, bf16_dot):
    b, hq, hkv, m, n, d, causal = case
    rng = np.random.default_rng(m * n + d)
    q, k, v = (to_bf16(rng.standard_normal(s).astype(np.float32) * 2)
               for s in ((b, hq, m, d), (b, hkv, n, d), (b, hkv, n, d)))
    out, lse = ops.attention(q, k, v, causal=causal, return_lse=True,
                             dtype="bfloat16")
    assert out.dtype == np.uint16 and out.shape == (b, hq, m, d)
    assert lse.dtype == np.float32
    scale = 1 / np.sqrt(d)
    qf, kf, vf = from_bf16(q), from_bf16(k), from_bf16(v)
    want, want_lse = reference(qf, kf, vf, scale, causal)
    got = from_bf16(out).astype(np.float64)
    empty = ~np.isfinite(want_lse)
    # A row that sees no key: 0 and lse +inf, as in f32.
    assert np.all(got[empty] == 0) and np.all(lse[empty] == np.inf)
    want = np.where(empty[..., None], 0.0, want)
    tol = tolerance(want, qf, kf, vf, scale, bf16_dot)
    assert np.all(np.abs(got - want) <= tol), np.abs(got - want).max()
    # The lse comes from the f32 scores (off by the scores' error at most).
    ds = tolerance(np.zeros(1), qf, kf, np.ones(1), scale, bf16_dot).max()
    assert np.allclose(lse[~empty], want_lse[~empty], rtol=1e-5, atol=ds)


@pytest.mark.parametrize("mask_kind", ["bool", "additive"])
def test_attention_bf16_masks(mask_kind, bf16_dot):
    rng = np.random.default_rng(5)
    q, k, v = (to_bf16(rng.standard_normal((1, 2, 96, 64)).astype(np.float32))
               for _ in range(3))
    keep = rng.random((96, 96)) < 0.7
    if mask_kind == "bool":
        mask, dense = keep, keep
    else:
        dense = np.where(keep, 0.0, -np.inf) + rng.standard_normal((96, 96))
        mask = to_bf16(dense.astype(np.float32))
        dense = from_bf16(mask).astype(np.float64)
    out = ops.attention(q, k, v, mask, dtype="bfloat16")
    qf, kf, vf = from_bf16(q), from_bf16(k), from_bf16(v)
    want, _ = reference(qf, kf, vf, 1 / 8, mask=dense)
    got = from_bf16(out)
    assert np.all(np.abs(got - want) <= tolerance(want, qf, kf, vf, 1 / 8, bf16_dot))


def test_bf16_dot_rounds_probabilities():
    """The dot path rounds p to bf16 (FlashAttention's rule) and the widened
    one does not: with one large value row, an output that the widened path
    gets to within its rounding differs from it by p's rounding."""
    if not HAS_DOT:
        pytest.skip("this host has no AVX512_BF16 (vdpbf16ps)")
    rng = np.random.default_rng(9)
    q, k = (to_bf16(rng.standard_normal((1, 1, 64, 64)).astype(np.float32))
            for _ in range(2))
    v = to_bf16(rng.standard_normal((1, 1, 64, 64)).astype(np.float32))
    outs = {}
    for dot in (True, False):
        compiler._HOST_BF16_DOT = dot
        try:
            outs[dot] = from_bf16(ops.attention(q, k, v, dtype="bfloat16"))
        finally:
            compiler._HOST_BF16_DOT = HAS_DOT
    assert not np.array_equal(outs[True], outs[False])
    assert np.abs(outs[True] - outs[False]).max() <= 2.0**-7 * np.abs(from_bf16(v)).max()


def test_bf16_arguments():
    q = np.zeros((1, 1, 16, 16), np.float32)
    with pytest.raises(TypeError, match="q must be a floating-point array"):
        ops.attention(q, q, q, dtype="bfloat16")
    with pytest.raises(ValueError, match="dtype must be None"):
        ops.attention(q, q, q, dtype="float8")
    b = np.zeros((1, 1, 16, 16), np.uint16)
    # uint16 arrays are bf16 only when said so.
    with pytest.raises(TypeError, match="q must be a floating-point array"):
        ops.attention(b, b, b)
    with pytest.raises(TypeError, match="mask must be a floating-point array "
                       r"\(uint16 of bfloat16 bits\), got float32"):
        ops.attention(b, b, b, np.zeros((16, 16), np.float32), dtype="bfloat16")


def test_torch_bf16(bf16_dot):
    """attn.torch on bfloat16 tensors runs the bf16 kernels; the result is
    bfloat16, within the tolerance of float64 attention of the inputs."""
    import attn.torch as at
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 4, 70, 64).to(torch.bfloat16) for _ in range(3))
    out = at.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert out.dtype == torch.bfloat16
    qf, kf, vf = (x.double().numpy() for x in (q, k, v))
    want, _ = reference(qf, kf, vf, 1 / 8, causal=True)
    got = out.double().numpy()
    assert np.all(np.abs(got - want) <= tolerance(want, qf, kf, vf, 1 / 8, bf16_dot))
    # The backward on the bf16 kernels too: bfloat16 gradients close to
    # float64 autograd of the same values (P and dS rounded: a few bf16 ulps).
    leaves = [x.detach().requires_grad_() for x in (q, k, v)]
    at.scaled_dot_product_attention(*leaves, is_causal=True).float().sum().backward()
    exact = [x.detach().double().requires_grad_() for x in (q, k, v)]
    s = exact[0] @ exact[1].transpose(-1, -2) / 8
    s = s.masked_fill(torch.ones(70, 70, dtype=torch.bool).triu(1), float("-inf"))
    (torch.softmax(s, -1) @ exact[2]).sum().backward()
    for leaf, ref in zip(leaves, exact):
        assert leaf.grad.dtype == torch.bfloat16
        err = (leaf.grad.double() - ref.grad).abs().max()
        assert err <= 2.0**-5 * ref.grad.abs().max(), float(err)


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "logsumexp", "sum_sq",
                                "masked_max"])
def test_reductions_bf16(op):
    """The memory-bound ops on bf16 bits: computed in f32 from the exact
    inputs, rounded once, so within 2^-8 |r| (half an ulp) plus f32's error
    of float64 of the bf16 values."""
    rng = np.random.default_rng(3)
    x = to_bf16(rng.standard_normal((3, 5, 300)).astype(np.float32) * 4)
    xf = from_bf16(x).astype(np.float64)
    fn = getattr(ops, op)
    if op == "masked_max":
        m = to_bf16(np.where(rng.random((5, 300)) < 0.8, 0, -np.inf).astype(np.float32))
        out = fn(x, m, dtype="bfloat16")
        want = (xf + from_bf16(m)).max(-1)
    else:
        out = fn(x, dtype="bfloat16")
        top = xf.max(-1, keepdims=True)
        lse = top + np.log(np.exp(xf - top).sum(-1, keepdims=True))
        want = {"softmax": np.exp(xf - lse), "log_softmax": xf - lse,
                "logsumexp": lse[..., 0], "sum_sq": (xf * xf).sum(-1)}[op]
    assert out.dtype == np.uint16 and out.shape == want.shape
    got = from_bf16(out)
    assert np.all(np.abs(got - want) <= 2.0**-8 * np.abs(want) + 1e-6 * np.abs(want).max())


@pytest.mark.parametrize("n,v,d,bias", [(64, 256, 64, False), (50, 300, 32, True)])
def test_linear_cross_entropy_bf16(n, v, d, bias, bf16_dot):
    """The fused loss on bf16 bits, forward and backward, against float64
    of the bf16 values. The logits' products are exact in f32; the
    gradient products take dz rounded to bf16 on the dot path, so each
    gradient is within 2^-8 (|dz| |W|) (resp. |dz|ᵀ |h|) of the exact one,
    plus its own rounding, 2^-8 of itself."""
    rng = np.random.default_rng(n + v)
    h = to_bf16(rng.standard_normal((n, d)).astype(np.float32))
    w = to_bf16(rng.standard_normal((v, d)).astype(np.float32) / 4)
    bb = to_bf16(rng.standard_normal(v).astype(np.float32)) if bias else None
    t = rng.integers(0, v, n)
    t[3] = -100
    loss, lse = ops.linear_cross_entropy(h, w, t, bias=bb, return_lse=True,
                                         dtype="bfloat16")
    assert loss.dtype == np.uint16 and lse.dtype == np.float32
    hf, wf = from_bf16(h).astype(np.float64), from_bf16(w).astype(np.float64)
    z = hf @ wf.T + (from_bf16(bb) if bias else 0)
    top = z.max(-1, keepdims=True)
    want_lse = (top + np.log(np.exp(z - top).sum(-1, keepdims=True)))[:, 0]
    kept = t != -100
    nll = want_lse - z[np.arange(n), np.where(kept, t, 0)]
    want = nll[kept].mean()
    assert abs(from_bf16(loss) - want) <= 2.0**-8 * abs(want) + 1e-5
    assert np.allclose(lse, want_lse, rtol=1e-5, atol=1e-5)

    grads = ops.linear_cross_entropy_backward(1.0, h, w, t, lse, bias=bb,
                                              dtype="bfloat16")
    dz = np.exp(z - want_lse[:, None])
    dz[np.arange(n), np.where(kept, t, 0)] -= 1
    dz[~kept] = 0
    dz /= kept.sum()
    want_grads = [dz @ wf, dz.T @ hf] + ([dz.sum(0)] if bias else [])
    bounds = [np.abs(dz) @ np.abs(wf), np.abs(dz).T @ np.abs(hf)] + (
        [np.abs(dz).sum(0)] if bias else [])
    for got, want_g, bound in zip(grads, want_grads, bounds):
        assert got.dtype == np.uint16
        err = np.abs(from_bf16(got) - want_g)
        tol = 2.0**-8 * np.abs(want_g) + 1e-6 * bound.max()
        if bf16_dot:
            tol = tol + 2.0**-8 * bound
        assert np.all(err <= tol), (err - tol).max()


@pytest.mark.parametrize("case", [(1, 2, 2, 128, 128, 64, True),
                                  (1, 4, 2, 70, 90, 64, False)],
                         ids=lambda c: "x".join(map(str, c)))
def test_attention_backward_bf16(case, bf16_dot):
    """FlashAttention-2's backward on bf16 bits against float64 of the same
    inputs (q, k, v, dO, and the forward's out and lse as given). On the dot
    path P and dS are rounded to bf16 for the products: dV moves by at most
    2^-8 Pᵀ|dO|, dK by 2^-8 |dS|ᵀ|q| scale, dQ by 2^-8 |dS||k| scale; each
    gradient is rounded once, 2^-8 of itself."""
    b, hq, hkv, m, n, d, causal = case
    rng = np.random.default_rng(m + n)
    q, do = (to_bf16(rng.standard_normal((b, hq, m, d)).astype(np.float32))
             for _ in range(2))
    k, v = (to_bf16(rng.standard_normal((b, hkv, n, d)).astype(np.float32))
            for _ in range(2))
    out, lse = ops.attention(q, k, v, causal=causal, return_lse=True,
                             dtype="bfloat16")
    dq, dk, dv = ops.attention_backward(do, q, k, v, out, lse, causal=causal,
                                        dtype="bfloat16")
    assert all(g.dtype == np.uint16 for g in (dq, dk, dv))
    g = hq // hkv
    qf, dof, of = (from_bf16(x).astype(np.float64) for x in (q, do, out))
    kf, vf = (np.repeat(from_bf16(x).astype(np.float64), g, axis=1) for x in (k, v))
    scale = 1 / np.sqrt(d)
    s = qf @ kf.swapaxes(-1, -2) * scale
    if causal:
        s = np.where(np.arange(n)[None, :] > np.arange(m)[:, None] + n - m, -np.inf, s)
    p = np.exp(s - lse.astype(np.float64)[..., None])
    dp = dof @ vf.swapaxes(-1, -2)
    ds = p * (dp - (dof * of).sum(-1, keepdims=True))

    def groups(x):  # [B, Hq, N, .] -> summed over each key/value head's group
        return x.reshape(b, hkv, g, *x.shape[2:]).sum(2)
    want = [ds @ kf * scale, groups(ds.swapaxes(-1, -2) @ qf) * scale,
            groups(p.swapaxes(-1, -2) @ dof)]
    bounds = [np.abs(ds) @ np.abs(kf) * scale,
              groups(np.abs(ds).swapaxes(-1, -2) @ np.abs(qf)) * scale,
              groups(p.swapaxes(-1, -2) @ np.abs(dof))]
    for name, got, w, bound in zip(("dq", "dk", "dv"), (dq, dk, dv), want, bounds):
        tol = 2.0**-8 * np.abs(w) + 1e-5 * bound.max()
        if bf16_dot:
            tol = tol + 2.0**-8 * bound
        err = np.abs(from_bf16(got) - w)
        assert np.all(err <= tol), (name, (err - tol).max())
