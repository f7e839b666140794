"""float64 numpy references of the attn ops, written from the op semantics
documented in include/AttnDialect/Dialect/Attn/AttnOps.td; they share no
code with the package. Used by the tests and by scripts/difftest."""

import numpy as np



def _f64(a):
    return np.asarray(a, dtype=np.float64)


def causal_bias(m, n, diagonal=None):
    """0 where key j is visible to query i, -inf where j > i + d
    (d = n - m unless given)."""
    d = n - m if diagonal is None else diagonal
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    return np.where(j > i + d, -np.inf, 0.0)


def masked_scores(x, mask=None, causal=False, diagonal=None):
    z = _f64(x)
    if mask is not None:
        z = z + _f64(mask)
    if causal:
        z = z + causal_bias(z.shape[-2], z.shape[-1], diagonal)
    return z


def ref_masked_max(scores, mask):
    # An empty row is -inf, the identity of max.
    return (_f64(scores) + _f64(mask)).max(axis=-1, initial=-np.inf)


def ref_sum_sq(x):
    x = _f64(x)
    return (x * x).sum(axis=-1)


def ref_xent(p, q):
    p, q = _f64(p), _f64(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(q == 0, 0.0, -q * np.log(p))
    return terms.sum(axis=-1)


def ref_softmax(x, mask=None, causal=False, masked_rows="zero", diagonal=None):
    z = masked_scores(x, mask, causal, diagonal)
    m = z.max(axis=-1, keepdims=True, initial=-np.inf)
    dead = np.isneginf(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.exp(z - np.where(dead, 0.0, m))
        out = e / e.sum(axis=-1, keepdims=True)
    fill = 0.0 if masked_rows == "zero" else np.nan
    return np.where(dead, fill, out)


def ref_logsumexp(x, mask=None, causal=False, diagonal=None):
    z = masked_scores(x, mask, causal, diagonal)
    m = z.max(axis=-1, keepdims=True, initial=-np.inf)
    dead = np.isneginf(m)
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = np.where(dead, 0.0, m)
        lse = shifted + np.log(np.exp(z - shifted).sum(axis=-1, keepdims=True))
    return np.where(dead, -np.inf, lse)[..., 0]


def ref_log_softmax(x, mask=None, causal=False, diagonal=None):
    z = masked_scores(x, mask, causal, diagonal)
    lse = ref_logsumexp(x, mask, causal, diagonal)[..., None]
    with np.errstate(invalid="ignore"):
        out = z - lse
    return np.where(np.isneginf(lse), -np.inf, out)


def ref_xent_logits(logits, target, ignore_index=-100, reduction="mean"):
    x = _f64(logits)
    c = x.shape[-1]
    rows = x.reshape(-1, c)
    targets = np.asarray(target).reshape(-1)
    losses = np.empty(len(targets))
    for r, t in enumerate(targets):
        if t == ignore_index:
            losses[r] = 0.0
        elif 0 <= t < c:
            m = rows[r].max()
            losses[r] = m + np.log(np.exp(rows[r] - m).sum()) - rows[r, t]
        else:
            losses[r] = np.nan
    losses = losses.reshape(np.shape(target))
    if reduction == "none":
        return losses
    if reduction == "sum":
        return np.float64(losses.sum())
    kept = int((np.asarray(target) != ignore_index).sum())
    return np.float64(losses.sum() / kept) if kept else np.float64(np.nan)


def ref_attention(q, k, v, mask=None, causal=False, scale=None,
                  masked_rows="zero", diagonal=None):
    q, k, v = _f64(q), _f64(k), _f64(v)
    if scale is None:
        scale = 1.0 / np.sqrt(q.shape[-1])
    if q.ndim >= 3:
        group = q.shape[-3] // k.shape[-3]
        # query head h reads key/value head h // group
        k = np.repeat(k, group, axis=-3)
        v = np.repeat(v, group, axis=-3)
    scores = np.matmul(q, np.swapaxes(k, -1, -2)) * scale
    p = ref_softmax(scores, mask, causal, masked_rows, diagonal)
    out = np.matmul(p, v)
    # A row that sees no key (none at all when N == 0) is masked_rows'.
    dead = np.isneginf(masked_scores(scores, mask, causal, diagonal).max(
        axis=-1, keepdims=True, initial=-np.inf))
    return np.where(dead, 0.0 if masked_rows == "zero" else np.nan, out)
