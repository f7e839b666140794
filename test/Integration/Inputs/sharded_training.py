"""Runs test/Integration/Inputs/sharded_training.mlir (compiled by
attn-compile) on each of two MPI processes from Python: MPI is MPICH's
library through ctypes (Debian's mpi4py is built for Open MPI), the kernels
are called through their C interface, and each process checks its results
against float64 numpy of the whole computation, writing its lines to
`<prefix>.<rank>`. Exits 1 on a mismatch.

usage: mpirun -np 2 python3 sharded_training.py libtraining.so prefix"""

import ctypes
import sys

import numpy as np

mpi = ctypes.CDLL("libmpich.so.12", mode=ctypes.RTLD_GLOBAL)
mpi.MPI_Init(None, None)
MPI_COMM_WORLD = ctypes.c_int(0x44000000)  # MPICH's handle
rank_c = ctypes.c_int()
mpi.MPI_Comm_rank(MPI_COMM_WORLD, ctypes.byref(rank_c))
rank = rank_c.value
lib = ctypes.CDLL(sys.argv[1])
report = open(f"{sys.argv[2]}.{rank}", "w")


def descriptor_type(rank, ctype):
    fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
              ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRef{rank}d", (ctypes.Structure,), {"_fields_": fields})


CTYPES = {np.dtype(np.float32): ctypes.c_float, np.dtype(np.int64): ctypes.c_int64}
KEEP = []


def descriptor(a):
    a = np.ascontiguousarray(a)
    KEEP.append(a)
    d = descriptor_type(a.ndim, CTYPES[a.dtype])()
    d.allocated = d.aligned = a.ctypes.data
    d.offset = 0
    for i, (n, s) in enumerate(zip(a.shape, a.strides)):
        d.sizes[i], d.strides[i] = n, s // a.itemsize
    return d


def array(d, shape):
    """A copy of a result descriptor's elements (f32)."""
    n = int(np.prod(shape)) if shape else 1
    buf = (ctypes.c_float * n).from_address(d.aligned + 4 * d.offset)
    return np.array(buf, np.float64).reshape(shape)


def call(name, outs, *args):
    """Calls _mlir_ciface_<name> with the result descriptors of `outs`
    (shapes) and the arrays `args`; returns the results as float64."""
    types = [descriptor_type(len(s), ctypes.c_float) for s in outs]
    if len(outs) == 1:
        result = types[0]()
    else:
        result = type("Results", (ctypes.Structure,),
                      {"_fields_": [(f"r{i}", t) for i, t in enumerate(types)]})()
    fn = getattr(lib, "_mlir_ciface_" + name)
    fn(ctypes.byref(result), *[ctypes.byref(descriptor(a)) for a in args])
    if len(outs) == 1:
        return [array(result, outs[0])]
    return [array(getattr(result, f"r{i}"), s) for i, s in enumerate(outs)]


failures = 0


def check(name, got, want):
    global failures
    err = np.max(np.abs(got - want) / np.maximum(1, np.abs(want)))
    ok = err <= 2e-5
    failures += not ok
    print(f"process {rank} {name}: max rel. error vs float64 {err:.2g}: "
          f"{'OK' if ok else 'MISMATCH'}", file=report, flush=True)


rng = np.random.default_rng(7)
f32 = np.float32
part = slice(8 * rank, 8 * rank + 8)

# Linear cross-entropy, classifier split by classes: process p holds
# classes [64p, 64p + 64). Row 3 ignored; targets in both halves.
h = rng.standard_normal((16, 32)).astype(f32)
w = (rng.standard_normal((128, 32)) / 2).astype(f32)
bias = rng.standard_normal(128).astype(f32)
t = np.array([0, 70, 5, -100, 127, 64, 63, 1, 100, 33, 90, 12, 64, 2, 120, 50], np.int64)
z = h.astype(np.float64) @ w.astype(np.float64).T + bias
z = 30 * np.tanh(z / 30)
lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
picked = z[np.arange(16), np.where(t < 0, 0, t)]
loss = np.where(t == -100, 0, lse - picked + 0.01 * lse ** 2)
classes = slice(64 * rank, 64 * rank + 64)
got_loss, got_lse = call("linear_xent_classes", [(16,), (16,)], h, w[classes], t, bias[classes])
check("linear_xent classes: loss", got_loss, loss)
check("linear_xent classes: lse", got_lse, lse)

# Rows split, mean over the kept rows of both processes.
z = h.astype(np.float64) @ w.astype(np.float64).T
lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
kept = t != -100
mean = np.sum((lse - z[np.arange(16), np.where(kept, t, 0)])[kept]) / kept.sum()
(got_mean,) = call("linear_xent_rows_mean", [()], h[part], w, t[part])
check("linear_xent rows: mean", got_mean, mean)

# Attention backward (causal, bottom-right: key j visible to query i when
# j <= i + 16), from float64 forward values rounded to f32.
H, M, N, D = 2, 16, 32, 8
q, g = (rng.standard_normal((H, M, D)).astype(f32) for _ in range(2))
k, v = (rng.standard_normal((H, N, D)).astype(f32) for _ in range(2))
scale = 1 / np.sqrt(D)
s = np.einsum("hmd,hnd->hmn", q.astype(np.float64), k.astype(np.float64)) * scale
s = np.where(np.arange(N)[None, :] > np.arange(M)[:, None] + N - M, -np.inf, s)
lse = np.log(np.exp(s - s.max(-1, keepdims=True)).sum(-1)) + s.max(-1)
p = np.exp(s - lse[..., None])
o = (p @ v.astype(np.float64)).astype(f32)
lse32 = lse.astype(f32)
g64, o64 = g.astype(np.float64), o.astype(np.float64)
dv = np.einsum("hmn,hme->hne", p, g64)
dp = np.einsum("hme,hne->hmn", g64, v.astype(np.float64))
ds = p * (dp - (g64 * o64).sum(-1, keepdims=True))
dq = np.einsum("hmn,hnd->hmd", ds, k.astype(np.float64)) * scale
dk = np.einsum("hmn,hmd->hnd", ds, q.astype(np.float64)) * scale

keys = slice(16 * rank, 16 * rank + 16)
got = call("attention_backward_keys", [(H, M, D), (H, 16, D), (H, 16, D)],
           g, q, k[:, keys], v[:, keys], o, lse32)
check("attention_backward keys: dQ", got[0], dq)
check("attention_backward keys: dK", got[1], dk[:, keys])
check("attention_backward keys: dV", got[2], dv[:, keys])

rows = slice(8 * rank, 8 * rank + 8)
got = call("attention_backward_rows", [(H, 8, D), (H, N, D), (H, N, D)],
           g[:, rows], q[:, rows], k, v, o[:, rows], lse32[:, rows])
check("attention_backward rows: dQ", got[0], dq[:, rows])
check("attention_backward rows: dK", got[1], dk)
check("attention_backward rows: dV", got[2], dv)

# The cross-entropy's gradient with its classes split (z-loss, softcap;
# then a mean over the kept rows), logits of magnitude up to 1e3.
z = (rng.standard_normal((16, 128)) * 10).astype(f32)
z[2, 5] = 1e3
g = rng.standard_normal(16).astype(f32)
z64 = z.astype(np.float64)


def xent_grad(z64, t, cap, zl, scale):
    c = cap * np.tanh(z64 / cap) if cap else z64
    m = c.max(1, keepdims=True)
    lse = np.log(np.exp(c - m).sum(1, keepdims=True)) + m
    p = np.exp(c - lse)
    onehot = np.zeros_like(p)
    kept = t != -100
    onehot[np.arange(16)[kept], t[kept]] = 1
    dz = scale[:, None] * (p * (1 + 2 * zl * lse) - onehot)
    if cap:
        dz *= 1 - np.tanh(z64 / cap) ** 2
    return np.where(kept[:, None], dz, 0)


want = xent_grad(z64, t, 30.0, 0.01, g.astype(np.float64))
(got,) = call("xent_logits_backward_classes", [(16, 64)], g, z[:, classes], t)
check("xent_logits_backward classes: dz", got, want[:, classes])
gmean = np.array(0.5, f32)
want = xent_grad(z64, t, None, 0.0, np.full(16, 0.5 / (t != -100).sum()))
(got,) = call("xent_logits_backward_mean", [(16, 64)], gmean, z[:, classes], t)
check("xent_logits_backward mean: dz", got, want[:, classes])

# The fused loss's gradients: classes split (bias, z-loss, softcap; dh
# summed over the parts, the target's share restored where a part lacks
# it), then tokens split (a sum: dclassifier summed over the parts).
def linear_grads(h, w, bias, t, g, cap, zl):
    z = h.astype(np.float64) @ w.astype(np.float64).T
    if bias is not None:
        z = z + bias
    c = cap * np.tanh(z / cap) if cap else z
    lse = np.log(np.exp(c - c.max(1, keepdims=True)).sum(1)) + c.max(1)
    p = np.exp(c - lse[:, None])
    kept = t != -100
    onehot = np.zeros_like(p)
    onehot[np.arange(16)[kept], t[kept]] = 1
    dz = g[:, None] * (p * (1 + 2 * zl * lse[:, None]) - onehot)
    if cap:
        dz *= 1 - np.tanh(z / cap) ** 2
    dz = np.where(kept[:, None], dz, 0)
    return lse, dz @ w.astype(np.float64), dz.T @ h.astype(np.float64), dz.sum(0)


g = rng.standard_normal(16).astype(f32)
lse, dh, dw, db = linear_grads(h, w, bias, t, g.astype(np.float64), 30.0, 0.01)
got = call("linear_xent_backward_classes", [(16, 32), (64, 32), (64,)],
           g, h, w[classes], t, lse.astype(f32), bias[classes])
check("linear_xent_backward classes: dhidden", got[0], dh)
check("linear_xent_backward classes: dclassifier", got[1], dw[classes])
check("linear_xent_backward classes: dbias", got[2], db[classes])
lse, dh, dw, _ = linear_grads(h, w, None, t, np.full(16, 0.5), None, 0.0)
got = call("linear_xent_backward_rows", [(8, 32), (128, 32)],
           np.array(0.5, f32), h[part], w, t[part], lse.astype(f32)[part])
check("linear_xent_backward rows: dhidden", got[0], dh[part])
check("linear_xent_backward rows: dclassifier", got[1], dw)

# softmax and log_softmax gradients with the last dimension split, from
# outputs with masked entries (y = 0 / -inf) and a fully masked row.
x = (rng.standard_normal((16, 128)) * 3)
x[rng.random((16, 128)) < 0.2] = -np.inf
x[4] = -np.inf
m = x.max(1, keepdims=True)
finite = np.isfinite(m)
lse = np.where(finite, np.log(np.exp(x - np.where(finite, m, 0)).sum(1, keepdims=True)) + np.where(finite, m, 0), -np.inf)
ysm = np.where(finite, np.exp(x - np.where(finite, lse, 0)), 0)
ylog = np.where(finite, x - np.where(finite, lse, 0), -np.inf)
dy = rng.standard_normal((16, 128))
want = ysm * (dy - (dy * ysm).sum(1, keepdims=True))
(got,) = call("softmax_backward_classes", [(16, 64)], dy.astype(f32)[:, classes],
              ysm.astype(f32)[:, classes])
check("softmax_backward classes: dx", got, want[:, classes])
masked = np.isneginf(ylog)
total = np.where(masked, 0, dy).sum(1, keepdims=True)
want = np.where(masked, 0, dy - np.exp(ylog) * total)
(got,) = call("log_softmax_backward_classes", [(16, 64)], dy.astype(f32)[:, classes],
              ylog.astype(f32)[:, classes])
check("log_softmax_backward classes: dx", got, want[:, classes])

# masked_max's gradient with the last dimension split: ties across the two
# halves go to the first (row 1: classes 10 and 100), a row's maximum in
# the second half only (row 2), a fully masked row (row 3).
x = rng.integers(-4, 4, (16, 128)).astype(f32)
x[1, 10] = x[1, 100] = 9
x[2, 90] = 9
mask = np.where(rng.random((16, 128)) < 0.1, -np.inf, 0).astype(f32)
mask[1, 10] = mask[1, 100] = mask[2, 90] = 0
mask[3] = -np.inf
s64 = x.astype(np.float64) + mask
out = s64.max(1)
gm = rng.standard_normal(16).astype(f32)
want = np.zeros((16, 128))
for i in range(16):
    if np.isfinite(out[i]):
        want[i, np.argmax(s64[i] == out[i])] = gm[i]
(got,) = call("masked_max_backward_classes", [(16, 64)], gm, x[:, classes],
              mask[:, classes], out.astype(f32))
check("masked_max_backward classes: dx", got, want[:, classes])

mpi.MPI_Finalize()
sys.exit(1 if failures else 0)
