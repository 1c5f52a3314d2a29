# Golden values for the distillation methods in src/distill/methods/, computed with PyTorch in
# float64 from each paper's formula (and, where one exists, the reference implementation's form,
# cross-checked here). Inputs are rounded to float32 first, so the fixture holds the exact inputs
# tfjs sees. Writes test/fixtures/methods-golden.json.
#
# Re-run from the repository root (needs PyTorch; use the system interpreter, which has Debian's
# python3-torch 1.13 — the one that made the checked-in fixture):
#   /usr/bin/python3 scripts/golden/methods.py
# then `node scripts/test.mjs methods`. The output is deterministic for a given PyTorch version.
#
# Each entry gives the method's full parameters (the first entry of a method is its defaults,
# written out here independently of the TypeScript, with their sources), every named term, and
# the gradient of the sum of the terms with respect to the student logits.
import json
import math
import os
import warnings

import torch
import torch.nn.functional as F

SEED = 20220619  # CVPR 2022 (DKD), the first of the methods here to appear
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "methods-golden.json")


def float32_exact(x):
    """Round to float32 and back, so JSON -> Float32Array reproduces the inputs bit for bit."""
    return x.float().double()


def make_case(gen, name, batch, classes, scale, identical=False):
    teacher = float32_exact(torch.randn(batch, classes, generator=gen) * scale)
    if identical:
        student = teacher.clone()
    else:
        student = float32_exact(torch.randn(batch, classes, generator=gen) * scale)
    labels = torch.randint(0, classes, (batch,), generator=gen)
    return {"name": name, "teacher": teacher, "student": student, "labels": labels}


def reduce(per_element, reduction):
    """per_element: [batch, classes]. 'batchmean' = sum / batch (the true KL); 'mean' = of all."""
    if reduction == "batchmean":
        return per_element.sum() / per_element.shape[0]
    if reduction == "mean":
        return per_element.mean()
    assert reduction == "sum"
    return per_element.sum()


# --- soft-ce: Hinton et al. 2015, the soft cross-entropy form ----------------------------------


def soft_ce(t, s, y, p):
    temperature = p["temperature"]
    soft_targets = F.softmax(t / temperature, dim=1)  # [batch, classes]
    per_element = -soft_targets * F.log_softmax(s / temperature, dim=1)  # [batch, classes]
    soft = reduce(per_element, p["reduction"])
    if p["reduction"] == "batchmean":  # PyTorch's own soft-label cross-entropy agrees
        check = F.cross_entropy(s / temperature, soft_targets)
        assert abs(check.item() - soft.item()) <= 1e-12 * max(1.0, abs(check.item()))
    scale = p["softWeight"] * (temperature**2 if p["scaleByTemperatureSquared"] else 1.0)
    return {"hard": p["hardWeight"] * F.cross_entropy(s, y), "softCrossEntropy": scale * soft}


# --- logits-mse: Ba & Caruana 2014, L = 1/(2N) sum ||g(x) - z||^2 -------------------------------


def logits_mse(t, s, y, p):
    reduction = p["reduction"]
    if reduction == "batchmean":
        mse = ((s - t) ** 2).sum(dim=1).mean()
    else:
        mse = F.mse_loss(s, t, reduction=reduction)
    return {"hard": p["hardWeight"] * F.cross_entropy(s, y), "logitsMse": p["softWeight"] * mse}


# --- dkd: Zhao et al. 2022 -----------------------------------------------------------------------


def dkd_parts(t, s, y, temperature):
    """TCKD and NCKD (batchmean, before T^2 and weights), in log space: finite for any logits."""
    batch, classes = s.shape
    gt = F.one_hot(y, classes).bool()  # [batch, classes]
    others = torch.stack([torch.arange(classes)[torch.arange(classes) != k] for k in y.tolist()])

    def binary_and_others(logits):
        scaled = logits / temperature  # [batch, classes]
        log_z = torch.logsumexp(scaled, dim=1)  # [batch]
        rest = scaled.gather(1, others)  # [batch, classes - 1]
        log_target = scaled[gt] - log_z  # [batch]
        log_rest = torch.logsumexp(rest, dim=1) - log_z  # [batch]
        return torch.stack([log_target, log_rest], dim=1), F.log_softmax(rest, dim=1)

    log_bt, log_rest_t = binary_and_others(t)
    log_bs, log_rest_s = binary_and_others(s)
    tckd = (log_bt.exp() * (log_bt - log_bs)).sum() / batch
    nckd = (log_rest_t.exp() * (log_rest_t - log_rest_s)).sum() / batch
    return tckd, nckd


def dkd_parts_as_mdistiller(t, s, y, temperature):
    """The reference implementation's form (probabilities, a -1000 mask), independently written."""
    batch, classes = s.shape
    gt = F.one_hot(y, classes).double()
    ps = F.softmax(s / temperature, dim=1)
    pt = F.softmax(t / temperature, dim=1)
    bs = torch.stack([(ps * gt).sum(1), (ps * (1 - gt)).sum(1)], dim=1)
    bt = torch.stack([(pt * gt).sum(1), (pt * (1 - gt)).sum(1)], dim=1)
    tckd = F.kl_div(torch.log(bs), bt, reduction="sum") / batch
    nckd = (
        F.kl_div(
            F.log_softmax(s / temperature - 1000.0 * gt, dim=1),
            F.softmax(t / temperature - 1000.0 * gt, dim=1),
            reduction="sum",
        )
        / batch
    )
    return tckd, nckd


def dkd(t, s, y, p):
    temperature = p["temperature"]
    tckd, nckd = dkd_parts(t, s, y, temperature)
    with torch.no_grad():
        ref_tckd, ref_nckd = dkd_parts_as_mdistiller(t, s, y, temperature)
    for mine, ref in [(tckd, ref_tckd), (nckd, ref_nckd)]:
        # The reference form breaks (log 0) on huge logits: compare wherever it is finite.
        if math.isfinite(ref.item()) and mine.item() > 1e-300:
            assert abs(mine.item() - ref.item()) <= 1e-9 * max(1e-3, abs(ref.item())), (mine, ref)
    scale = temperature**2
    return {
        "hard": p["hardWeight"] * F.cross_entropy(s, y),
        "targetClassKd": p["targetWeight"] * scale * tckd,
        "nonTargetClassKd": p["nonTargetWeight"] * scale * nckd,
    }


# --- logit-std: Sun et al. 2024 -------------------------------------------------------------------


def z_score(logits):
    # As the official code: torch.std (Bessel-corrected), 1e-7 added to the deviation.
    mean = logits.mean(dim=-1, keepdim=True)
    std = logits.std(dim=-1, keepdim=True)
    return (logits - mean) / (1e-7 + std)


def logit_std(t, s, y, p):
    temperature = p["temperature"]
    log_q = F.log_softmax(z_score(s) / temperature, dim=1)
    log_p = F.log_softmax(z_score(t) / temperature, dim=1)
    kl = F.kl_div(log_q, log_p, log_target=True, reduction="batchmean")
    return {
        "hard": p["hardWeight"] * F.cross_entropy(s, y),
        "standardizedKl": p["softWeight"] * temperature**2 * kl,
    }


# --- dist: Huang et al. 2022 ----------------------------------------------------------------------


def pearson_rows(a, b, eps=1e-8):
    """Pearson correlation of each row of a with the same row of b: [n, m] -> [n]."""
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    return (a * b).sum(dim=1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def dist(t, s, y, p):
    temperature = p["temperature"]
    ys = F.softmax(s / temperature, dim=1)  # [batch, classes]
    yt = F.softmax(t / temperature, dim=1)  # [batch, classes]
    inter = 1 - pearson_rows(ys, yt).mean()  # each sample: correlation over classes
    intra = 1 - pearson_rows(ys.T, yt.T).mean()  # each class: correlation over the batch
    return {
        "hard": p["hardWeight"] * F.cross_entropy(s, y),
        "interClassRelation": p["interWeight"] * temperature**2 * inter,
        "intraClassRelation": p["intraWeight"] * temperature**2 * intra,
    }


# --- kd presets: each library's own formula, as its code writes it ------------------------------


def kl_batchmean(t, s, temperature):
    log_q = F.log_softmax(s / temperature, dim=1)
    return F.kl_div(log_q, F.softmax(t / temperature, dim=1), reduction="batchmean")


def kd_as_library(t, s, y, p, library):
    T = p["temperature"]
    ce = F.cross_entropy(s, y)
    log_q = F.log_softmax(s / T, dim=1)
    if library == "hinton":  # paper: soft cross-entropy, times T^2
        soft = -(F.softmax(t / T, dim=1) * F.log_softmax(s / T, dim=1)).sum(1).mean() * T**2
    elif library == "mdistiller":  # KL(reduction='none').sum(1).mean() * T^2
        per_element = F.kl_div(log_q, F.softmax(t / T, dim=1), reduction="none")
        soft = per_element.sum(1).mean() * T**2
    elif library == "textbrewer":  # kd_ce_loss: -(p_T * log_softmax(s/T)).sum(-1).mean(), no T^2
        soft = -(F.softmax(t / T, dim=1) * F.log_softmax(s / T, dim=1)).sum(dim=-1).mean()
    elif library == "torchdistill":  # alpha * CE + (1 - alpha) * T^2 * KLDivLoss(batchmean)
        soft = T**2 * kl_batchmean(t, s, T)
    elif library == "torchdistill-soft-only":  # alpha unset: the bare KLDivLoss(batchmean)
        soft = kl_batchmean(t, s, T)
    elif library == "keras":  # KLDivergence (sum over classes, mean over batch) * T^2
        # Keras clips probabilities to [1e-7, 1] before the logs; not reproduced (see kd.ts).
        log_pt, log_ps = F.log_softmax(t / T, dim=1), F.log_softmax(s / T, dim=1)
        soft = (log_pt.exp() * (log_pt - log_ps)).sum(dim=-1).mean() * T**2
    elif library == "mean-reduction-pitfall":  # TAKD: nn.KLDivLoss() (mean over all elements) * T^2
        soft = F.kl_div(log_q, F.softmax(t / T, dim=1), reduction="mean") * T**2
    else:
        raise ValueError(library)
    return {"hard": p["hardWeight"] * ce, "soft": p["softWeight"] * soft}


KD_DEFAULTS = dict(
    temperature=4,
    hardWeight=0.5,
    softWeight=0.5,
    scaleByTemperatureSquared=True,
    reduction="batchmean",
    softLoss="kl",
)
# Full parameters each preset resolves to over kd's defaults (sources in src/distill/methods/kd.ts).
KD_PRESETS = {
    "hinton": dict(KD_DEFAULTS, softLoss="cross-entropy"),
    "mdistiller": dict(KD_DEFAULTS, hardWeight=0.1, softWeight=0.9),
    "textbrewer": dict(
        KD_DEFAULTS,
        hardWeight=0,
        softWeight=1,
        scaleByTemperatureSquared=False,
        softLoss="cross-entropy",
    ),
    "torchdistill": dict(KD_DEFAULTS),  # alpha 0.5 with T^2: kd's defaults exactly
    "torchdistill-soft-only": dict(
        KD_DEFAULTS, hardWeight=0, softWeight=1, scaleByTemperatureSquared=False
    ),
    "keras": dict(KD_DEFAULTS, temperature=10, hardWeight=0.1, softWeight=0.9),
    "mean-reduction-pitfall": dict(KD_DEFAULTS, reduction="mean"),
}

def soft_ce_params(temperature, hard, soft, t_squared, reduction):
    return dict(
        temperature=temperature,
        hardWeight=hard,
        softWeight=soft,
        scaleByTemperatureSquared=t_squared,
        reduction=reduction,
    )


def dkd_params(temperature, hard, target, non_target):
    # warmupEpochs 1: the golden steps are at epoch 1, where min(epoch / 1, 1) = 1 (full weight).
    return dict(
        temperature=temperature,
        hardWeight=hard,
        targetWeight=target,
        nonTargetWeight=non_target,
        warmupEpochs=1,
    )


# label, parameters. The first entry of each method is its defaults; "<name> preset" entries hold
# the full parameters that preset of the method resolves to.
METHODS = {
    "soft-ce": (
        soft_ce,
        [
            # Same defaults as kd: the two differ only by the teacher's entropy (a constant).
            ("defaults", soft_ce_params(4, 0.5, 0.5, True, "batchmean")),
            ("no T^2, mean", soft_ce_params(2, 0.1, 0.9, False, "mean")),
            ("sum, T=8", soft_ce_params(8, 1, 1, True, "sum")),
        ],
    ),
    "logits-mse": (
        logits_mse,
        [
            # Ba & Caruana 2014: logits only, 1/(2N) sum ||s - t||^2 = 0.5 x batchmean.
            ("defaults", dict(hardWeight=0, softWeight=0.5, reduction="batchmean")),
            ("mse-loss preset", dict(hardWeight=0, softWeight=1, reduction="mean")),  # F.mse_loss
            ("with labels, sum", dict(hardWeight=0.3, softWeight=0.2, reduction="sum")),
        ],
    ),
    "dkd": (
        dkd,
        [
            # mdistiller configs/cfg.py: CE_WEIGHT 1, ALPHA 1, BETA 8, T 4 (CIFAR-100).
            ("defaults", dkd_params(4, 1, 1, 8)),
            # mdistiller configs/imagenet/r34_r18/dkd.yaml: BETA 0.5, T 1.
            ("imagenet preset", dkd_params(1, 1, 1, 0.5)),
            ("T=2, other weights", dkd_params(2, 0.5, 0.5, 2)),
        ],
    ),
    "logit-std": (
        logit_std,
        [
            # Official code (tools/train.py, cfg.py): --base-temp 2, --kd-weight 9, CE_WEIGHT 0.1.
            ("defaults", dict(temperature=2, hardWeight=0.1, softWeight=9)),
            ("T=4, unit weights", dict(temperature=4, hardWeight=1, softWeight=1)),
        ],
    ),
    "dist": (
        dist,
        [
            # Official code: DIST(beta=1, gamma=1, tau=1) x kd_loss_weight 2, ori_loss_weight 1
            # (configs/strategies/distill/resnet_dist.yaml) = the paper's beta = gamma = 2, tau = 1.
            ("defaults", dict(temperature=1, hardWeight=1, interWeight=2, intraWeight=2)),
            # dist_cifar.yaml: kd 'dist_t4' = tau 4, same weights.
            ("cifar100 preset", dict(temperature=4, hardWeight=1, interWeight=2, intraWeight=2)),
            ("T=2, other weights", dict(temperature=2, hardWeight=0, interWeight=1, intraWeight=3)),
        ],
    ),
}


def evaluate(fn, case, params):
    s = case["student"].clone().requires_grad_(True)
    terms = fn(case["teacher"], s, case["labels"], params)
    (grad,) = torch.autograd.grad(sum(terms.values()), s, allow_unused=True)
    if grad is None:
        grad = torch.zeros_like(s)
    values = {k: v.item() for k, v in terms.items()}
    assert all(math.isfinite(v) for v in values.values()), values
    return {"terms": values, "gradStudent": grad.tolist()}


def main():
    # reduction='mean' is asked for on purpose (TAKD's pitfall): silence PyTorch's warning.
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(SEED)
    cases = [
        make_case(gen, "batch 4 x 10 classes", 4, 10, 2.0),
        make_case(gen, "batch 8 x 5 classes", 8, 5, 1.0),
        make_case(gen, "identical teacher and student", 4, 10, 2.0, identical=True),
        make_case(gen, "batch 1", 1, 10, 2.0),
        make_case(gen, "2 classes", 6, 2, 2.0),
        make_case(gen, "large logits (1e3 scale)", 4, 10, 1e3),
    ]
    methods = {}
    for name, (fn, variants) in METHODS.items():
        methods[name] = [
            {"case": c["name"], "label": label, "params": params, **evaluate(fn, c, params)}
            for label, params in variants
            for c in cases
        ]
        for entry in methods[name]:  # "<name> preset": the params that preset resolves to
            if entry["label"].endswith(" preset"):
                entry["preset"] = entry["label"][: -len(" preset")]
    methods["kd"] = [
        {"case": c["name"], "label": f"{preset} preset", "preset": preset, "params": params,
         **evaluate(lambda t, s, y, p: kd_as_library(t, s, y, p, preset), c, params)}
        for preset, params in KD_PRESETS.items()
        for c in cases
        if c["name"] in ("batch 4 x 10 classes", "batch 8 x 5 classes", "large logits (1e3 scale)")
    ]
    fixture = {
        "generator": "scripts/golden/methods.py",
        "torch": torch.__version__,
        "seed": SEED,
        "dtype": "float64 (inputs rounded to float32)",
        "gradStudent": "d(sum of the terms) / d(student logits)",
        "cases": [
            {
                "name": c["name"],
                "teacherLogits": c["teacher"].tolist(),
                "studentLogits": c["student"].tolist(),
                "labels": c["labels"].tolist(),
            }
            for c in cases
        ],
        "methods": methods,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    count = sum(len(v) for v in methods.values())
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases, {count} entries")


if __name__ == "__main__":
    main()
