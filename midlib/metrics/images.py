"""Scoring image reconstructions of model-inversion attacks.

Following Zhang et al. (GMI, CVPR 2020) and Yang et al. (2019), an attack that outputs one
image per targeted class is scored by:

- **attack accuracy**: a *separately trained evaluation classifier* (a different architecture,
  trained on all the private images) labels each reconstruction; top-1 (top-5) attack accuracy
  is the share whose target class is the evaluator's first (among its first five) guesses;
- **pixel distance** to the target class: mean squared error to the class mean image, and SSIM
  (structural similarity, Wang et al. 2004) to it;
- **KNN distance**: the distance from a reconstruction to the *closest* private image of the
  target class (in pixel space, or in the evaluator's feature space as in GMI).

All functions take images of any shape ``(n, *shape)`` (``(h, w)``, ``(c, h, w)`` or flat).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.ndimage import gaussian_filter

from midlib.nn import TrainResult, as_tensors, make_classifier, predict_proba, train_classifier

__all__ = ["train_evaluator", "topk_accuracy", "attack_accuracy", "class_means", "pixel_mse", "ssim",
           "knn_distance", "evaluator_features", "score_reconstructions"]


def _images(a, name="images") -> np.ndarray:
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    a = a.astype(np.float64)
    if a.ndim < 2 or len(a) == 0:
        raise ValueError(f"{name} must have shape (n, ...) with n >= 1, got {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contain NaN or infinite values")
    return a


def _labels(y, n, name="labels") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{name} must have shape ({n},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"{name} must be integer class labels")
        y = y.astype(int)
    return y


def train_evaluator(images, labels, *, conv=None, hidden=(512,), epochs: int = 100,
                    lr: float = 1e-3, batch_size: int = 512, seed: int = 0) -> TrainResult:
    """Train the evaluation classifier on ``images`` (all the private images, training and
    held-out alike, as GMI does). By default a wide one-hidden-layer MLP, trained full-batch
    (a different architecture from the book's targets); ``conv`` adds convolution blocks."""
    X = _images(images)
    y = _labels(labels, len(X))
    shape = X.shape[1:]
    if len(shape) not in (2, 3):
        conv = None  # flat inputs: an MLP
    model = make_classifier(shape, int(y.max()) + 1, hidden=hidden, conv=conv, seed=seed)
    return train_classifier(model, X.astype(np.float32), y, epochs=epochs, lr=lr,
                            batch_size=batch_size, seed=seed)


def topk_accuracy(probs, target_labels, ks=(1, 5)) -> dict[str, float]:
    """Share of rows whose target label is among the ``k`` most probable classes, for each k."""
    probs = np.asarray(probs, dtype=float)
    t = _labels(target_labels, len(probs), "target_labels")
    order = np.argsort(-probs, axis=1, kind="stable")
    out = {}
    for k in ks:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        out[f"top{k}"] = float((order[:, :k] == t[:, None]).any(1).mean())
    return out


def attack_accuracy(evaluator, reconstructions, target_labels, ks=(1, 5)) -> dict[str, float]:
    """Top-k attack accuracy of reconstructions as judged by the evaluation classifier."""
    R = _images(reconstructions, "reconstructions")
    model = evaluator.model if isinstance(evaluator, TrainResult) else evaluator
    probs = predict_proba(model, R.astype(np.float32), seed=0)
    return topk_accuracy(probs, target_labels, ks)


def class_means(images, labels, n_classes: int | None = None) -> np.ndarray:
    """Mean image of each class, ``(n_classes, *shape)``."""
    X = _images(images)
    y = _labels(labels, len(X))
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    missing = sorted(set(range(n_classes)) - set(y.tolist()))
    if missing:
        raise ValueError(f"classes {missing} have no images")
    return np.stack([X[y == c].mean(0) for c in range(n_classes)])


def pixel_mse(reconstructions, references) -> np.ndarray:
    """Mean squared pixel error between paired images (one value per pair)."""
    R, T = _images(reconstructions, "reconstructions"), _images(references, "references")
    if R.shape != T.shape:
        raise ValueError(f"shapes differ: {R.shape} vs {T.shape}")
    return ((R - T) ** 2).reshape(len(R), -1).mean(1)


def ssim(a, b, data_range: float = 1.0, sigma: float = 1.5) -> np.ndarray:
    """Structural similarity (Wang et al. 2004; Gaussian window of std ``sigma``, K1 = 0.01,
    K2 = 0.03) between paired images ``a[i]``, ``b[i]`` of shape (h, w) or (c, h, w) (channels
    averaged); one value per pair, 1 for identical images."""
    A, B = _images(a, "a"), _images(b, "b")
    if A.shape != B.shape:
        raise ValueError(f"shapes differ: {A.shape} vs {B.shape}")
    if A.ndim == 3:
        A, B = A[:, None], B[:, None]
    if A.ndim != 4:
        raise ValueError(f"ssim needs images of shape (n, h, w) or (n, c, h, w), got {A.shape}")
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = (0, 0, sigma, sigma)

    def filt(x):
        return gaussian_filter(x, sigma=s, mode="reflect", truncate=3.5)

    mu_a, mu_b = filt(A), filt(B)
    var_a = filt(A * A) - mu_a ** 2
    var_b = filt(B * B) - mu_b ** 2
    cov = filt(A * B) - mu_a * mu_b
    smap = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return smap.reshape(len(A), -1).mean(1)


def knn_distance(reconstructions, target_labels, private_images, private_labels,
                 features=None) -> np.ndarray:
    """Distance from each reconstruction to the closest private image of its target class.

    In pixel space (root of the summed squared differences) by default; with ``features`` (a
    callable mapping an image array to a feature array, e.g. the evaluator's penultimate layer,
    see :func:`evaluator_features`) in that feature space, as in GMI.
    """
    R = _images(reconstructions, "reconstructions")
    t = _labels(target_labels, len(R), "target_labels")
    P = _images(private_images, "private_images")
    py = _labels(private_labels, len(P), "private_labels")
    if R.shape[1:] != P.shape[1:]:
        raise ValueError(f"reconstructions {R.shape[1:]} and private images {P.shape[1:]} differ")
    fr = np.asarray(features(R) if features else R, dtype=float).reshape(len(R), -1)
    fp = np.asarray(features(P) if features else P, dtype=float).reshape(len(P), -1)
    out = np.empty(len(R))
    for i, c in enumerate(t):
        pool = fp[py == c]
        if len(pool) == 0:
            raise ValueError(f"no private image of class {c}")
        out[i] = np.sqrt(((pool - fr[i]) ** 2).sum(1)).min()
    return out


def evaluator_features(evaluator):
    """A callable: images -> the evaluator's penultimate features (for :func:`knn_distance`)."""
    model = evaluator.model if isinstance(evaluator, TrainResult) else evaluator

    @torch.no_grad()
    def feats(images):
        model.eval()
        return model.features(as_tensors(np.asarray(images, dtype=np.float32))).numpy()

    return feats


def score_reconstructions(reconstructions, target_labels, *, evaluator, private_images,
                          private_labels, ks=(1, 5)) -> pd.DataFrame:
    """One row per reconstruction: target, evaluator's top-k hits, MSE and SSIM to the target
    class mean, KNN distance (pixels and evaluator features) to the private images."""
    R = _images(reconstructions, "reconstructions")
    t = _labels(target_labels, len(R), "target_labels")
    P = _images(private_images, "private_images")
    py = _labels(private_labels, len(P), "private_labels")
    model = evaluator.model if isinstance(evaluator, TrainResult) else evaluator
    probs = predict_proba(model, R.astype(np.float32), seed=0)
    order = np.argsort(-probs, axis=1, kind="stable")
    means = class_means(P, py, n_classes=max(int(py.max()), int(t.max())) + 1)[t]
    frame = pd.DataFrame({"target": t, "predicted": order[:, 0]})
    for k in ks:
        frame[f"top{k}"] = (order[:, :k] == t[:, None]).any(1).astype(float)
    frame["mse"] = pixel_mse(R, means)
    frame["ssim"] = ssim(R, means) if R.ndim in (3, 4) else np.nan
    frame["knn_pixel"] = knn_distance(R, t, P, py)
    frame["knn_feature"] = knn_distance(R, t, P, py, features=evaluator_features(model))
    return frame
