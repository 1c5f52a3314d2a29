"""Reference only (never run by tests): training throughput of Distillery's text students in PyTorch,
for bench/text-speed.ts. The same models as src/models/text.ts builds, on the same token ids (a file
bench/text-speed.ts writes: int32 ids [count, length], then int32 labels [count]):
  embbag:<dim>               embedding → mean over all positions (padding included) → linear
  textcnn:<dim>:<f>:<w>-<w>  embedding → per width a 'valid' conv1d with ReLU → max over time →
                             concat → linear
  bigru:<dim>:<units>        embedding → bidirectional GRU, last states concatenated → linear
Two classes; Adam 1e-3 (dense: the whole embedding is updated every step, as in Distillery) on
softmax cross-entropy; each step takes a shuffled batch and reads the loss (loss.item()), as
Distillery's loop does. --variant bag builds embbag with nn.EmbeddingBag(mode='mean'), PyTorch's
fused bag (same function, fewer ops). PyTorch's GRU applies the reset gate after the recurrent
matmul (reset_after); tfjs' GRU before it: same shapes and FLOPs, slightly different cell.
Debian's torch multiplies with OpenBLAS, whose threads torch.set_num_threads does not limit: run
it with OPENBLAS_NUM_THREADS=<threads> (bench/text-speed.ts does).

Prints one JSON line: {"samplesPerSecond": median over reps, "repSamplesPerSecond": [...],
"stepMs": median, "threads", "batch", "torch"}.

Usage: /usr/bin/python3 scripts/reference/text_speed.py --arch embbag:3 --data tokens.bin
       --count 4189 --length 128 --vocab 10502 --threads 1 [--batch 128] [--variant bag]
       [--reps 5] [--rep-seconds 1.5] [--warmup-seconds 3]
"""
import argparse
import json
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class EmbeddingBagModel(nn.Module):
    def __init__(self, vocab, dim, classes, fused):
        super().__init__()
        self.fused = fused
        self.embedding = nn.EmbeddingBag(vocab, dim, mode='mean') if fused else nn.Embedding(vocab, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, ids):  # ids [batch, length]
        pooled = self.embedding(ids) if self.fused else self.embedding(ids).mean(1)  # [batch, dim]
        return self.head(pooled)  # [batch, classes]


class TextCnn(nn.Module):
    def __init__(self, vocab, dim, filters, widths, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.convs = nn.ModuleList([nn.Conv1d(dim, filters, w) for w in widths])
        self.head = nn.Linear(filters * len(widths), classes)

    def forward(self, ids):  # ids [batch, length]
        e = self.embedding(ids).transpose(1, 2)  # [batch, dim, length]
        pooled = [F.relu(conv(e)).amax(2) for conv in self.convs]  # each [batch, filters]
        return self.head(torch.cat(pooled, 1))  # [batch, classes]


class BiGru(nn.Module):
    def __init__(self, vocab, dim, units, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, units, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * units, classes)

    def forward(self, ids):  # ids [batch, length]
        _, h = self.gru(self.embedding(ids))  # h [2, batch, units]
        return self.head(torch.cat([h[0], h[1]], 1))  # [batch, classes]


def build(arch, vocab, classes, variant):
    kind, *parts = arch.split(':')
    ints = lambda s: [int(v) for v in s.split('-') if v]
    if kind == 'embbag':
        return EmbeddingBagModel(vocab, int(parts[0]), classes, variant == 'bag')
    if kind == 'textcnn':
        widths = ints(parts[2]) if len(parts) > 2 else [3, 4, 5]
        return TextCnn(vocab, int(parts[0]), int(parts[1]), widths, classes)
    if kind == 'bigru':
        return BiGru(vocab, int(parts[0]), int(parts[1]), classes)
    raise SystemExit(f'unknown arch {arch}')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--arch', required=True)
    p.add_argument('--data', required=True)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--length', type=int, required=True)
    p.add_argument('--vocab', type=int, required=True)
    p.add_argument('--classes', type=int, default=2)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--variant', default='embedding')
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--rep-seconds', type=float, default=1.5)
    p.add_argument('--warmup-seconds', type=float, default=3.0)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    raw = np.fromfile(a.data, dtype=np.int32)
    ids = torch.from_numpy(raw[: a.count * a.length].astype(np.int64)).view(a.count, a.length)
    labels = torch.from_numpy(raw[a.count * a.length:].astype(np.int64))  # [count]
    model = build(a.arch, a.vocab, a.classes, a.variant)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(1)
    order, cursor = torch.randperm(a.count, generator=generator), 0

    def step():
        nonlocal order, cursor
        if cursor + a.batch > a.count:
            order, cursor = torch.randperm(a.count, generator=generator), 0
        rows = order[cursor:cursor + a.batch]
        cursor += a.batch
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids[rows]), labels[rows])  # ids[rows]: [batch, length]
        loss.backward()
        optimizer.step()
        loss.item()

    # Warm-up as bench/text-speed.ts: two steps, then --warmup-seconds of steps; the last sizes
    # the reps.
    step()
    t0 = time.perf_counter()
    step()
    warm = time.perf_counter() - t0
    if warm < a.warmup_seconds / 2:
        n = min(2000, round(a.warmup_seconds / warm))
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        warm = (time.perf_counter() - t0) / n
    steps = max(1, min(60, round(a.rep_seconds / warm)))
    reps = a.reps if warm < 3 else 3
    rates, ms = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        seconds = (time.perf_counter() - t0) / steps
        ms.append(seconds * 1000)
        rates.append(a.batch / seconds)
    print(json.dumps({
        'samplesPerSecond': statistics.median(rates),
        'repSamplesPerSecond': rates,
        'stepMs': statistics.median(ms),
        'threads': a.threads,
        'variant': a.variant,
        'batch': a.batch,
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
