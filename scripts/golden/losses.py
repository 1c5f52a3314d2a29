# Golden values for src/losses/index.ts, computed with PyTorch in float64 on seeded inputs.
# Inputs are rounded to float32 before the float64 computation, so the fixture holds the exact
# inputs tfjs (float32) sees and the exact answer for them. Writes test/fixtures/losses-golden.json.
#
# Re-run from the repository root (needs PyTorch; Debian's python3-torch 1.13 is what made the
# checked-in fixture, so use the system interpreter if a pyenv/venv python lacks torch):
#   /usr/bin/python3 scripts/golden/losses.py
# then `node scripts/test.mjs losses`. The output is deterministic for a given PyTorch version.
import json
import os
import warnings

import torch
import torch.nn.functional as F

SEED = 20150309  # Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network" (arXiv)
TEMPERATURES = [1, 2, 4, 8, 20]
REDUCTIONS = ["batchmean", "mean", "sum"]
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "losses-golden.json")


def float32_exact(x):
    """Round to float32 and back, so JSON -> Float32Array reproduces the inputs bit for bit."""
    return x.float().double()


def make_inputs(gen, batch, classes, scale=1.0, identical=False):
    teacher = float32_exact(torch.randn(batch, classes, generator=gen, dtype=torch.float64) * scale)
    if identical:
        student = teacher.clone()
    else:
        student = float32_exact(
            torch.randn(batch, classes, generator=gen, dtype=torch.float64) * scale
        )
    labels = torch.randint(0, classes, (batch,), generator=gen)
    return teacher, student, labels


def rows(x):
    return x.tolist()


def at_temperature(teacher, student, temperature):
    log_p = F.log_softmax(teacher / temperature, dim=-1)  # [batch, classes]
    log_q = F.log_softmax(student / temperature, dim=-1)  # [batch, classes]
    p = log_p.exp()
    kl = {
        r: F.kl_div(log_q, log_p, log_target=True, reduction=r).item() for r in REDUCTIONS
    }
    per_element_soft_ce = -(p * log_q)  # [batch, classes]
    batch, classes = per_element_soft_ce.shape
    soft_ce = {
        "batchmean": (per_element_soft_ce.sum() / batch).item(),
        "mean": per_element_soft_ce.mean().item(),
        "sum": per_element_soft_ce.sum().item(),
    }
    # Cross-check the hand-written soft CE against PyTorch's own soft-label cross_entropy.
    torch_soft_ce = F.cross_entropy(student / temperature, p, reduction="mean").item()
    assert abs(torch_soft_ce - soft_ce["batchmean"]) <= 1e-12 * max(1.0, abs(torch_soft_ce))

    s = student.clone().requires_grad_(True)
    loss = F.kl_div(
        F.log_softmax(s / temperature, dim=-1), log_p, log_target=True, reduction="batchmean"
    )
    (grad,) = torch.autograd.grad(loss, s)
    return {
        "temperature": temperature,
        "softTargets": rows(p),
        "logSoftTargets": rows(log_p),
        "klDiv": kl,
        "softCrossEntropy": soft_ce,
        "klDivGradStudent": rows(grad),
    }


def make_case(name, teacher, student, labels, temperatures):
    s = student.clone().requires_grad_(True)
    ce = F.cross_entropy(s, labels, reduction="mean")
    (ce_grad,) = torch.autograd.grad(ce, s)
    return {
        "name": name,
        "teacherLogits": rows(teacher),
        "studentLogits": rows(student),
        "labels": labels.tolist(),
        "crossEntropy": ce.item(),
        "crossEntropyGradStudent": rows(ce_grad),
        "results": [at_temperature(teacher, student, t) for t in temperatures],
    }


def main():
    # reduction='mean' is asked for on purpose: it is the pitfall the fixture pins down.
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(SEED)
    specs = [
        ("batch 4 x 10 classes", dict(batch=4, classes=10), TEMPERATURES),
        ("large logits (1e3 scale)", dict(batch=4, classes=10, scale=1e3), TEMPERATURES),
        ("identical teacher and student", dict(batch=4, classes=10, identical=True), TEMPERATURES),
        ("batch 1", dict(batch=1, classes=10), TEMPERATURES),
        ("2 classes", dict(batch=6, classes=2), TEMPERATURES),
        ("batch 8 x 100 classes, wide logits", dict(batch=8, classes=100, scale=5.0), [1, 4]),
    ]
    cases = [make_case(name, *make_inputs(gen, **kw), temps) for name, kw, temps in specs]
    fixture = {
        "generator": "scripts/golden/losses.py",
        "torch": torch.__version__,
        "seed": SEED,
        "dtype": "float64 (inputs rounded to float32)",
        "klDiv": "F.kl_div(log_softmax(s/T), log_softmax(t/T), log_target=True, reduction=r)",
        "softCrossEntropy": "sum(-softmax(t/T) * log_softmax(s/T)) reduced like klDiv",
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
