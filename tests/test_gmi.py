"""Generative model inversion (GMI): the GAN, the latent search and its scoring."""

import numpy as np
import pandas as pd
import pytest
import torch

from midlib.defenses import vib_head
from torch import nn

from midlib.attacks.gmi import (
    GAN, Generator, evaluate_reconstructions, gmi_attack, train_gan, vib_identity_loss_bounds,
)
from midlib.attacks.gmi_losses import (ADAPTIVE_GRID, GMI_LOSS, IdentityLoss, identity_loss,
                                       poincare_loss)
from midlib.checks import ClaimViolation
from midlib.checks.gmi import attack_inverts_undefended, defence_verdicts
from midlib.data import downsample, mnist_split
from midlib.experiments.gmi import attack_grid, gmi_split, train_target
from midlib.nn import make_classifier

torch.set_num_threads(2)

SIZE = 4


def templates(k=3, seed=0):
    """k distinct binary 4x4 images: the planted class prototypes."""
    rng = np.random.default_rng(seed)
    while True:
        t = (rng.random((k, SIZE, SIZE)) < 0.5).astype(np.float32)
        d = ((t[:, None] - t[None]) ** 2).sum(axis=(2, 3))
        if d[~np.eye(k, dtype=bool)].min() >= 4:
            return t


class ZeroD(nn.Module):
    """A discriminator with no opinion: the prior term is constant."""

    def forward(self, x):
        return x.flatten(1).sum(1) * 0.0


def planted_gan(t):
    """A known generator: G(z) = sigmoid(sum_c z_c * 3 (2 t_c - 1)), z in [-1, 1]^k."""
    k = len(t)
    G = Generator(latent_dim=k, image_shape=(SIZE, SIZE), hidden=4)
    lin = nn.Linear(k, SIZE * SIZE, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy(3.0 * (2 * t - 1).reshape(k, -1).T))
    G.net = lin
    return GAN(G, ZeroD())


def matched_filter(t):
    """A classifier scoring an image by its correlation with each template."""
    k = len(t)
    lin = nn.Linear(SIZE * SIZE, k)
    with torch.no_grad():
        lin.weight.copy_(torch.from_numpy((2 * t - 1).reshape(k, -1)))
        lin.bias.zero_()
    return nn.Sequential(nn.Flatten(), lin)


def test_downsample():
    x = np.arange(2 * 4 * 4, dtype=np.float32).reshape(2, 4, 4)
    out = downsample(x, 2)
    assert out.shape == (2, 2, 2) and out[0, 0, 0] == pytest.approx((0 + 1 + 4 + 5) / 4)
    with pytest.raises(ValueError, match="divisible"):
        downsample(np.zeros((1, 5, 5)), 2)
    with pytest.raises(ValueError, match="shape"):
        downsample(np.zeros((5, 5)), 2)


@pytest.mark.parametrize("arch", ["conv", "mlp"])
def test_gan_trains_and_is_deterministic(arch):
    rng = np.random.default_rng(0)
    images = (rng.random((40, SIZE, SIZE)) < 0.3).astype(np.float32)
    a = train_gan(images, arch=arch, latent_dim=3, hidden=8, channels=8, steps=20, batch_size=8, seed=0)
    b = train_gan(images, arch=arch, latent_dim=3, hidden=8, channels=8, steps=20, batch_size=8, seed=0)
    s = a.sample(5, seed=1)
    assert s.shape == (5, SIZE, SIZE) and s.min() >= 0 and s.max() <= 1
    assert np.array_equal(s, b.sample(5, seed=1))
    assert list(a.history.columns) == ["step", "loss_d", "loss_g"]


@pytest.mark.parametrize("arch", ["conv", "mlp"])
def test_gan_learns_planted_templates(arch):
    """Trained on noisy copies of three templates, the GAN's samples move towards them."""
    t = templates()
    rng = np.random.default_rng(0)
    images = np.clip(t[rng.integers(0, 3, 300)] + 0.1 * rng.standard_normal((300, SIZE, SIZE)),
                     0, 1).astype(np.float32)

    def dist(gan):
        s = gan.sample(200, seed=1)
        return np.sqrt(((s[:, None] - t[None]) ** 2).sum(axis=(2, 3))).min(1).mean()

    kw = dict(arch=arch, latent_dim=4, hidden=32, channels=16, batch_size=32, seed=0)
    before, after = dist(train_gan(images, steps=1, **kw)), dist(train_gan(images, steps=800, **kw))
    assert after < 0.5 * before, (before, after)


def test_gan_bad_input():
    with pytest.raises(ValueError, match="arch"):
        train_gan(np.zeros((3, 4, 4)), arch="vae", steps=1)
    with pytest.raises(ValueError, match="even"):
        train_gan(np.zeros((3, 5, 5)), arch="conv", steps=1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        train_gan(np.full((3, 4, 4), 2.0), steps=1)
    with pytest.raises(ValueError, match="NaN"):
        train_gan(np.full((3, 4, 4), np.nan), steps=1)
    with pytest.raises(ValueError, match="steps"):
        train_gan(np.zeros((3, 4, 4)), steps=0)
    with pytest.raises(ValueError, match="shape"):
        train_gan(np.zeros((3, 16)), steps=1)


def test_latent_search_recovers_planted_classes():
    t = templates()
    gan, target = planted_gan(t), matched_filter(t)
    res = gmi_attack(gan, target, [0, 1, 2], restarts=3, steps=150, lambda_id=1.0, seed=0)
    assert res.images.shape == (9, SIZE, SIZE) and res.best.shape == (3, SIZE, SIZE)
    scores = evaluate_reconstructions(res, matched_filter(t), t, np.arange(3))
    assert scores["top1"].all(), scores
    # each reconstruction is nearer its own template than any other template
    d = ((res.images[:, None] - t[None]) ** 2).sum(axis=(2, 3))
    assert (d.argmin(1) == res.frame["target"].to_numpy()).all()
    own = np.sqrt(d[np.arange(len(d)), res.frame["target"].to_numpy()])
    np.testing.assert_allclose(scores["knn_dist"], own, rtol=1e-5)  # one private image a class


def test_latent_search_leaves_models_untouched():
    t = templates()
    gan, target = planted_gan(t), matched_filter(t)
    before = [p.clone() for p in target.parameters()] + [p.clone() for p in gan.generator.parameters()]
    gmi_attack(gan, target, [0], restarts=1, steps=5, seed=0)
    after = list(target.parameters()) + list(gan.generator.parameters())
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    assert all(p.requires_grad for p in target.parameters())


def test_attack_bad_input():
    t = templates()
    gan, target = planted_gan(t), matched_filter(t)
    with pytest.raises(ValueError, match="not outputs"):
        gmi_attack(gan, target, [5], steps=1)
    with pytest.raises(ValueError, match="empty"):
        gmi_attack(gan, target, [], steps=1)
    with pytest.raises(ValueError, match="steps"):
        gmi_attack(gan, target, [0], steps=0)
    with pytest.raises(ValueError, match="lambda_id"):
        gmi_attack(gan, target, [0], steps=1, lambda_id=-1)
    res = gmi_attack(gan, target, [0, 1], restarts=1, steps=2, seed=0)
    with pytest.raises(ValueError, match="resolution"):
        evaluate_reconstructions(res, target, np.zeros((3, 5, 5)), np.zeros(3))
    with pytest.raises(ValueError, match="one label"):
        evaluate_reconstructions(res, target, t, np.arange(2))
    with pytest.raises(ValueError, match="no private image"):
        evaluate_reconstructions(res, target, t, np.array([0, 0, 2]))
    model = make_classifier((3, 3), 2, hidden=(4,), seed=0)
    with pytest.raises(ValueError, match="input"):
        gmi_attack(gan, model, [0], steps=1)
    with pytest.raises(ValueError, match="defense"):
        train_target({}, "dropout", 1.0)
    with pytest.raises(ValueError, match="needs a strength"):
        train_target({}, "DP", None)
    with pytest.raises(ValueError, match="positive strength"):
        train_target({}, "MID", 0.0)


def test_vib_identity_loss_bounds():
    """Jensen below, the curvature bound above: E_z CE(W z + b, c) against CE at the mean."""
    torch.manual_seed(0)
    model = make_classifier((SIZE, SIZE), 3, hidden=(8,), head=vib_head(4), seed=0)
    with torch.no_grad():
        model.head.encoder.bias[4:] += 5.0  # large std, so the gap is visible
    x = torch.rand(6, SIZE, SIZE)
    out = vib_identity_loss_bounds(model, x, torch.tensor([0, 1, 2, 0, 1, 2]), n_draws=4000, seed=0)
    assert (out["gap"] > 0).all()
    assert (out["expected_ce"] - 4 * out["expected_ce_se"] <= out["upper"]).all()
    assert (out["expected_ce"] + 4 * out["expected_ce_se"] >= out["ce_at_mean"]).all()


def test_mnist_split():
    s = mnist_split()
    assert s["public"].shape == (2500, 14, 14)
    assert len(s["train"][1]) + len(s["test"][1]) == 2500
    assert set(np.unique(s["train"][1])) == {0, 1, 2, 3, 4}
    with pytest.raises(ValueError, match="distinct digits"):
        mnist_split(private_classes=(0, 0, 1))


# --------------------------------------------------------------------------------------------
# Adaptive identity losses, the positive control, the verdicts, the split
# --------------------------------------------------------------------------------------------

def test_identity_losses_by_hand():
    logits, labels = torch.tensor([[3.0, 1.0, -1.0], [0.0, 2.0, 0.0]]), torch.tensor([0, 0])
    ce = identity_loss(GMI_LOSS, logits, labels)
    torch.testing.assert_close(ce, torch.nn.functional.cross_entropy(logits, labels, reduction="none"))
    t3 = identity_loss(IdentityLoss("ce", temperature=3.0), logits, labels)
    torch.testing.assert_close(t3, torch.nn.functional.cross_entropy(logits / 3, labels,
                                                                     reduction="none"))
    assert identity_loss(IdentityLoss("logit"), logits, labels).tolist() == [-3.0, -0.0]
    feats, p_reg = torch.tensor([[1.0, 0.0], [0.0, 0.0]]), torch.zeros(2)
    pen = identity_loss(IdentityLoss("logit", feature_weight=0.5), logits, labels, feats, p_reg)
    assert pen.tolist() == [-2.5, -0.0]
    # Poincare: distance to the (shrunk) one-hot grows as the logits move away from it
    near, far = poincare_loss(torch.tensor([[9.0, 0.1, 0.1], [0.1, 9.0, 0.1]]),
                              torch.tensor([0, 0]))
    assert 0 < near < far


def test_identity_loss_bad_input():
    with pytest.raises(ValueError, match="kind"):
        IdentityLoss("hinge")
    with pytest.raises(ValueError, match="temperature"):
        IdentityLoss("ce", temperature=0.0)
    with pytest.raises(ValueError, match="logit loss only"):
        IdentityLoss("ce", feature_weight=1.0)
    with pytest.raises(ValueError, match="features"):
        identity_loss(IdentityLoss("logit", feature_weight=1.0), torch.zeros(1, 2),
                      torch.tensor([0]))
    t = templates()
    with pytest.raises(ValueError, match="distinct labels"):
        gmi_attack(planted_gan(t), matched_filter(t), [0], steps=1,
                   identity=[GMI_LOSS, GMI_LOSS])
    with pytest.raises(ValueError, match="IdentityLoss"):
        gmi_attack(planted_gan(t), matched_filter(t), [0], steps=1, identity=["ce"])


def test_cross_entropy_saturates_and_the_adaptive_losses_do_not():
    """On a confident target the CE gradient vanishes; a temperature, the logit and the Poincare
    losses keep it alive (the reason for the adaptive grid)."""
    logits = torch.tensor([[12.0, -3.0, -2.0, -4.0, -1.0]], requires_grad=True)
    labels = torch.tensor([0])

    def grad(spec):
        logits.grad = None
        identity_loss(spec, logits, labels).sum().backward()
        return float(logits.grad.norm())

    g_ce = grad(GMI_LOSS)
    assert g_ce < 1e-4
    for spec in ADAPTIVE_GRID[1:]:
        if spec.kind == "logit":
            spec = IdentityLoss("logit")  # no feature penalty without features
        assert grad(spec) > 100 * g_ce, spec.label


def test_grid_attack_runs_every_loss_from_the_same_starts():
    t = templates()
    gan, target = planted_gan(t), matched_filter(t)
    grid = [IdentityLoss("ce", 0.0, name="a"), IdentityLoss("logit", 0.0, name="b")]
    res = gmi_attack(gan, target, [0, 1], restarts=2, steps=3, identity=grid, seed=0)
    assert list(res.frame["config"]) == ["a"] * 4 + ["b"] * 4
    # zero weights and a constant prior: nothing moves, both losses keep the same codes
    np.testing.assert_array_equal(res.images[:4], res.images[4:])
    sub = res.subset("b")
    assert len(sub.frame) == 4 and sub.best.shape == (2, SIZE, SIZE)
    with pytest.raises(ValueError, match="no reconstructions"):
        res.subset("c")
    assert res.frame["attacker_score"].between(0, 1).all()


def test_feature_penalty_needs_a_classifier_with_features():
    t = templates()
    with pytest.raises(ValueError, match="features"):
        gmi_attack(planted_gan(t), matched_filter(t), [0], steps=1,
                   identity=IdentityLoss("logit", feature_weight=0.1))
    target = make_classifier((SIZE, SIZE), 3, hidden=(8,), seed=0)
    res = gmi_attack(planted_gan(t), target, [0], steps=2,
                     identity=IdentityLoss("logit", feature_weight=0.1))
    assert np.isfinite(res.frame["identity_loss"]).all()


def planted_control(weight=1.0, steps=150, restarts=6):
    """The positive control on the planted problem: 3 classes, 2 'private' (0, 1), 1 'public'."""
    t = templates()
    gan, target = planted_gan(t), matched_filter(t)

    def scores(w, n_steps):
        res = gmi_attack(gan, target, [0, 1], restarts=restarts, steps=n_steps,
                         identity=IdentityLoss("ce", w), seed=0)
        return evaluate_reconstructions(res, matched_filter(t), t, np.arange(3))

    attack, floor = scores(weight, steps), scores(0.0, steps)
    return attack_inverts_undefended(attack["top1_private"].mean(), attack["top1"].mean(),
                                     floor["top1"].mean(), min_private=0.8, min_ten=0.8,
                                     min_gain=0.3)


def test_positive_control_passes_for_a_working_attack():
    out = planted_control()
    assert out["top1_ten"] == 1.0 and out["floor_ten"] < 0.7


@pytest.mark.parametrize("weakened", [dict(weight=0.0), dict(steps=1)])
def test_positive_control_fails_for_a_weakened_attack(weakened):
    with pytest.raises(ClaimViolation, match="inverts the undefended target"):
        planted_control(**weakened)


def test_positive_control_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        attack_inverts_undefended(1.5, 0.9, 0.0)
    with pytest.raises(ClaimViolation):
        attack_inverts_undefended(0.95, 0.9, 0.7)  # high, but not above the prior's floor


def test_public_column_marks_reconstructions_of_public_classes():
    t = templates()
    # reconstructions that are exactly the templates 2, 0 targeted at classes 0, 1
    res = gmi_attack(planted_gan(t), matched_filter(t), [0, 1], restarts=1, steps=1, seed=0)
    res.images = t[[2, 0]].copy()
    s = evaluate_reconstructions(res, matched_filter(t), t, np.arange(3), class_map={0: 0, 1: 1})
    assert s["public"].tolist() == [True, False]
    assert s["top1"].tolist() == [False, False]
    assert not s["top1_private"].iloc[1]  # a zero, targeted at class 1: wrong among private too


def test_defence_verdicts():
    base = dict(method="none", param=np.nan)
    rows = [dict(base, seed=s, model_acc=0.99, attack_top1=0.9) for s in range(4)]
    rows += [dict(method="A", param=1.0, seed=s, model_acc=0.98, attack_top1=0.3 + 0.01 * s)
             for s in range(4)]                                  # attack falls far more: works
    rows += [dict(method="B", param=1.0, seed=s, model_acc=0.70, attack_top1=0.85 + 0.01 * s)
             for s in range(4)]                                  # accuracy falls more: fails
    rows += [dict(method="C", param=1.0, seed=s, model_acc=0.99, attack_top1=0.9 + d)
             for s, d in enumerate([0.1, -0.1, 0.05, -0.05])]    # no effect: undecided
    v = defence_verdicts(pd.DataFrame(rows)).set_index("method")
    assert v.loc["A", "verdict"] == "works" and v.loc["B", "verdict"] == "fails"
    assert v.loc["C", "verdict"] == "undecided"
    assert v.loc["A", "net"] == pytest.approx((0.9 - 0.315) - 0.01)
    with pytest.raises(ValueError, match="no undefended row"):
        defence_verdicts(pd.DataFrame(rows[4:]))
    with pytest.raises(ValueError, match="columns"):
        defence_verdicts(pd.DataFrame(rows).drop(columns="seed"))


def test_gmi_split_is_disjoint():
    s = gmi_split()
    parts = {"train": s["train"][0], "test": s["test"][0], "eval": s["eval"][0],
             "eval_test": s["eval_test"][0], "public": s["public"]}
    keys = {k: {x.tobytes() for x in v} for k, v in parts.items()}
    for a in ("train", "test", "public"):
        assert not keys[a] & keys["eval"], a            # the evaluator sees none of them
    assert not keys["train"] & keys["test"] and not keys["train"] & keys["public"]
    assert keys["test"] <= keys["eval_test"]
    assert sum(len(v) for k, v in parts.items() if k != "test") == 5000
    assert set(np.unique(s["train"][1])) == {0, 1, 2, 3, 4}
    assert set(np.unique(s["eval"][1])) == set(range(10))
    with pytest.raises(ValueError, match="distinct digits"):
        gmi_split(private_classes=(0, 0, 1))
    with pytest.raises(ValueError, match="leave images"):
        gmi_split(n_eval=450)


def test_attack_grid_summary_rows():
    t = templates()
    gan, target = planted_gan(t), matched_filter(t)
    grid = [IdentityLoss("ce", 0.0, name="none"), IdentityLoss("ce", 1.0, name="ce")]
    rows = attack_grid(gan, target, {"train": (t, np.arange(3))}, matched_filter(t),
                       {0: 0, 1: 1, 2: 2}, grid=grid, restarts=3, steps=150, seed=0)
    by = {r["config"]: r for r in rows}
    assert by["ce"]["attack_top1"] == 1.0
    assert by["best of grid"]["chosen"] == "ce"
    assert by["attacker's choice"]["chosen"] == "ce"
