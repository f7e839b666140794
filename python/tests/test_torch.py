"""attn.torch: attn's ops as differentiable PyTorch functions, checked by
torch.autograd.gradcheck in float64 (attn's forward for the finite
differences, attn's backward for the analytic Jacobian) and against
PyTorch's own functions in float32."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import attn.torch as at


def f64(*shape, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).requires_grad_()


def gradcheck(fn, *inputs):
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_family_gradcheck(dim):
    x = f64(3, 5, 7, seed=1)
    gradcheck(lambda x: at.softmax(x, dim), x)
    gradcheck(lambda x: at.log_softmax(x, dim), x)
    gradcheck(lambda x: at.logsumexp(x, dim), x)
    gradcheck(lambda x: at.logsumexp(x, dim, keepdim=True), x)


def test_softmax_family_values_against_torch():
    x = torch.randn(4, 6, 33) * 30
    torch.testing.assert_close(at.softmax(x, 1), torch.softmax(x, 1))
    torch.testing.assert_close(at.log_softmax(x, -1), torch.log_softmax(x, -1))
    torch.testing.assert_close(at.logsumexp(x, 2, True), torch.logsumexp(x, 2, True))


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_cross_entropy(reduction):
    logits = f64(9, 11, seed=2, scale=3)
    target = torch.tensor([0, 3, -100, 10, 5, 5, 1, -100, 2])
    gradcheck(lambda z: at.cross_entropy(z, target, reduction=reduction), logits)
    want = F.cross_entropy(logits, target, reduction=reduction)
    torch.testing.assert_close(at.cross_entropy(logits, target, reduction=reduction), want)
    # Classes in dimension 1 of [N, C, d].
    z3 = f64(2, 5, 4, seed=3)
    t3 = torch.tensor([[0, 4, 1, 2], [3, 3, -100, 0]])
    gradcheck(lambda z: at.cross_entropy(z, t3, reduction=reduction), z3)
    torch.testing.assert_close(at.cross_entropy(z3, t3, reduction=reduction),
                               F.cross_entropy(z3, t3, reduction=reduction))


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_cross_entropy_options(reduction):
    """weight, label_smoothing and class-probability targets: gradchecked
    and against F.cross_entropy, classes in dimension 1 of [N, C, d]."""
    z3 = f64(3, 7, 4, seed=4, scale=2)
    t3 = torch.tensor([[0, 6, 1, 2], [3, 3, -100, 0], [5, 4, 4, 1]])
    w = torch.rand(7, generator=torch.Generator().manual_seed(5), dtype=torch.float64) + 0.5
    p3 = torch.softmax(torch.randn(3, 7, 4, generator=torch.Generator().manual_seed(6),
                                   dtype=torch.float64), 1)
    for target in (t3, p3):
        kwargs = dict(weight=w, label_smoothing=0.15, reduction=reduction)
        gradcheck(lambda z: at.cross_entropy(z, target, **kwargs), z3)
        torch.testing.assert_close(at.cross_entropy(z3, target, **kwargs),
                                   F.cross_entropy(z3, target, **kwargs))


def sdpa_reference(q, k, v, mask=None, is_causal=False, scale=None, enable_gqa=False):
    """PyTorch 2.x's documented math for scaled_dot_product_attention."""
    L, S = q.shape[-2], k.shape[-2]
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    if enable_gqa:
        k = k.repeat_interleave(q.shape[-3] // k.shape[-3], -3)
        v = v.repeat_interleave(q.shape[-3] // v.shape[-3], -3)
    bias = torch.zeros(L, S, dtype=q.dtype)
    if is_causal:
        bias = bias.masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(),
                                float("-inf"))
    if mask is not None:
        bias = (bias.masked_fill(mask.logical_not(), float("-inf"))
                if mask.dtype == torch.bool else bias + mask)
    return torch.softmax(q @ k.transpose(-2, -1) * scale + bias, -1) @ v


@pytest.mark.parametrize("case", ["plain", "causal_top_left", "causal_square", "bool_mask",
                                  "float_mask", "gqa", "scale", "five_dims"])
def test_scaled_dot_product_attention(case):
    L, S = (6, 9) if case != "causal_square" else (7, 7)
    hq, hkv = (4, 2) if case == "gqa" else (2, 2)
    lead = (2, 1) if case == "five_dims" else (2,)
    q = f64(*lead, hq, L, 5, seed=4)
    k = f64(*lead, hkv, S, 5, seed=5)
    v = f64(*lead, hkv, S, 3, seed=6)
    kwargs = {}
    if case.startswith("causal"):
        kwargs["is_causal"] = True
    if case == "bool_mask":
        mask = torch.rand(L, S, generator=torch.Generator().manual_seed(7)) > 0.3
        mask[:, 0] = True
        kwargs["attn_mask"] = mask
    if case == "float_mask":
        kwargs["attn_mask"] = torch.randn(1, L, S, dtype=torch.float64)
    if case == "gqa":
        kwargs["enable_gqa"] = True
    if case == "scale":
        kwargs["scale"] = 0.7
    gradcheck(lambda q, k, v: at.scaled_dot_product_attention(q, k, v, **kwargs), q, k, v)
    ref_kwargs = dict(kwargs)
    mask = ref_kwargs.pop("attn_mask", None)
    torch.testing.assert_close(at.scaled_dot_product_attention(q, k, v, **kwargs),
                               sdpa_reference(q, k, v, mask, **ref_kwargs))


def test_sdpa_float32_and_half_types():
    g = torch.Generator().manual_seed(8)
    q, k, v = (torch.randn(1, 2, 70, 16, generator=g) for _ in range(3))
    want = sdpa_reference(q.double(), k.double(), v.double(), is_causal=True)
    torch.testing.assert_close(at.scaled_dot_product_attention(q, k, v, is_causal=True),
                               want.float(), rtol=1e-5, atol=1e-5)
    for dtype in (torch.float16, torch.bfloat16):
        out = at.scaled_dot_product_attention(q.to(dtype), k.to(dtype), v.to(dtype))
        assert out.dtype == dtype
        torch.testing.assert_close(out.double(), sdpa_reference(q.double(), k.double(),
                                                                v.double()),
                                   rtol=2e-2, atol=2e-2)


def test_sdpa_dropout_is_reproducible_and_trains():
    q, k, v = (f64(1, 2, 64, 8, seed=s) for s in (9, 10, 11))
    torch.manual_seed(0)
    a = at.scaled_dot_product_attention(q, k, v, dropout_p=0.2)
    torch.manual_seed(0)
    b = at.scaled_dot_product_attention(q, k, v, dropout_p=0.2)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, at.scaled_dot_product_attention(q, k, v, dropout_p=0.2))
    a.sum().backward()
    assert all(torch.isfinite(x.grad).all() for x in (q, k, v))


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_linear_cross_entropy_gradcheck(reduction):
    h, w, b = f64(2, 5, 6, seed=11), f64(9, 6, seed=12), f64(9, seed=13)
    t = torch.tensor([[1, 8, -100, 0, 3], [2, 2, 5, 7, 4]])
    gradcheck(lambda h, w, b: at.linear_cross_entropy(
        h, w, t, b, reduction=reduction, label_smoothing=0.1, softcap=4.0,
        z_loss=0.01), h, w, b)


@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-5), (torch.bfloat16, 3e-2)])
def test_linear_cross_entropy_against_torch(dtype, tol):
    """F.linear + F.cross_entropy with autograd (float64, on the same
    inputs): loss and the gradients of input, weight and bias."""
    g = torch.Generator().manual_seed(5)
    h = torch.randn(3, 40, 32, generator=g).to(dtype).requires_grad_()
    w = torch.randn(300, 32, generator=g).to(dtype).requires_grad_()
    b = torch.randn(300, generator=g).to(dtype).requires_grad_()
    t = torch.randint(0, 300, (3, 40), generator=g)
    t[0, :5] = -100
    loss = at.linear_cross_entropy(h, w, t, b, label_smoothing=0.1)
    assert loss.dtype == dtype
    got = torch.autograd.grad(loss, (h, w, b))
    h64, w64, b64 = (x.detach().double().requires_grad_() for x in (h, w, b))
    ref = F.cross_entropy(F.linear(h64, w64, b64).reshape(-1, 300), t.reshape(-1),
                          label_smoothing=0.1)
    want = torch.autograd.grad(ref, (h64, w64, b64))
    assert abs(float(loss) - float(ref)) <= tol * abs(float(ref))
    for a, c in zip(got, want):
        assert a.dtype == dtype
        assert float((a.double() - c).abs().max()) <= tol * float(c.abs().max())


def test_contiguous_inputs_are_not_copied():
    x = torch.randn(4, 8)
    assert at._np(x).ctypes.data == x.data_ptr()


def test_errors():
    q = torch.randn(2, 4, 8)
    with pytest.raises(RuntimeError, match="expected key to have the dtype"):
        at.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="enable_gqa"):
        at.scaled_dot_product_attention(torch.randn(4, 4, 8), q, q)
    with pytest.raises(RuntimeError, match="attn_mask and is_causal"):
        at.scaled_dot_product_attention(q, q, q, attn_mask=torch.zeros(4, 4), is_causal=True)
    with pytest.raises(TypeError, match="query must be a torch.Tensor"):
        at.scaled_dot_product_attention(q.numpy(), q, q)
    # Class probabilities get no gradient; they have the input's shape.
    with pytest.raises(RuntimeError, match="target must not require grad"):
        at.cross_entropy(torch.randn(3, 5), torch.zeros(3, 5, requires_grad=True))
    with pytest.raises(RuntimeError, match="class probabilities of shape"):
        at.cross_entropy(torch.randn(3, 5), torch.zeros(3))
    with pytest.raises(RuntimeError, match="target must hold class indices"):
        at.cross_entropy(torch.randn(3, 5), torch.zeros(3, dtype=torch.int16))
    with pytest.raises(RuntimeError, match="target shape"):
        at.cross_entropy(torch.randn(3, 5), torch.zeros(4, dtype=torch.long))


def mha_pair(batch_first, dtype, kdim=None, dropout=0.0, seed=12):
    torch.manual_seed(seed)
    ref = torch.nn.MultiheadAttention(16, 4, dropout=dropout, batch_first=batch_first,
                                      kdim=kdim, vdim=kdim, dtype=dtype)
    ours = at.MultiheadAttention(16, 4, dropout=dropout, batch_first=batch_first,
                                 kdim=kdim, vdim=kdim, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    return ref, ours


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "attn_bool", "attn_float", "padding", "both",
                                   "per_head", "kdim"])
def test_multihead_attention_against_torch(dtype, tol, batch_first, masks):
    kdim = 12 if masks == "kdim" else None
    ref, ours = mha_pair(batch_first, dtype, kdim)
    g = torch.Generator().manual_seed(13)
    N, L, S = 3, 7, 9
    shape = (lambda n, l, e: (n, l, e)) if batch_first else (lambda n, l, e: (l, n, e))
    query = torch.randn(*shape(N, L, 16), generator=g, dtype=dtype, requires_grad=True)
    key = torch.randn(*shape(N, S, kdim or 16), generator=g, dtype=dtype, requires_grad=True)
    value = torch.randn(*shape(N, S, kdim or 16), generator=g, dtype=dtype,
                        requires_grad=True)
    kwargs = {}
    if masks in ("attn_bool", "both"):
        m = torch.rand(L, S, generator=g) < 0.3
        m[:, 0] = False  # every query keeps a key
        kwargs["attn_mask"] = m
    if masks == "attn_float":
        kwargs["attn_mask"] = torch.randn(L, S, generator=g, dtype=dtype)
    if masks == "per_head":
        kwargs["attn_mask"] = torch.randn(N * 4, L, S, generator=g, dtype=dtype)
    if masks in ("padding", "both"):
        pad = torch.zeros(N, S, dtype=torch.bool)
        pad[0, -3:] = True
        pad[2, 4:] = True
        kwargs["key_padding_mask"] = pad
    want, _ = ref(query, key, value, need_weights=False, **kwargs)
    got, weights = ours(query, key, value, need_weights=False, **kwargs)
    assert weights is None
    torch.testing.assert_close(got, want, rtol=tol, atol=tol)
    grad = torch.randn(want.shape, generator=g, dtype=dtype)
    want_grads = torch.autograd.grad(want, [query, key, value, *ref.parameters()], grad)
    got_grads = torch.autograd.grad(got, [query, key, value, *ours.parameters()], grad)
    for a, b in zip(got_grads, want_grads):
        torch.testing.assert_close(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("training", [False, True])
def test_patched_transformer_encoder_layer(training):
    torch.manual_seed(14)
    layer = torch.nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0,
                                             batch_first=True, dtype=torch.float64)
    patched = at.patch(torch.nn.TransformerEncoderLayer(
        16, 4, dim_feedforward=32, dropout=0.0, batch_first=True, dtype=torch.float64))
    patched.load_state_dict(layer.state_dict())
    assert type(patched.self_attn) is at.MultiheadAttention
    layer.train(training)
    patched.train(training)
    x = torch.randn(2, 10, 16, dtype=torch.float64, requires_grad=True)
    causal = torch.ones(10, 10, dtype=torch.bool).triu(1)
    want = layer(x, src_mask=causal)
    got = patched(x, src_mask=causal)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
    g = torch.randn(want.shape, dtype=torch.float64)
    for a, b in zip(torch.autograd.grad(got, [x, *patched.parameters()], g),
                    torch.autograd.grad(want, [x, *layer.parameters()], g)):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def test_train_lm_example_runs_and_agrees(tmp_path):
    """A short run of examples/train_lm.py: the losses of PyTorch's model
    and of the patched one agree at every logged step."""
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "train_lm.py")
    spec = importlib.util.spec_from_file_location("train_lm", path)
    train_lm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_lm)
    torch_losses, attn_losses = train_lm.main(
        ["--steps", "4", "--layers", "1", "--d-model", "32", "--heads", "2",
         "--context", "48", "--batch", "2", "--log-every", "1",
         "--out", str(tmp_path / "loss.png")])
    assert len(torch_losses) == len(attn_losses) == 4
    for (_, a), (_, b) in zip(torch_losses, attn_losses):
        assert abs(a - b) < 1e-4
