"""The options of the cross-entropies of logits: attn.ops.xent_logits and
xent_logits_backward (attn.xent_logits and attn.xent_logits_backward) with
a class `weight` [C], `label_smoothing`, `z_loss` and `softcap`, and
attn.ops.linear_cross_entropy(_backward) with a class `weight` [V], against
PyTorch autograd in float64.

The reference (AttnOps.td, Attn_XentOptionsDoc): F.cross_entropy(zz, t,
weight, ignore_index, reduction, label_smoothing) with zz the capped logits
`cap * tanh(z / cap)`, plus the z-loss `zl * logsumexp(zz)**2` of each kept
row (not weighted): added per row ('none'), summed ('sum'), or summed and
divided by the mean's denominator, the kept rows' w[t] (their count without
weights). Targets out of [0, C) that are not ignore_index give NaN; a mean
with no kept row is NaN with zero gradients.

Every distinct option set compiles a kernel (sizes are dynamic), so the
cases share attributes, dtypes and ranks where they can."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from attn import ops

# Error bound relative to the reference's largest magnitude (at least 1e-3).
TOL = {np.float32: 1e-5, np.float64: 1e-10}
# f16 operands: the f64 reference of the f16-rounded operands; the results
# are rounded to f16.
F16_TOL = 5e-3

def reference(z, t, grad, weight=None, ignore_index=-100, reduction="mean",
              label_smoothing=0.0, z_loss=0.0, softcap=None):
    """(loss, dz) in float64 by torch autograd for logits z [..., C] and
    targets t [...] in [0, C) or ignore_index; `grad` the gradient of a loss
    with respect to the loss (`None`: no gradient)."""
    C = z.shape[-1]
    Z = torch.tensor(np.asarray(z, np.float64).reshape(-1, C), requires_grad=True)
    T = torch.tensor(np.asarray(t, np.int64).reshape(-1))
    W = None if weight is None else torch.tensor(np.asarray(weight, np.float64))
    zz = Z if softcap is None else softcap * torch.tanh(Z / softcap)
    keep = T != ignore_index
    kept = keep.to(torch.float64)
    zl = z_loss * torch.logsumexp(zz, -1) ** 2 * kept
    if W is None:
        denominator = kept.sum()
    else:
        denominator = (W[torch.where(keep, T, torch.zeros_like(T))] * kept).sum()
    loss = F.cross_entropy(zz, T, weight=W, ignore_index=ignore_index,
                           reduction=reduction, label_smoothing=label_smoothing)
    if reduction == "none":
        loss = loss + zl
    elif reduction == "sum":
        loss = loss + zl.sum()
    else:
        loss = loss + zl.sum() / denominator
    # The rule of the docs, composed from torch's per-row losses: torch's
    # own reductions agree with it.
    per = F.cross_entropy(zz, T, weight=W, ignore_index=ignore_index,
                          reduction="none", label_smoothing=label_smoothing) + zl
    composed = {"none": per, "sum": per.sum(), "mean": per.sum() / denominator}[reduction]
    np.testing.assert_allclose(composed.detach().numpy(), loss.detach().numpy(),
                               rtol=1e-12, atol=1e-12)
    shape = np.shape(t)
    want_loss = loss.detach().numpy().reshape(shape if reduction == "none" else ())
    if grad is None:
        return want_loss, None
    G = torch.tensor(np.asarray(grad, np.float64).reshape(loss.shape))
    (dz,) = torch.autograd.grad(loss, [Z], G)
    return want_loss, dz.numpy().reshape(z.shape)


def assert_close(got, want, dtype, tol=None, what=""):
    """`got` of `want`'s shape, of `dtype`, NaN where `want` is, and within
    `tol` (TOL[dtype]) times the largest magnitude of `want` (at least
    1e-3) elsewhere."""
    got = np.asarray(got)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.dtype == np.dtype(dtype), f"{what}: dtype {got.dtype} != {np.dtype(dtype)}"
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan), \
        f"{what}: NaN at {np.argwhere(np.isnan(got)).tolist()}, want {np.argwhere(nan).tolist()}"
    got, want = got[~nan].astype(np.float64), want[~nan]
    if want.size == 0:
        return
    assert np.isfinite(got).all(), f"{what}: not finite: {got}"
    bound = (TOL[dtype] if tol is None else tol) * max(np.abs(want).max(), 1e-3)
    err = np.abs(got - want).max()
    assert err <= bound, f"{what}: max error {err:.3e} > {bound:.3e}"


def grad_of(rng, reduction, shape, dtype):
    """The gradient reaching the loss: ones for 'none', a random scalar
    (rounded to dtype) for 'sum' and 'mean'."""
    if reduction == "none":
        return np.ones(shape, dtype)
    return float(np.asarray(rng.uniform(0.5, 2.0), dtype))


def run(z, t, grad, dtype=None, tol=None, **options):
    """xent_logits and xent_logits_backward against the reference."""
    dtype = dtype or z.dtype.type
    loss = ops.xent_logits(z, t, **options)
    dz = ops.xent_logits_backward(grad, z, t, **options)
    want_loss, want_dz = reference(z, t, grad, **options)
    assert_close(loss, want_loss, dtype, tol, "loss")
    assert_close(dz, want_dz, dtype, tol, "dz")
    return loss, dz


def make(rng, shape, c, dtype, tdtype=np.int64, scale=2.0, ignore_index=-100,
         ignored=0.2, weight=False):
    """logits shape + [c] of about `scale`, targets of `shape` with about
    `ignored` of them ignore_index, class weights in [0.1, 2) or None."""
    z = (rng.standard_normal(tuple(shape) + (c,)) * scale).astype(dtype)
    t = np.asarray(rng.integers(0, c, shape))
    t[np.asarray(rng.random(shape)) < ignored] = ignore_index
    w = rng.uniform(0.1, 2.0, c).astype(dtype) if weight else None
    return z, t.astype(tdtype), w


# (target shape, target dtype, scale of the logits, options); weight=True
# stands for random class weights.
CASES = {
    "weight": ((13,), np.int64, 2.0, dict(weight=True)),
    "smoothing": ((3, 5), np.int32, 2.0, dict(label_smoothing=0.1)),
    "weight-smoothing": ((13,), np.int32, 2.0,
                         dict(weight=True, label_smoothing=0.2, ignore_index=0)),
    "zloss": ((3, 5), np.int64, 2.0, dict(z_loss=0.01)),
    "softcap": ((13,), np.int64, 4.0, dict(softcap=2.0)),
    "all": ((2, 7), np.int32, 4.0,
            dict(weight=True, label_smoothing=0.15, z_loss=0.02, softcap=5.0,
                 ignore_index=3)),
}
REDUCTIONS = ("none", "sum", "mean")

# Every case and reduction in f64; in f32, each case with one reduction
# (they take turns) and the combined case with all three.
MATRIX = (
    [pytest.param(case, r, np.float64, id=f"{case}-{r}-float64")
     for case in CASES for r in REDUCTIONS]
    + [pytest.param(case, r, np.float32, id=f"{case}-{r}-float32")
       for i, case in enumerate(CASES) for r in REDUCTIONS
       if case == "all" or r == REDUCTIONS[i % 3]])


def case_arrays(rng, case, dtype, shape=None, c=37):
    tshape, tdtype, scale, options = CASES[case]
    options = dict(options)
    z, t, w = make(rng, shape or tshape, c, dtype, tdtype=tdtype, scale=scale,
                   ignore_index=options.get("ignore_index", -100),
                   weight=options.pop("weight", False))
    if w is not None:
        options["weight"] = w
    return z, t, options


@pytest.mark.parametrize("case,reduction,dtype", MATRIX)
def test_against_torch(case, reduction, dtype, rng):
    z, t, options = case_arrays(rng, case, dtype)
    run(z, t, grad_of(rng, reduction, t.shape, dtype), reduction=reduction, **options)


@pytest.mark.parametrize("c", [3, 1000, 1, 17])
def test_class_counts(c, rng):
    """C no power of two (and a single class): the kernels of the matrix
    (sizes are dynamic) at other class counts and row counts. (One class:
    not the case whose ignore_index is 0, which would ignore every row.)"""
    first = "weight-smoothing" if c > 1 else "all"
    for case, reduction in ((first, "mean"), ("all", "none")):
        z, t, options = case_arrays(rng, case, np.float64, shape=None, c=c)
        run(z, t, grad_of(rng, reduction, t.shape, np.float64), reduction=reduction,
            **options)
    z, t, options = case_arrays(rng, "all", np.float32, shape=(40, 3), c=c)
    run(z, t, grad_of(rng, "none", t.shape, np.float32), reduction="none", **options)


@pytest.mark.parametrize("tdtype", [np.int64, np.int32])
def test_rank1_logits(tdtype, rng):
    """Logits [C] and a rank-0 target: a rank-0 loss for every reduction;
    an ignored target gives 0 (none, sum) or NaN (mean) and no gradient."""
    c = 29
    w = rng.uniform(0.1, 2.0, c)
    options = dict(weight=w, label_smoothing=0.1, z_loss=0.01, softcap=3.0)
    z = rng.standard_normal(c) * 3.0
    for reduction in ("none", "mean"):
        t = np.asarray(11, tdtype)
        loss, dz = run(z, t, grad_of(rng, reduction, (), np.float64), reduction=reduction,
                       **options)
        assert loss.shape == () and dz.shape == (c,)
        ignored = np.asarray(-100, tdtype)
        loss = ops.xent_logits(z, ignored, reduction=reduction, **options)
        dz = ops.xent_logits_backward(np.ones(()) if reduction == "none" else 1.5, z,
                                      ignored, reduction=reduction, **options)
        assert loss.shape == ()
        if reduction == "mean":
            assert np.isnan(loss)
        else:
            assert loss == 0.0
        assert np.array_equal(dz, np.zeros(c))


def test_ignore_index_outside_classes(rng):
    """An ignore_index outside [0, C) (500 for 37 classes) is ignored, not
    out of range; with weights and smoothing, f32, a mean."""
    z, t, w = make(rng, (20,), 37, np.float32, ignore_index=500, ignored=0.3,
                   weight=True)
    assert (t == 500).any()
    run(z, t, 0.5, weight=w, label_smoothing=0.1, ignore_index=500)


def test_all_rows_ignored_weighted(rng):
    """Every row ignored, with weights, smoothing and a z-loss: 0 per row
    and summed, a NaN mean (PyTorch's 0 / 0), and zero gradients."""
    c = 37
    z = rng.standard_normal((6, c))
    t = np.full(6, -100, np.int64)
    options = dict(weight=rng.uniform(0.1, 2.0, c), label_smoothing=0.2, z_loss=0.01)
    for reduction, want in (("none", np.zeros(6)), ("sum", 0.0), ("mean", np.nan)):
        loss = ops.xent_logits(z, t, reduction=reduction, **options)
        np.testing.assert_array_equal(loss, want)
        if reduction != "mean":
            # torch agrees (its mean is NaN too; its gradient then NaN).
            np.testing.assert_array_equal(reference(z, t, None, reduction=reduction,
                                                    **options)[0], want)
        grad = np.ones(6) if reduction == "none" else 1.25
        dz = ops.xent_logits_backward(grad, z, t, reduction=reduction, **options)
        np.testing.assert_array_equal(dz, np.zeros((6, c)))


def test_out_of_range_target(rng):
    """A target outside [0, C) that is not ignore_index (C, -1): its row's
    loss and gradient are NaN, the other rows are the reference's; the sum
    and mean are NaN."""
    c = 37
    z, t, w = make(rng, (10,), c, np.float64, ignored=0.2, weight=True)
    t[[2, 7]] = [c, -1]
    options = dict(weight=w, label_smoothing=0.1, z_loss=0.01)
    bad = np.zeros(10, bool)
    bad[[2, 7]] = True
    safe = np.where(bad, -100, t)  # the reference of the other rows

    loss = ops.xent_logits(z, t, reduction="none", **options)
    want, want_dz = reference(z, safe, np.ones(10), reduction="none", **options)
    assert_close(loss, np.where(bad, np.nan, want), np.float64, what="loss")
    dz = ops.xent_logits_backward(np.ones(10), z, t, reduction="none", **options)
    assert_close(dz, np.where(bad[:, None], np.nan, want_dz), np.float64, what="dz")

    for reduction in ("sum", "mean"):
        assert np.isnan(ops.xent_logits(z, t, reduction=reduction, **options))
        dz = ops.xent_logits_backward(0.75, z, t, reduction=reduction, **options)
        assert np.isnan(dz[bad]).all()
        if reduction == "sum":  # (the mean's share of a NaN total is not documented)
            want_dz = reference(z, safe, 0.75, reduction="sum", **options)[1]
            assert_close(dz[~bad], want_dz[~bad], np.float64, what="dz")


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_zero_class_weights(label_smoothing, rng):
    """Classes of weight 0, some of them targets: such a row's loss is its
    smoothing term alone (0 without smoothing, with a zero gradient) and it
    adds 0 to the mean's denominator."""
    c = 37
    z, t, w = make(rng, (24,), c, np.float64, ignored=0.1, weight=True)
    w[[0, 5, 9, 30]] = 0.0
    t[[1, 4, 8]] = [5, 9, 0]
    zero = (t >= 0) & (w[np.maximum(t, 0)] == 0.0)
    assert zero.sum() >= 3
    options = dict(weight=w, label_smoothing=label_smoothing)
    for reduction in REDUCTIONS:
        loss, dz = run(z, t, grad_of(rng, reduction, t.shape, np.float64),
                       reduction=reduction, **options)
        if label_smoothing == 0.0 and reduction == "none":
            assert np.array_equal(loss[zero], np.zeros(zero.sum()))
            assert np.array_equal(dz[zero], np.zeros((zero.sum(), c)))
    if label_smoothing == 0.0:
        # The mean of the rows of nonzero weight alone: the zero rows are
        # neither in the numerator nor in the denominator.
        kept = (t != -100) & ~zero
        mean = ops.xent_logits(z, t, **options)
        alone = ops.xent_logits(z[kept], t[kept], **options)
        np.testing.assert_allclose(mean, alone, rtol=1e-13)
        # Every kept row of weight 0: a NaN mean (0 / 0), as torch's.
        only = t[zero]
        assert np.isnan(ops.xent_logits(z[zero], only, **options))
        assert np.isnan(reference(z[zero], only, None, **options)[0])


def test_float16(rng):
    """f16 logits and weights (the reference of the f16-rounded values);
    f16 results."""
    assert np.dtype(np.float16) in ops._FLOAT_TYPES
    for case, reduction in (("all", "mean"), ("weight-smoothing", "none")):
        z, t, options = case_arrays(rng, case, np.float16)
        run(z, t, grad_of(rng, reduction, t.shape, np.float16), tol=F16_TOL,
            reduction=reduction, **options)


def large_logits(rng, dtype):
    """Logits of about 1e4 (a row all 1e4, a row all -1e4, a target at 1e4)
    with weights."""
    z, t, w = make(rng, (13,), 37, dtype, scale=1e4, weight=True)
    z[0, :] = 1e4
    z[1, :] = -1e4
    z[2, t[2] if t[2] >= 0 else 0] = 1e4
    return z, t, w


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_logits(dtype, rng):
    """Logits of 1e4 with weights (no smoothing): finite and the reference's
    (the kernels of the 'weight' case), the gradient's probabilities formed
    as exp(z - max) / sum, not from a rounded lse."""
    for reduction in ("none", "mean"):
        z, t, w = large_logits(rng, dtype)
        grad = grad_of(rng, reduction, t.shape, dtype)
        loss = ops.xent_logits(z, t, reduction=reduction, weight=w)
        dz = ops.xent_logits_backward(grad, z, t, reduction=reduction, weight=w)
        want_loss, want_dz = reference(z, t, grad, reduction=reduction, weight=w)
        assert np.isfinite(loss).all() and np.isfinite(dz).all()
        assert_close(loss, want_loss, dtype, what="loss")
        assert_close(dz, want_dz, dtype, what="dz")


def test_large_logits_gradient_f32(rng):
    """The f32 gradient of logits of 1e4 within f32's tolerance (1e-5): a
    row that sums to 0, not one off by the rounding of an f32 lse."""
    z = np.array([[1e4, 1e4 - 1.0, 0.0]], np.float32)
    t = np.array([1])
    dz = ops.xent_logits_backward(np.ones(1, np.float32), z, t, reduction="none")
    assert_close(dz, reference(z, t, np.ones(1), reduction="none")[1], np.float32,
                 what="dz")
    z, t, w = large_logits(rng, np.float32)
    run(z, t, np.ones(13, np.float32), reduction="none", weight=w)


# ---------------------------------------------------------------------------
# linear_cross_entropy with class weights
# ---------------------------------------------------------------------------

D = 16


def linear_reference(h, cls, b, t, w, grad, ignore_index=-100, reduction="mean",
                     label_smoothing=0.0, z_loss=0.0, softcap=None):
    """(loss, lse, [dh, dcls(, db)]) by F.linear and F.cross_entropy(weight)
    in float64 autograd."""
    H = torch.tensor(np.asarray(h, np.float64), requires_grad=True)
    CLS = torch.tensor(np.asarray(cls, np.float64), requires_grad=True)
    leaves = [H, CLS]
    B = None
    if b is not None:
        B = torch.tensor(np.asarray(b, np.float64), requires_grad=True)
        leaves.append(B)
    W = torch.tensor(np.asarray(w, np.float64))
    T = torch.tensor(np.asarray(t, np.int64))
    z = F.linear(H, CLS, B)
    if softcap is not None:
        z = softcap * torch.tanh(z / softcap)
    lse = torch.logsumexp(z, -1)
    keep = T != ignore_index
    kept = keep.to(torch.float64)
    zl = z_loss * lse ** 2 * kept
    loss = F.cross_entropy(z, T, weight=W, ignore_index=ignore_index,
                           reduction=reduction, label_smoothing=label_smoothing)
    if reduction == "none":
        loss = loss + zl
    elif reduction == "sum":
        loss = loss + zl.sum()
    else:
        loss = loss + zl.sum() / (W[torch.where(keep, T, torch.zeros_like(T))] * kept).sum()
    grads = torch.autograd.grad(loss, leaves,
                                torch.as_tensor(np.asarray(grad, np.float64)))
    return loss.detach().numpy(), lse.detach().numpy(), [g.numpy() for g in grads]


# (bias, N, V, target dtype, lowering, blocks, options)
LINEAR_CASES = {
    "weight-flash-mean": (False, 37, 100, np.int64, "flash", {}, dict()),
    "bias-smoothing-flash-v1000": (True, 37, 1000, np.int64, "flash",
                                   dict(block_classes=64),
                                   dict(reduction="sum", label_smoothing=0.1)),
    "bias-smoothing-decomposed-v1000": (True, 37, 1000, np.int32, "decomposed", {},
                                        dict(reduction="none", label_smoothing=0.1)),
    "smoothing-zloss-softcap-decomposed": (False, 20, 100, np.int64, "decomposed", {},
                                           dict(label_smoothing=0.2, z_loss=0.01,
                                                softcap=4.0, ignore_index=5)),
}


@pytest.mark.parametrize("case", list(LINEAR_CASES))
def test_linear_cross_entropy_weight(case, rng):
    bias, n, v, tdtype, lowering, blocks, options = LINEAR_CASES[case]
    dtype = np.float64
    h = rng.standard_normal((n, D)) * 2.0
    cls = rng.standard_normal((v, D)) / np.sqrt(D)
    b = rng.standard_normal(v) * 0.5 if bias else None
    ignore_index = options.get("ignore_index", -100)
    t = rng.integers(0, v, n)
    t[rng.random(n) < 0.2] = ignore_index
    t = t.astype(tdtype)
    w = rng.uniform(0.1, 2.0, v)
    w[[3, 7]] = 0.0
    t[0] = 3  # a kept target of weight 0
    reduction = options.get("reduction", "mean")
    grad = np.ones(n) if reduction == "none" else 0.75
    loss, lse = ops.linear_cross_entropy(h, cls, t, b, weight=w, return_lse=True,
                                         lowering=lowering, **blocks, **options)
    grads = ops.linear_cross_entropy_backward(grad, h, cls, t, lse, b, weight=w,
                                              lowering=lowering, **blocks, **options)
    want_loss, want_lse, want_grads = linear_reference(h, cls, b, t, w, grad, **options)
    assert_close(loss, want_loss, dtype, what="loss")
    assert_close(lse, want_lse, dtype, what="lse")
    assert len(grads) == len(want_grads) == (3 if bias else 2)
    for name, g, want in zip(("d_hidden", "d_classifier", "d_bias"), grads, want_grads):
        assert_close(g, want, dtype, what=name)


def test_linear_cross_entropy_weight_f32(rng):
    """f32 with a bias and smoothing, the default (blocked) lowering."""
    n, v = 33, 70
    h = rng.standard_normal((n, D)).astype(np.float32)
    cls = (rng.standard_normal((v, D)) / np.sqrt(D)).astype(np.float32)
    b = (rng.standard_normal(v) * 0.5).astype(np.float32)
    t = rng.integers(0, v, n)
    t[::5] = -100
    w = rng.uniform(0.1, 2.0, v).astype(np.float32)
    loss, lse = ops.linear_cross_entropy(h, cls, t, b, weight=w, label_smoothing=0.1,
                                         return_lse=True)
    grads = ops.linear_cross_entropy_backward(0.5, h, cls, t, lse, b, weight=w,
                                              label_smoothing=0.1)
    want_loss, want_lse, want_grads = linear_reference(h, cls, b, t, w, 0.5,
                                                       label_smoothing=0.1)
    assert_close(loss, want_loss, np.float32, what="loss")
    assert_close(lse, want_lse, np.float32, what="lse")
    for name, g, want in zip(("d_hidden", "d_classifier", "d_bias"), grads, want_grads):
        assert_close(g, want, np.float32, what=name)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def test_weight_errors(rng):
    z = rng.standard_normal((5, 7))
    t = np.array([0, 1, 2, -100, 6])
    w = rng.uniform(0.1, 2.0, 7)
    h = rng.standard_normal((5, 4))
    cls = rng.standard_normal((7, 4))
    with pytest.raises(TypeError, match="weight"):
        ops.xent_logits(z, t, weight=w.astype(np.float32))
    with pytest.raises(TypeError, match="weight"):
        ops.xent_logits_backward(1.0, z, t, weight=w.astype(np.float32))
    with pytest.raises(TypeError, match="weight"):
        ops.linear_cross_entropy(h, cls, t, weight=w.astype(np.float32))
    with pytest.raises(TypeError, match="weight"):
        ops.xent_logits(z, t, weight=list(w))
    with pytest.raises(ValueError, match=r"weight dimension 0 \(6\).*logits dimension 1 \(7\)"):
        ops.xent_logits(z, t, weight=w[:6])
    with pytest.raises(ValueError, match=r"weight dimension 0 \(8\).*weight is weight"):
        ops.xent_logits_backward(1.0, z, t, weight=np.ones(8))
    with pytest.raises(ValueError, match=r"weight dimension 0 \(6\).*classifier dimension 0 \(7\)"):
        ops.linear_cross_entropy(h, cls, t, weight=w[:6])
    with pytest.raises(ValueError, match="weight of rank 1"):
        ops.xent_logits(z, t, weight=w[:, None])


@pytest.mark.parametrize("option,value", [("label_smoothing", 1.5),
                                          ("label_smoothing", -0.1),
                                          ("label_smoothing", float("nan")),
                                          ("z_loss", -1.0), ("z_loss", float("inf")),
                                          ("softcap", 0.0), ("softcap", -2.0),
                                          ("softcap", float("inf"))])
def test_option_ranges(option, value, rng):
    z = rng.standard_normal((5, 7))
    t = np.array([0, 1, 2, -100, 6])
    h = rng.standard_normal((5, 4))
    cls = rng.standard_normal((7, 4))
    with pytest.raises(ValueError, match=option):
        ops.xent_logits(z, t, **{option: value})
    with pytest.raises(ValueError, match=option):
        ops.xent_logits_backward(1.0, z, t, **{option: value})
    with pytest.raises(ValueError, match=option):
        ops.linear_cross_entropy(h, cls, t, **{option: value})
