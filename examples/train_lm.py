#!/usr/bin/env python3
"""A small GPT-style character language model, trained twice from the same
seed: once with PyTorch's own attention and loss, once with attn's
(`attn.torch.patch` swaps attn's MultiheadAttention into the model, and the
head and loss are `attn.torch.linear_cross_entropy`, which never holds the
logits). Prints both losses at every logged
step and their largest difference, the tokens/s of each, and writes a PNG
of the two loss curves. The text is /usr/share/common-licenses/GPL-3,
which every Debian system has.

Usage (from the repository root, with the built package on the path):
    PYTHONPATH=build/python_packages /usr/bin/python3 examples/train_lm.py \\
        [--steps 300] [--layers 4] [--d-model 128] [--heads 4] [--context 256] \\
        [--batch 8] [--log-every 10] [--out build/train_lm.png]
"""

import argparse
import copy
import time

import numpy as np
import torch
import torch.nn.functional as F

import attn.ops
import attn.torch as at

TEXT = "/usr/share/common-licenses/GPL-3"


class CharLM(torch.nn.Module):
    """Embeddings, pre-norm causal Transformer layers, a linear head."""

    def __init__(self, vocab, layers, d_model, heads, context):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, d_model)
        self.position = torch.nn.Embedding(context, d_model)
        layer = torch.nn.TransformerEncoderLayer(
            d_model, heads, dim_feedforward=4 * d_model, dropout=0.0,
            batch_first=True, norm_first=True)
        self.layers = torch.nn.TransformerEncoder(layer, layers)
        self.norm = torch.nn.LayerNorm(d_model)
        self.head = torch.nn.Linear(d_model, vocab)
        self.register_buffer("causal", torch.ones(context, context, dtype=torch.bool).triu(1))

    def features(self, tokens):
        """The normalized hidden states the head reads."""
        t = tokens.shape[1]
        x = self.embed(tokens) + self.position(torch.arange(t))
        x = self.layers(x, mask=self.causal[:t, :t])
        return self.norm(x)

    def forward(self, tokens):
        return self.head(self.features(tokens))


def torch_loss(model, tokens, targets):
    """PyTorch's: the logits, then F.cross_entropy."""
    logits = model(tokens)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def attn_loss(model, tokens, targets):
    """attn's: the head and the loss as one op, without the logits."""
    return at.linear_cross_entropy(model.features(tokens), model.head.weight, targets,
                                   model.head.bias)


def train(model, loss_fn, data, args, seed):
    """Trains `model` for `args.steps` steps; returns the logged losses and
    the tokens/s of the steps after the first (which compiles attn's
    kernels, once per shape family)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(seed)
    losses, start = [], time.perf_counter()
    for step in range(args.steps):
        if step == 1:
            start = time.perf_counter()
        starts = rng.integers(0, len(data) - args.context - 1, args.batch)
        batch = np.stack([data[s:s + args.context + 1] for s in starts])
        tokens = torch.from_numpy(batch[:, :-1])
        targets = torch.from_numpy(batch[:, 1:])
        loss = loss_fn(model, tokens, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % args.log_every == 0 or step == args.steps - 1:
            losses.append((step, float(loss)))
    elapsed = time.perf_counter() - start
    return losses, max(args.steps - 1, 1) * args.batch * args.context / elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--context", type=int, default=256)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--out", default="build/train_lm.png")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    attn.ops.set_threads(1)

    text = open(TEXT, "rb").read()
    vocab = sorted(set(text))
    index = np.zeros(256, np.int64)
    index[vocab] = np.arange(len(vocab))
    data = index[np.frombuffer(text, np.uint8)]

    torch.manual_seed(0)
    reference = CharLM(len(vocab), args.layers, args.d_model, args.heads, args.context)
    ours = at.patch(copy.deepcopy(reference))
    torch_losses, torch_rate = train(reference, torch_loss, data, args, seed=1)
    attn_losses, attn_rate = train(ours, attn_loss, data, args, seed=1)

    worst = 0.0
    print("step  PyTorch loss  attn loss")
    for (step, a), (_, b) in zip(torch_losses, attn_losses):
        worst = max(worst, abs(a - b))
        print(f"{step:4d}  {a:12.6f}  {b:9.6f}")
    print(f"largest difference of the logged losses: {worst:.2e}")
    print(f"tokens/s: PyTorch {torch_rate:.0f}, attn {attn_rate:.0f} "
          f"({attn_rate / torch_rate:.2f}x), 1 thread each")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot(*zip(*torch_losses), label="PyTorch attention and loss")
        ax.plot(*zip(*attn_losses), "--",
                label="attn (attention, fused linear cross-entropy)")
        ax.set_xlabel("step")
        ax.set_ylabel("training loss (nats per character)")
        ax.set_title(f"char LM, {args.layers} layers, d_model {args.d_model}, "
                     f"context {args.context}, same seed")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.out, dpi=110)
        print(f"loss curves: {args.out}")
    except ImportError:
        print("(matplotlib not installed: no plot)")
    return torch_losses, attn_losses


if __name__ == "__main__":
    main()
