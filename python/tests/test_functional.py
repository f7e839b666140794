"""attn.cross_entropy and its backward: PyTorch's F.cross_entropy on numpy
arrays (layouts [C], [N, C], [N, C, d1, d2]; class indices or
probabilities; weight, ignore_index, label smoothing), against PyTorch's
autograd in float64."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import attn


def reference(z, t, **kwargs):
    zt = torch.tensor(z, requires_grad=True)
    w = kwargs.pop("weight", None)
    loss = F.cross_entropy(zt, torch.tensor(t), weight=None if w is None else torch.tensor(w),
                           **kwargs)
    g = torch.ones_like(loss)
    loss.backward(g)
    return loss.detach().numpy(), zt.grad.numpy()


@pytest.mark.parametrize("shape", [(6,), (5, 6), (3, 6, 2, 3)])
@pytest.mark.parametrize("probabilities", [False, True])
def test_cross_entropy_layouts(shape, probabilities):
    rng = np.random.default_rng(len(shape))
    z = rng.standard_normal(shape) * 2
    if probabilities:
        t = rng.uniform(size=shape)
        t /= t.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
    else:
        rows = shape[:1] + shape[2:] if len(shape) > 1 else ()
        t = rng.integers(0, shape[1] if len(shape) > 1 else shape[0], rows)
        if t.ndim:
            t.reshape(-1)[::4] = 2  # an ignored class index below
    weight = rng.uniform(0.5, 2.0, shape[1] if len(shape) > 1 else shape[0])
    for kwargs in (dict(), dict(weight=weight, label_smoothing=0.2, reduction="none"),
                   dict(ignore_index=2, reduction="sum")):
        if probabilities and "ignore_index" in kwargs:
            continue
        want, dwant = reference(z, t, **dict(kwargs))
        got = attn.cross_entropy(z, t, **kwargs)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
        dz = attn.cross_entropy_backward(np.ones(np.shape(want)), z, t, **kwargs)
        assert dz.shape == z.shape
        np.testing.assert_allclose(dz, dwant, rtol=1e-10, atol=1e-12)


def test_cross_entropy_errors():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match="class probabilities must have the input's shape"):
        attn.cross_entropy(z, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="target shape"):
        attn.cross_entropy(z, np.zeros(4, np.int64))
    with pytest.raises(TypeError, match="input must be a numpy array"):
        attn.cross_entropy([1.0, 2.0], np.zeros((), np.int64))


def test_linear_cross_entropy_is_exported():
    assert attn.linear_cross_entropy is attn.ops.linear_cross_entropy
    assert attn.linear_cross_entropy_backward is attn.ops.linear_cross_entropy_backward
