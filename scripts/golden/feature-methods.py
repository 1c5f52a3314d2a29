# Golden values for the feature distillation methods in src/distill/methods/ (at, rkd), computed
# with PyTorch in float64 from the authors' code, written out independently of the TypeScript.
# Inputs are rounded to float32 first, so the fixture holds the exact inputs tfjs sees. Conv
# features are stored channels-last (NHWC, as tfjs); the formulas run on the NCHW permutation, as
# the PyTorch code does. Writes test/fixtures/feature-methods-golden.json.
#
# Re-run from the repository root (needs PyTorch; use the system interpreter, which has Debian's
# python3-torch 1.13 — the one that made the checked-in fixture):
#   /usr/bin/python3 scripts/golden/feature-methods.py
# then `node scripts/test.mjs methods/at methods/rkd`. Deterministic for a given PyTorch version.
#
# Each entry gives the method's full parameters (the first entry of a method is its defaults, with
# their sources), every named term, and the gradients of the sum of the terms with respect to the
# student features (one per tapped layer, NHWC) and to the student logits.
import json
import math
import os

import torch
import torch.nn.functional as F

SEED = 20170424  # ICLR 2017 (attention transfer), the earlier of the two papers
OUT = os.path.join(
    os.path.dirname(__file__), "..", "..", "test", "fixtures", "feature-methods-golden.json"
)


def float32_exact(x):
    """Round to float32 and back, so JSON -> Float32Array reproduces the inputs bit for bit."""
    return x.float().double()


def randn(gen, *shape, scale=1.0):
    return float32_exact(torch.randn(*shape, generator=gen) * scale)


def kd_soft(t, s, temperature):
    """Hinton KD as the attention-transfer repo's utils.distillation: KL(sum)/batch * T^2."""
    log_q = F.log_softmax(s / temperature, dim=1)
    p = F.softmax(t / temperature, dim=1)
    return F.kl_div(log_q, p, reduction="sum") * temperature**2 / s.shape[0]


# --- at: Zagoruyko & Komodakis, ICLR 2017 ---------------------------------------------------------
# szagoruyko/attention-transfer utils.py (893df54), the same in mdistiller's AT.py and
# RepDistiller's AT.py:
#   at(x) = F.normalize(x.pow(p).mean(1).view(x.size(0), -1))
#   at_loss(x, y) = (at(x) - at(y)).pow(2).mean()        # mean over batch AND the h*w positions
#   loss = CE-or-KD + beta * sum(at_loss per group)       # cifar.py; README: --beta 1e+3
# No 1/2: the paper's beta/2 and its "beta = 10^3 / (elements of the map * batch size)" are what
# this mean with beta = 1000 amounts to, up to that factor 2. x.pow(p) is |x|^p written for even p
# (and post-ReLU maps); |x|^p is the paper's F^p_sum and is what is used here for any p.


def attention_map(x_nhwc, p):
    x = x_nhwc.permute(0, 3, 1, 2)  # [n, c, h, w], as the PyTorch code
    return F.normalize(x.abs().pow(p).mean(1).view(x.size(0), -1))  # [n, h*w]


def at(case, s_feats, s_logits, prm):
    attention = sum(
        (attention_map(fs, prm["p"]) - attention_map(ft, prm["p"])).pow(2).mean()
        for fs, ft in zip(s_feats, case["teacherFeatures"])
    )
    terms = {
        "attention": prm["beta"] * attention,
        "hard": prm["hardWeight"] * F.cross_entropy(s_logits, case["labels"]),
    }
    if prm["softWeight"] > 0:
        soft = kd_soft(case["teacherLogits"], s_logits, prm["temperature"])
        terms["soft"] = prm["softWeight"] * soft
    return terms


def at_params(p, beta, hard, soft, temperature, student=("conv1", "conv2"), teacher=None):
    teacher = teacher or student
    return dict(
        studentLayers=list(student),
        teacherLayers=list(teacher),
        p=p,
        beta=beta,
        hardWeight=hard,
        softWeight=soft,
        temperature=temperature,
    )


def at_case(gen, name, batch, pairs, scale=1.0, relu=False, identical=False, dead_example=False):
    """pairs: [(h, w, student channels, teacher channels)] per tapped layer pair."""
    s_feats, t_feats = [], []
    for h, w, cs, ct in pairs:
        t = randn(gen, batch, h, w, ct, scale=scale)
        s = t.clone() if identical else randn(gen, batch, h, w, cs, scale=scale)
        if relu:
            s, t = s.clamp(min=0), t.clamp(min=0)
        if dead_example:
            s[0] = 0  # a dead map: the normalisation meets a zero vector (eps)
        s_feats.append(s)
        t_feats.append(t)
    return {
        "name": name,
        "studentFeatures": s_feats,
        "teacherFeatures": t_feats,
        "studentLogits": randn(gen, batch, 10, scale=2),
        "teacherLogits": randn(gen, batch, 10, scale=2),
        "labels": torch.randint(0, 10, (batch,), generator=gen),
    }


# --- rkd: Park, Kim, Lu & Cho, CVPR 2019 ----------------------------------------------------------
# lenscloth/RKD metric/loss.py + metric/utils.py (0a6c3c0), the same in mdistiller's RKD.py:
#   pdist: sqrt(clamp(|a|^2 + |b|^2 - 2 a.b, min=1e-12)), diagonal set to 0
#   distance: d / mean(d[d > 0]) for both, smooth_l1(d_s, d_t), mean over all n^2 entries
#   angle: e[j] - e[i] normalised (F.normalize, eps 1e-12), cosines of all n^3 triplets,
#          smooth_l1 (beta 1), mean over all n^3 entries
# Embeddings of rank > 2 are flattened per example (view(n, -1), as mdistiller). One departure:
# with a batch of 1 there are no pairs and the official mean over d[d > 0] is NaN; here (and in
# the TypeScript) the distance term is 0.


def pdist(e, eps=1e-12):
    e_square = e.pow(2).sum(dim=1)
    prod = e @ e.t()
    res = (e_square.unsqueeze(1) + e_square.unsqueeze(0) - 2 * prod).clamp(min=eps).sqrt()
    res = res.clone()
    res[range(len(e)), range(len(e))] = 0
    return res


def rkd_distance(s, t):
    if s.shape[0] < 2:
        return (s * 0).sum()  # no pairs (see above)
    with torch.no_grad():
        t_d = pdist(t)
        t_d = t_d / t_d[t_d > 0].mean()
    d = pdist(s)
    d = d / d[d > 0].mean()
    return F.smooth_l1_loss(d, t_d)


def angles(e):
    diff = e.unsqueeze(0) - e.unsqueeze(1)  # [n, n, d]: e[j] - e[i] at [i, j]
    unit = F.normalize(diff, p=2, dim=2)
    return torch.bmm(unit, unit.transpose(1, 2)).view(-1)  # [n^3]


def rkd_angle(s, t):
    with torch.no_grad():
        t_angle = angles(t)
    return F.smooth_l1_loss(angles(s), t_angle)


def rkd_distance_by_differences(s, t):
    """The distance term from explicit differences (the TypeScript's form), as a cross-check."""
    def normalised(e):
        n = e.shape[0]
        d = (e.unsqueeze(0) - e.unsqueeze(1)).pow(2).sum(2).clamp(min=1e-12).sqrt()
        d = d * (1 - torch.eye(n))
        return d / (d.sum() / (n * (n - 1)))
    return F.smooth_l1_loss(normalised(s), normalised(t))


def rkd(case, s_feats, s_logits, prm):
    s = s_feats[0].reshape(s_feats[0].shape[0], -1)
    t = case["teacherFeatures"][0].reshape(s.shape[0], -1)
    distance = rkd_distance(s, t)
    if s.shape[0] >= 2:
        check = rkd_distance_by_differences(s, t).item()
        assert abs(check - distance.item()) <= 1e-9 * max(1.0, abs(check)), (check, distance)
    return {
        "distance": prm["distanceWeight"] * distance,
        "angle": prm["angleWeight"] * rkd_angle(s, t),
        "hard": prm["hardWeight"] * F.cross_entropy(s_logits, case["labels"]),
    }


def rkd_params(distance, angle, hard, student="-2", teacher="-2"):
    return dict(
        studentLayer=student,
        teacherLayer=teacher,
        distanceWeight=distance,
        angleWeight=angle,
        hardWeight=hard,
    )


def rkd_case(gen, name, batch, s_shape, t_shape, scale=1.0, identical=False, duplicates=False):
    t = randn(gen, batch, *t_shape, scale=scale)
    s = t.clone() if identical else randn(gen, batch, *s_shape, scale=scale)
    if duplicates:  # two equal rows in each: a clamped (eps) distance and a zero difference
        s[1] = s[0]
        t[3] = t[2]
    return {
        "name": name,
        "studentFeatures": [s],
        "teacherFeatures": [t],
        "studentLogits": randn(gen, batch, 10, scale=2),
        "teacherLogits": randn(gen, batch, 10, scale=2),
        "labels": torch.randint(0, 10, (batch,), generator=gen),
    }


# --- the fixture ----------------------------------------------------------------------------------


def evaluate(fn, case, params):
    s_feats = [f.clone().requires_grad_(True) for f in case["studentFeatures"]]
    s_logits = case["studentLogits"].clone().requires_grad_(True)
    terms = fn(case, s_feats, s_logits, params)
    grads = torch.autograd.grad(sum(terms.values()), [*s_feats, s_logits], allow_unused=True)
    grads = [torch.zeros_like(x) if g is None else g for g, x in zip(grads, [*s_feats, s_logits])]
    values = {k: v.item() for k, v in terms.items()}
    assert all(math.isfinite(v) for v in values.values()), values
    assert all(torch.isfinite(g).all() for g in grads), "non-finite gradient"
    return {
        "terms": values,
        "gradStudentFeatures": [g.tolist() for g in grads[:-1]],
        "gradStudentLogits": grads[-1].tolist(),
    }


def case_json(c):
    return {
        "name": c["name"],
        "studentFeatures": [f.tolist() for f in c["studentFeatures"]],
        "teacherFeatures": [f.tolist() for f in c["teacherFeatures"]],
        "studentLogits": c["studentLogits"].tolist(),
        "teacherLogits": c["teacherLogits"].tolist(),
        "labels": c["labels"].tolist(),
    }


def main():
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(SEED)
    two_pairs = [(4, 4, 3, 5), (2, 2, 4, 2)]  # spatial sizes match per pair, channels differ
    at_cases = [
        at_case(gen, "batch 3, 4x4 and 2x2 maps", 3, two_pairs),
        at_case(gen, "relu activations", 4, two_pairs, scale=3.0, relu=True),
        at_case(
            gen, "identical student and teacher", 3, [(4, 4, 3, 3), (2, 2, 2, 2)], identical=True
        ),
        at_case(gen, "batch 1", 1, two_pairs),
        at_case(gen, "a dead student map (all zero)", 3, two_pairs, relu=True, dead_example=True),
        at_case(gen, "large activations (1e3 scale)", 3, two_pairs, scale=1e3),
    ]
    rkd_cases = [
        rkd_case(gen, "batch 6, 8 vs 12 dims", 6, (8,), (12,)),
        rkd_case(gen, "batch 2", 2, (5,), (7,)),
        rkd_case(gen, "identical embeddings", 5, (6,), (6,), identical=True),
        rkd_case(gen, "conv embeddings [2, 2, 3] vs dense [4]", 5, (2, 2, 3), (4,)),
        rkd_case(gen, "equal rows (clamped distance)", 6, (8,), (12,), duplicates=True),
        rkd_case(gen, "batch 1", 1, (8,), (12,)),
        rkd_case(gen, "large embeddings (1e3 scale)", 6, (8,), (12,), scale=1e3),
    ]
    variants = {
        "at": (
            at,
            at_cases,
            [
                # szagoruyko/attention-transfer README --beta 1e+3, cifar.py --alpha 0 and
                # --temperature 4, utils.at p = 2; mdistiller cfg.py: AT.P 2, CE_WEIGHT 1,
                # FEAT_WEIGHT 1000.
                ("defaults", at_params(2, 1000, 1, 0, 4)),
                ("p=4 with KD (README KD run: alpha 0.9)", at_params(4, 1000, 0.1, 0.9, 4)),
                ("p=3 (odd: |x|^p), beta 1", at_params(3, 1, 0, 0, 4, ("a", "b"), ("c", "d"))),
            ],
        ),
        "rkd": (
            rkd,
            rkd_cases,
            [
                # mdistiller cfg.py: RKD.DISTANCE_WEIGHT 25, ANGLE_WEIGHT 50, CE_WEIGHT 1
                # (RepDistiller RKDLoss(w_d=25, w_a=50) the same); tapped at the pooled feature.
                ("defaults", rkd_params(25, 50, 1)),
                # lenscloth/RKD examples (metric learning): --dist_ratio 1 --angle_ratio 2, no CE.
                ("metric-learning weights", rkd_params(1, 2, 0, "fc1", "fc2")),
            ],
        ),
    }
    methods = {}
    for name, (fn, cases, params_list) in variants.items():
        methods[name] = {
            "cases": [case_json(c) for c in cases],
            "entries": [
                {"case": c["name"], "label": label, "params": params, **evaluate(fn, c, params)}
                for label, params in params_list
                for c in cases
            ],
        }
    fixture = {
        "generator": "scripts/golden/feature-methods.py",
        "torch": torch.__version__,
        "seed": SEED,
        "dtype": "float64 (inputs rounded to float32)",
        "layout": "conv features NHWC (channels last, as tfjs)",
        "gradients": "d(sum of the terms) / d(student features, per layer) and / d(student logits)",
        "methods": methods,
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    count = sum(len(m["entries"]) for m in methods.values())
    print(f"wrote {os.path.normpath(OUT)}: {count} entries")


if __name__ == "__main__":
    main()
