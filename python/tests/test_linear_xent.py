"""attn.ops.linear_cross_entropy and linear_cross_entropy_backward (the ops
attn.linear_xent and attn.linear_xent_backward) against PyTorch autograd in
float64: F.linear, the tanh soft cap, F.cross_entropy with ignore_index and
label_smoothing, and the z-loss `z_loss * logsumexp(z)**2` of each kept
token, summed or averaged over the kept tokens.

Both lowerings ('flash': blocks of tokens x classes; 'decomposed': all the
logits), f32, f64 and f16, bias or not, i32 and i64 targets, every option
alone and combined, every reduction, ignored and out-of-range targets, large
logits, sizes that are no multiple of a block, block options and 2 threads.

Each distinct option set compiles a kernel (sizes are dynamic, the feature
size D static), so the cases share D and attributes where they can."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from attn import ops

# Error bound relative to the reference's largest magnitude.
TOL = {np.float32: 1e-5, np.float64: 1e-10}
# f16 operands: the f64 reference of the f16-rounded operands; the results
# are rounded to f16 (the lse is f32).
F16_TOL = 4e-3

D = 16  # the feature size most cases share (static in a kernel's family)

# The lowerings: None is the default, the blocked ('flash') one; the tests
# pass None rather than 'flash' (another kernel family) to share kernels.
LOWERINGS = pytest.mark.parametrize("lowering", [None, "decomposed"],
                                    ids=["flash", "decomposed"])


def make(rng, n, v, dtype, d=D, bias=True, tdtype=np.int64, scale=1.0,
         ignore_index=-100, ignored=0.2):
    """hidden [n, d], classifier [v, d], bias [v] or None, targets [n] with
    about `ignored` of them ignore_index; logits of about `scale`."""
    h = (rng.standard_normal((n, d)) * scale).astype(dtype)
    w = (rng.standard_normal((v, d)) / np.sqrt(d)).astype(dtype)
    b = (rng.standard_normal(v) * 0.5).astype(dtype) if bias else None
    t = rng.integers(0, v, n)
    t[rng.random(n) < ignored] = ignore_index
    return h, w, b, t.astype(tdtype)


def reference(h, w, b, t, grad, ignore_index=-100, softcap=None, reduction="mean",
              label_smoothing=0.0, z_loss=0.0):
    """(loss, lse, [dh, dw(, db)]) in float64 by torch autograd, `grad` the
    gradient of a loss with respect to the loss."""
    H = torch.tensor(np.asarray(h, np.float64), requires_grad=True)
    W = torch.tensor(np.asarray(w, np.float64), requires_grad=True)
    leaves = [H, W]
    B = None
    if b is not None:
        B = torch.tensor(np.asarray(b, np.float64), requires_grad=True)
        leaves.append(B)
    T = torch.tensor(np.asarray(t, np.int64))
    z = F.linear(H, W, B)
    if softcap is not None:
        z = softcap * torch.tanh(z / softcap)
    lse = torch.logsumexp(z, -1)
    kept = (T != ignore_index).to(torch.float64)
    per = F.cross_entropy(z, T, ignore_index=ignore_index, reduction="none",
                          label_smoothing=label_smoothing)
    per = per + z_loss * lse ** 2 * kept
    if reduction == "none":
        loss = per
    elif reduction == "sum":
        loss = per.sum()
    else:
        loss = per.sum() / kept.sum()
    if z_loss == 0.0 and reduction != "none":
        # The composed reduction is torch's own.
        own = F.cross_entropy(z, T, ignore_index=ignore_index, reduction=reduction,
                              label_smoothing=label_smoothing)
        np.testing.assert_allclose(loss.detach().numpy(), own.detach().numpy(),
                                   rtol=1e-12, atol=1e-12)
    grads = torch.autograd.grad(loss, leaves,
                                torch.as_tensor(np.asarray(grad, np.float64)))
    return (loss.detach().numpy(), lse.detach().numpy(),
            [g.numpy() for g in grads])


def assert_close(got, want, dtype, tol=None, what=""):
    """`got` of `want`'s shape, of `dtype`, NaN where `want` is, and within
    `tol` (TOL[dtype]) times the largest magnitude of `want` (at least
    1e-3) elsewhere."""
    got = np.asarray(got)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == np.dtype(dtype), f"{what}: dtype {got.dtype} != {dtype}"
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), f"{what}: NaN at {np.isnan(got)}, want {nan}"
    got, want = got[~nan].astype(np.float64), want[~nan]
    if want.size == 0:
        return
    assert np.isfinite(got).all(), f"{what}: not finite: {got}"
    # (a floor for references that vanish, e.g. the loss of a single class)
    bound = (TOL[dtype] if tol is None else tol) * max(np.abs(want).max(), 1e-3)
    err = np.abs(got - want).max()
    assert err <= bound, f"{what}: max error {err:.3e} > {bound:.3e}"


def run(h, w, b, t, grad, lowering=None, dtype=None, tol=None, **options):
    """Forward (with the lse) and backward of attn against the reference."""
    dtype = dtype or h.dtype.type
    blocks = {k: options.pop(k) for k in ("block_tokens", "block_classes")
              if k in options}
    loss, lse = ops.linear_cross_entropy(h, w, t, b, return_lse=True,
                                         lowering=lowering, **blocks, **options)
    grads = ops.linear_cross_entropy_backward(grad, h, w, t, lse, b,
                                              lowering=lowering, **blocks, **options)
    want_loss, want_lse, want_grads = reference(h, w, b, t, grad, **options)
    lse_dtype = np.float64 if dtype == np.float64 else np.float32
    assert_close(loss, want_loss, dtype, tol, "loss")
    assert_close(lse, want_lse, lse_dtype, tol, "lse")
    assert isinstance(grads, tuple) and len(grads) == len(want_grads)
    for name, g, want in zip(("d_hidden", "d_classifier", "d_bias"), grads, want_grads):
        assert_close(g, want, dtype, tol, name)
    return loss, lse, grads


def grad_of(rng, reduction, n, dtype):
    if reduction == "none":
        return rng.standard_normal(n).astype(dtype)
    return 0.75


# (bias, target dtype, scale of the logits, options)
CASES = {
    "plain": (False, np.int64, 1.0, {}),
    "bias-i32-sum-smoothing": (True, np.int32, 1.0,
                               dict(reduction="sum", label_smoothing=0.1)),
    "none-zloss": (False, np.int64, 2.0, dict(reduction="none", z_loss=0.02)),
    "softcap": (True, np.int64, 3.0, dict(softcap=2.0)),
    "combined": (True, np.int32, 3.0,
                 dict(reduction="none", label_smoothing=0.2, z_loss=0.05,
                      softcap=4.0, ignore_index=3)),
}


# Every case in both dtypes with the blocked lowering; the decomposition
# (whose f32 is also covered by the tests below) in f32 for the combined case.
MATRIX = [pytest.param(case, dtype, lowering,
                       id=f"{case}-{np.dtype(dtype).name}-{lowering or 'flash'}")
          for case in CASES for lowering in (None, "decomposed")
          for dtype in (np.float32, np.float64)
          if not (lowering and dtype == np.float32 and case != "combined")]


@pytest.mark.parametrize("case,dtype,lowering", MATRIX)
def test_against_torch(case, dtype, lowering, rng):
    bias, tdtype, scale, options = CASES[case]
    h, w, b, t = make(rng, 37, 100, dtype, bias=bias, tdtype=tdtype, scale=scale,
                      ignore_index=options.get("ignore_index", -100))
    grad = grad_of(rng, options.get("reduction", "mean"), 37, dtype)
    run(h, w, b, t, grad, lowering, **options)


def test_default_lowering_and_lse_optional(rng):
    """lowering=None is the blocked one, 'flash'; without return_lse the loss
    alone, equal to the loss returned with the lse."""
    h, w, b, t = make(rng, 37, 100, np.float64)
    loss = ops.linear_cross_entropy(h, w, t, b)
    assert isinstance(loss, np.ndarray) and loss.shape == () and loss.dtype == np.float64
    loss2, lse = ops.linear_cross_entropy(h, w, t, b, return_lse=True)
    assert loss == loss2 and lse.shape == (37,)
    loss3, lse3 = ops.linear_cross_entropy(h, w, t, b, return_lse=True, lowering="flash")
    assert loss3 == loss2 and np.array_equal(lse3, lse)
    run(h, w, b, t, np.asarray(1.25))  # a rank-0 array as grad
    none = ops.linear_cross_entropy(h, w, t, b, reduction="none")
    assert none.shape == (37,) and none.dtype == np.float64


@LOWERINGS
def test_sizes_no_multiple_of_a_block(lowering, rng):
    """One kernel per lowering for every (N, V): sizes are dynamic; blocks
    padded in tokens and in classes."""
    for n, v in [(1, 3), (1, 17), (37, 17), (37, 1000), (130, 1000), (64, 64),
                 (65, 65), (2, 1)]:
        h, w, b, t = make(rng, n, v, np.float64, scale=2.0, ignored=0.1)
        run(h, w, b, t, rng.standard_normal(n), lowering, reduction="none",
            label_smoothing=0.1, softcap=5.0)


@pytest.mark.parametrize("block_tokens,block_classes", [(16, 64), (8, 16), (128, 8)])
def test_block_options(block_tokens, block_classes, rng):
    """block_tokens x block_classes: blocks larger than N or V, V and N no
    multiple of them, and an odd feature size (no multiple of a register
    block either)."""
    for n, v, dtype in [(130, 1000, np.float32), (37, 17, np.float32), (1, 3, np.float32)]:
        h, w, b, t = make(rng, n, v, dtype, d=33, scale=2.0)
        run(h, w, b, t, 0.5, block_tokens=block_tokens, block_classes=block_classes,
            z_loss=0.01, label_smoothing=0.05)


def test_two_threads(rng):
    """With threads, the token blocks (forward) and class blocks (backward)
    are scf.forall loops and d_hidden a second pass."""
    ops.set_threads(2)
    try:
        for dtype in (np.float32, np.float64):
            h, w, b, t = make(rng, 130, 1000, dtype, d=64, scale=2.0)
            run(h, w, b, t, 0.5, block_tokens=16, block_classes=64,
                label_smoothing=0.1, z_loss=0.01, softcap=10.0)
            run(h, w, b, t, 0.5, block_tokens=16, block_classes=64,
                label_smoothing=0.1, z_loss=0.01, softcap=10.0, lowering="decomposed")
            h, w, b, t = make(rng, 37, 17, dtype, d=64)
            run(h, w, b, t, 0.5, block_tokens=16, block_classes=64,
                label_smoothing=0.1, z_loss=0.01, softcap=10.0)
    finally:
        ops.set_threads(1)


@pytest.mark.parametrize("tdtype,lowering", [(np.int64, None), (np.int32, "decomposed")],
                         ids=["i64-flash", "i32-decomposed"])
def test_all_ignored(tdtype, lowering, rng):
    """Every token ignored: mean NaN (as torch's), sum 0, none 0; every
    gradient 0 (no kept token, so no 0/0 in the gradient). The same for no
    token at all (N = 0)."""
    h, w, b, _ = make(rng, 37, 100, np.float64)
    t = np.full(37, -100, tdtype)
    T = torch.tensor(t.astype(np.int64))
    z = F.linear(*(torch.tensor(x) for x in (h, w, b)))
    assert torch.isnan(F.cross_entropy(z, T, reduction="mean"))
    for reduction, grad in (("mean", 1.0), ("sum", 1.0), ("none", np.ones(37))):
        loss, lse = ops.linear_cross_entropy(h, w, t, b, reduction=reduction,
                                             return_lse=True, lowering=lowering)
        if reduction == "mean":
            assert np.isnan(loss)
        else:
            assert np.all(loss == 0.0), loss
        assert np.isfinite(lse).all()
        grads = ops.linear_cross_entropy_backward(grad, h, w, t, lse, b,
                                                  reduction=reduction, lowering=lowering)
        for g in grads:
            assert np.all(g == 0.0), g
    # No token at all (the same kernels): likewise, with empty per-token results.
    h0, t0 = h[:0], t[:0]
    for reduction, grad in (("mean", 1.0), ("sum", 1.0), ("none", np.ones(0))):
        loss, lse = ops.linear_cross_entropy(h0, w, t0, b, reduction=reduction,
                                             return_lse=True, lowering=lowering)
        assert lse.shape == (0,)
        if reduction == "mean":
            assert np.isnan(loss)
        else:
            assert loss.shape == ((0,) if reduction == "none" else ()) and np.all(loss == 0.0)
        dh, dw, db = ops.linear_cross_entropy_backward(grad, h0, w, t0, lse, b,
                                                       reduction=reduction,
                                                       lowering=lowering)
        assert dh.shape == (0, D) and dw.shape == w.shape and db.shape == b.shape
        assert np.all(dw == 0.0) and np.all(db == 0.0)


@LOWERINGS
def test_ignore_index_values(lowering, rng):
    """A custom ignore_index that is a class (3) ignores that class's tokens;
    -100 is then out of range (NaN loss for its token, reduction none). A
    negative custom one (-1)."""
    h, w, b, t = make(rng, 37, 100, np.float64, ignored=0.0)
    t[::4] = 3
    # ignore_index 3: tokens of class 3 ignored, exactly like torch.
    run(h, w, b, t, rng.standard_normal(37), lowering, reduction="none",
        ignore_index=3)
    # Default ignore_index: class 3 is an ordinary class.
    run(h, w, b, t, rng.standard_normal(37), lowering, reduction="none")
    t[1] = -100
    loss = ops.linear_cross_entropy(h, w, t, b, reduction="none", ignore_index=3,
                                    lowering=lowering)
    assert np.isnan(loss[1]) and loss[0] == 0.0
    assert np.isfinite(np.delete(loss, 1)).all()
    # A negative one, with the mean over the kept tokens and smoothing.
    t[1] = 0
    t[::3] = -1
    run(h, w, b, t, 0.5, lowering, ignore_index=-1, label_smoothing=0.3)


@pytest.mark.parametrize("dtype,lowering", [(np.float64, None), (np.float32, "decomposed")],
                         ids=["f64-flash", "f32-decomposed"])
def test_out_of_range_target(dtype, lowering, rng):
    """A target outside [0, V) that is not ignore_index: NaN loss for its
    token (none), NaN sum and mean; its gradients NaN (its d_hidden row and,
    through it, all of d_classifier and d_bias), the other tokens' rows of
    d_hidden unchanged."""
    n, v = 37, 100
    h, w, b, t = make(rng, n, v, dtype)
    bad = [2, 7, 30]
    t[bad] = [v, -1, 10 * v]
    good = np.setdiff1d(np.arange(n), bad)
    grad = rng.standard_normal(n).astype(dtype)
    loss, lse = ops.linear_cross_entropy(h, w, t, b, reduction="none", return_lse=True,
                                         lowering=lowering)
    dh, dw, db = ops.linear_cross_entropy_backward(grad, h, w, t, lse, b,
                                                   reduction="none", lowering=lowering)
    want_loss, want_lse, (want_dh, _, _) = reference(h[good], w, b, t[good], grad[good],
                                                     reduction="none")
    assert np.isnan(loss[bad]).all()
    assert_close(loss[good], want_loss, dtype, what="loss")
    # The lse is the logits' whatever the target.
    assert_close(lse[good], want_lse, dtype, what="lse")
    assert np.isfinite(lse).all()
    assert np.isnan(dh[bad]).all()
    assert_close(dh[good], want_dh, dtype, what="d_hidden")
    assert np.isnan(dw).all() and np.isnan(db).all()
    for reduction in ("sum", "mean"):
        assert np.isnan(ops.linear_cross_entropy(h, w, t, b, reduction=reduction,
                                                 lowering=lowering))


@LOWERINGS
def test_large_logits_f64(lowering, rng):
    """Logits of about 1e4 (scaled hidden states): finite and correct."""
    h, w, b, t = make(rng, 37, 100, np.float64, scale=1e4)
    loss, lse, grads = run(h, w, b, t, rng.standard_normal(37), lowering,
                           reduction="none", label_smoothing=0.1, z_loss=1e-4)
    assert np.abs(lse).max() > 1e3
    for x in (loss, lse) + grads:
        assert np.isfinite(x).all()
    # Capped: the cap saturates, the gradient through it vanishes.
    run(h, w, b, t, 0.5, lowering, softcap=30.0)
    run(h, w, b, t, 0.5, lowering)


@LOWERINGS
def test_large_logits_f32(lowering, rng):
    """f32 logits of about 1e4: every result finite; the losses within a few
    ulps of the logits' magnitude, the gradients (probabilities exp(z -
    lse) of f32 differences of 1e4) loosely."""
    h, w, b, t = make(rng, 37, 100, np.float32, scale=1e4)
    grad = rng.standard_normal(37).astype(np.float32)
    loss, lse = ops.linear_cross_entropy(h, w, t, b, reduction="none", return_lse=True,
                                         lowering=lowering)
    grads = ops.linear_cross_entropy_backward(grad, h, w, t, lse, b, reduction="none",
                                              lowering=lowering)
    want_loss, want_lse, want_grads = reference(h, w, b, t, grad, reduction="none")
    for x in (loss, lse) + grads:
        assert np.isfinite(x).all()
    zmax = np.abs(h.astype(np.float64) @ w.astype(np.float64).T).max()
    assert zmax > 1e4
    assert np.abs(loss - want_loss).max() <= 1e-5 * zmax
    assert np.abs(lse - want_lse).max() <= 1e-5 * zmax
    for name, g, want in zip(("d_hidden", "d_classifier", "d_bias"), grads, want_grads):
        assert_close(g, want, np.float32, 5e-2, name)


@LOWERINGS
def test_float16(lowering, rng):
    """f16 operands (computed in f32; lse f32): against the f64 reference of
    the f16-rounded operands, loosely."""
    for n, v in [(37, 100), (1, 17)]:
        h, w, b, t = make(rng, n, v, np.float16, scale=2.0)
        grad = rng.standard_normal(n).astype(np.float16)
        run(h, w, b, t, grad, lowering, tol=F16_TOL, reduction="none",
            label_smoothing=0.1, z_loss=0.01, softcap=5.0)
        run(h, w, b, t, 1.0, lowering, tol=F16_TOL, reduction="sum")


# Errors: the wrapper's checks before compiling, and the verifier's (as a
# ValueError naming the arguments).


def _args(rng, dtype=np.float32, n=5, v=7, d=8):
    return make(rng, n, v, dtype, d=d)


def test_error_dtypes(rng):
    h, w, b, t = _args(rng)
    with pytest.raises(TypeError, match="classifier"):
        ops.linear_cross_entropy(h, w.astype(np.float64), t, b)
    with pytest.raises(TypeError, match="bias"):
        ops.linear_cross_entropy(h, w, t, b.astype(np.float64))
    with pytest.raises(TypeError, match="embeddings"):
        ops.linear_cross_entropy(h.astype(np.int32), w, t, b)
    with pytest.raises(TypeError, match="targets"):
        ops.linear_cross_entropy(h, w, t.astype(np.float32), b)
    with pytest.raises(TypeError, match="targets"):
        ops.linear_cross_entropy(h, w, t.astype(np.int16), b)
    with pytest.raises(TypeError, match="embeddings"):
        ops.linear_cross_entropy(h.tolist(), w, t, b)


def test_error_options(rng):
    h, w, b, t = _args(rng)
    for kwargs, match in [
            (dict(label_smoothing=1.5), "label_smoothing"),
            (dict(label_smoothing=-0.1), "label_smoothing"),
            (dict(label_smoothing=float("nan")), "label_smoothing"),
            (dict(z_loss=-1e-3), "z_loss"),
            (dict(z_loss=float("inf")), "z_loss"),
            (dict(softcap=0.0), "softcap"),
            (dict(softcap=-1.0), "softcap"),
            (dict(softcap=float("inf")), "softcap"),
            (dict(reduction="avg"), "reduction"),
            (dict(lowering="naive"), "flash"),
            (dict(block_tokens=0), "block_(q|tokens)"),
    ]:
        with pytest.raises(ValueError, match=match):
            ops.linear_cross_entropy(h, w, t, b, **kwargs)
    with pytest.raises(ValueError, match="ignore_index"):
        ops.linear_cross_entropy(h, w, t.astype(np.int32), b, ignore_index=2 ** 40)
    with pytest.raises(TypeError, match="ignore_index"):
        ops.linear_cross_entropy(h, w, t, b, ignore_index=1.0)


def test_error_sizes(rng):
    h, w, b, t = _args(rng)
    # D is static: the verifier's rule, naming the arguments.
    with pytest.raises(ValueError, match=r"classifier dimension 1 \(4\) to match hidden "
                                         r"dimension 1 \(8\).*hidden is embeddings"):
        ops.linear_cross_entropy(h, w[:, :4], t, b)
    # N and V are dynamic: the kernel's check, said with the exact sizes.
    with pytest.raises(ValueError, match=r"target dimension 0 \(4\) to match hidden "
                                         r"dimension 0 \(5\).*target is targets"):
        ops.linear_cross_entropy(h, w, t[:4], b)
    with pytest.raises(ValueError, match=r"bias dimension 0 \(6\) to match classifier "
                                         r"dimension 0 \(7\)"):
        ops.linear_cross_entropy(h, w, t, b[:6])
    with pytest.raises(ValueError, match="rank 2"):
        ops.linear_cross_entropy(h[0], w, t, b)


def test_error_backward(rng):
    h, w, b, t = _args(rng)
    _, lse = ops.linear_cross_entropy(h, w, t, b, return_lse=True)
    # The lse of the wrong dtype.
    with pytest.raises(TypeError, match="lse"):
        ops.linear_cross_entropy_backward(1.0, h, w, t, lse.astype(np.float64), b)
    hd, wd, bd = (x.astype(np.float64) for x in (h, w, b))
    with pytest.raises(TypeError, match="lse"):
        ops.linear_cross_entropy_backward(1.0, hd, wd, t, lse, bd)
    h16, w16, b16 = (x.astype(np.float16) for x in (h, w, b))
    with pytest.raises(TypeError, match="lse"):
        ops.linear_cross_entropy_backward(1.0, h16, w16, t, lse.astype(np.float16), b16)
    # grad of the wrong dtype.
    with pytest.raises(TypeError, match="grad"):
        ops.linear_cross_entropy_backward(np.ones(5), h, w, t, lse, b, reduction="none")
    # grad [N] for 'none', rank 0 otherwise.
    with pytest.raises(ValueError, match="grad"):
        ops.linear_cross_entropy_backward(np.float32(1.0), h, w, t, lse, b,
                                          reduction="none")
    with pytest.raises(ValueError, match="rank-0 grad"):
        ops.linear_cross_entropy_backward(np.ones(5, np.float32), h, w, t, lse, b)
    # An lse of another size.
    with pytest.raises(ValueError, match=r"lse dimension 0 \(4\) to match hidden "
                                         r"dimension 0 \(5\)"):
        ops.linear_cross_entropy_backward(1.0, h, w, t, lse[:4], b)
    with pytest.raises(ValueError, match="label_smoothing"):
        ops.linear_cross_entropy_backward(1.0, h, w, t, lse, b, label_smoothing=1.5)


def test_grad_filter_skips_blocks_within_its_bound():
    """grad_filter = eps drops only blocks whose |dz| are all below eps: 0
    changes nothing; a moderate eps stays within the documented bound
    (|Δdh[n, d]| < eps V max|w[:, d]|, |Δdw[c, d]| < eps N max|h[:, d]|);
    an eps above every |dz| leaves zero gradients."""
    rng = np.random.default_rng(7)
    N, D, V = 64, 16, 512
    h = rng.standard_normal((N, D)).astype(np.float64)
    w = (4 * rng.standard_normal((V, D))).astype(np.float64)
    t = rng.integers(0, V, N)
    g = np.float64(N)  # a sum whose dz are p - onehot, up to 1
    _, lse = ops.linear_cross_entropy(h, w, t, return_lse=True, reduction="sum")
    exact = ops.linear_cross_entropy_backward(g, h, w, t, lse, reduction="sum")
    same = ops.linear_cross_entropy_backward(g, h, w, t, lse, reduction="sum",
                                             grad_filter=0.0)
    for a, b in zip(same, exact):
        np.testing.assert_array_equal(a, b)
    eps = 1e-3
    approx = ops.linear_cross_entropy_backward(g, h, w, t, lse, reduction="sum",
                                               grad_filter=eps, block_tokens=16,
                                               block_classes=16)
    assert not np.array_equal(approx[1], exact[1])  # some blocks were skipped
    assert np.all(np.abs(approx[0] - exact[0]) <= eps * V * np.abs(w).max(0))
    assert np.all(np.abs(approx[1] - exact[1]) <= eps * N * np.abs(h).max(0))
    none = ops.linear_cross_entropy_backward(g, h, w, t, lse, reduction="sum",
                                             grad_filter=2 * N)
    assert not none[0].any() and not none[1].any()
    with pytest.raises(ValueError, match="grad_filter"):
        ops.linear_cross_entropy_backward(g, h, w, t, lse, grad_filter=-1.0)
