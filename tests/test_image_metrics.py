"""Scoring reconstructions: top-k accuracy, MSE, SSIM, KNN distance, the evaluator."""

import numpy as np
import pytest
import torch

from midlib.metrics import (attack_accuracy, class_means, knn_distance,
                                          pixel_mse, score_reconstructions, ssim,
                                          topk_accuracy, train_evaluator)
from midlib.data import identity_templates, make_identity_faces

torch.set_num_threads(2)


def test_topk_accuracy_by_hand():
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    acc = topk_accuracy(probs, [1, 2, 0], ks=(1, 2))
    assert acc == {"top1": pytest.approx(1 / 3), "top2": pytest.approx(2 / 3)}
    with pytest.raises(ValueError):
        topk_accuracy(probs, [1, 2], ks=(1,))


def test_ssim_properties():
    rng = np.random.default_rng(0)
    a = rng.random((3, 16, 16))
    np.testing.assert_allclose(ssim(a, a), 1.0, atol=1e-12)
    small = np.clip(a + rng.normal(0, 0.05, a.shape), 0, 1)
    big = np.clip(a + rng.normal(0, 0.3, a.shape), 0, 1)
    assert (ssim(a, small) > ssim(a, big)).all()
    np.testing.assert_allclose(ssim(a, big), ssim(big, a))
    assert ssim(a[:, None], a[:, None]).shape == (3,)
    # constant images: SSIM reduces to the luminance term (2 m1 m2 + c1) / (m1^2 + m2^2 + c1)
    c1 = 1e-4
    s = ssim(np.full((1, 8, 8), 0.2), np.full((1, 8, 8), 0.6))
    assert s[0] == pytest.approx((2 * 0.2 * 0.6 + c1) / (0.04 + 0.36 + c1))
    with pytest.raises(ValueError, match="shapes differ"):
        ssim(a, a[:, :8])


def test_mse_knn_and_class_means():
    P = np.stack([np.zeros((4, 4)), np.ones((4, 4)), np.full((4, 4), 0.5), np.full((4, 4), 0.9)])
    py = np.array([0, 0, 1, 1])
    means = class_means(P, py)
    np.testing.assert_allclose(means[0], 0.5)
    np.testing.assert_allclose(means[1], 0.7)
    np.testing.assert_allclose(pixel_mse(means, P[[0, 2]]), [0.25, 0.04])
    R = np.full((2, 4, 4), 0.8)
    d = knn_distance(R, [0, 1], P, py)
    np.testing.assert_allclose(d, [0.2 * 4, 0.1 * 4])  # sqrt(16 * diff^2)
    with pytest.raises(ValueError, match="no private image"):
        knn_distance(R, [0, 2], P, py)
    with pytest.raises(ValueError, match="NaN"):
        pixel_mse(np.full((1, 4, 4), np.nan), P[:1])
    with pytest.raises(ValueError, match="no images"):
        class_means(P, py, n_classes=3)


def test_evaluator_scores_planted_templates():
    d = make_identity_faces(n_identities=6, per_identity=15, size=12, noise=0.08, random_state=3)
    ev = train_evaluator(d.images, d.target, epochs=40, seed=0)
    templates = identity_templates(6, 12, random_state=3)
    acc = attack_accuracy(ev, templates, np.arange(6), ks=(1, 5))
    assert acc["top1"] == 1.0 and acc["top5"] == 1.0
    # a reconstruction labelled with the wrong target scores 0 at top-1
    assert attack_accuracy(ev, templates, (np.arange(6) + 1) % 6, ks=(1,))["top1"] == 0.0
    frame = score_reconstructions(templates, np.arange(6), evaluator=ev,
                                  private_images=d.images, private_labels=d.target)
    assert list(frame.columns) == ["target", "predicted", "top1", "top5", "mse", "ssim",
                                   "knn_pixel", "knn_feature"]
    noisy = np.clip(templates + np.random.default_rng(0).normal(0, 0.4, templates.shape), 0, 1)
    worse = score_reconstructions(noisy, np.arange(6), evaluator=ev,
                                  private_images=d.images, private_labels=d.target)
    assert worse.mse.mean() > frame.mse.mean() and worse.ssim.mean() < frame.ssim.mean()
    assert worse.knn_pixel.mean() > frame.knn_pixel.mean()
