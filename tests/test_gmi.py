"""Generative model inversion (GMI): the GAN, the latent search and its scoring."""

import numpy as np
import pytest
import torch

from midlib.defenses import vib_head
from torch import nn

from midlib.attacks.gmi import (
    GAN, Generator, evaluate_reconstructions, gmi_attack, train_gan, vib_identity_loss_bounds,
)
from midlib.data import downsample, mnist_split
from midlib.experiments.gmi import train_target
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
    with pytest.raises(ValueError, match="positive strength"):
        train_target({}, "DP", None)


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
