"""Reference only (never run by tests): training throughput of Distillery's `cnn:<filters>:<dense>`
student in PyTorch, for bench/cnn.ts. The same model as src/models/cnn.ts builds: per filter count a
3×3 'same' convolution with ReLU and a 2×2 max pool, flatten, dense ReLU layers, a 10-class linear
head; Adam 1e-3 on softmax cross-entropy, random inputs (throughput depends on shapes only).
PyTorch runs in its own layout (NCHW, or channels_last with --channels-last) with its default
kernels (oneDNN when present). Debian's torch calls OpenBLAS for matrix products, whose own threads
torch.set_num_threads does not limit: run it with OPENBLAS_NUM_THREADS=<threads> (bench/cnn.ts does).

Prints one JSON line: {"samplesPerSecond": median over reps, "repSamplesPerSecond": [...],
"stepMs": median, "threads", "batch", "torch"}.

Usage: /usr/bin/python3 scripts/reference/cnn_train_bench.py --size 32 --channels 3
       --filters 32-64 --dense 128 --batch 128 --threads 1 [--reps 5] [--rep-seconds 1.5]
       [--channels-last]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cnn(size, channels, filters, dense, classes=10):
    layers, width, side = [], channels, size
    for f in filters:
        layers += [nn.Conv2d(width, f, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        width, side = f, side // 2
    layers.append(nn.Flatten())
    inputs = width * side * side
    for units in dense:
        layers += [nn.Linear(inputs, units), nn.ReLU()]
        inputs = units
    layers.append(nn.Linear(inputs, classes))
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--size', type=int, default=32)
    p.add_argument('--channels', type=int, default=3)
    p.add_argument('--filters', default='32-64')
    p.add_argument('--dense', default='128')
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--reps', type=int, default=5)
    p.add_argument('--rep-seconds', type=float, default=1.5)
    p.add_argument('--channels-last', action='store_true')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    ints = lambda s: [int(v) for v in s.split('-') if v]
    model = cnn(a.size, a.channels, ints(a.filters), ints(a.dense))
    x = torch.randn(a.batch, a.channels, a.size, a.size)  # [batch, channels, size, size]
    y = torch.randint(0, 10, (a.batch,))  # [batch]
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    # Warm-up as bench/run-one.ts: two steps, the second one sizes the reps.
    step()
    t0 = time.perf_counter()
    step()
    warm = time.perf_counter() - t0
    steps = max(1, min(30, round(a.rep_seconds / warm)))
    rates, ms = [], []
    for _ in range(a.reps):
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
        'channelsLast': a.channels_last,
        'batch': a.batch,
        'torch': torch.__version__,
    }))


if __name__ == '__main__':
    main()
