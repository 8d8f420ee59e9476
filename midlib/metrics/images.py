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
    """Train the evaluation classifier on ``images``.

    The evaluator is trained on all the private images, training and held-out alike, as GMI
    does. By default it is a wide one-hidden-layer MLP, trained full-batch (a different
    architecture from the book's targets); ``conv`` adds convolution blocks.

    Parameters
    ----------
    images : array-like of shape (n, ...)
        All the private images (``(h, w)``, ``(c, h, w)`` or flat records).
    labels : array-like of shape (n,)
        Their integer classes, ``0..n_classes - 1``.
    conv : tuple of int, default=None
        Channel counts of convolution blocks (see :func:`midlib.nn.make_classifier`); ignored
        for flat inputs.
    hidden : tuple of int, default=(512,)
        Widths of the hidden layers.
    epochs : int, default=100
        Training epochs.
    lr : float, default=1e-3
        Adam's learning rate.
    batch_size : int, default=512
        Batch size (at least the number of images: full-batch training).
    seed : int, default=0
        Seeds the initialisation and the training.

    Returns
    -------
    TrainResult
        The trained evaluator (``.model``) and its training record.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((12, 4, 4))
    >>> evaluator = train_evaluator(images, np.arange(12) % 3, hidden=(8,), epochs=2)
    >>> evaluator.model.n_classes, len(evaluator.history)
    (3, 2)
    """
    X = _images(images)
    y = _labels(labels, len(X))
    shape = X.shape[1:]
    if len(shape) not in (2, 3):
        conv = None  # flat inputs: an MLP
    model = make_classifier(shape, int(y.max()) + 1, hidden=hidden, conv=conv, seed=seed)
    return train_classifier(model, X.astype(np.float32), y, epochs=epochs, lr=lr,
                            batch_size=batch_size, seed=seed)


def topk_accuracy(probs, target_labels, ks=(1, 5)) -> dict[str, float]:
    """Share of rows whose target label is among the ``k`` most probable classes, for each k.

    Parameters
    ----------
    probs : array-like of shape (n, n_classes)
        Class probabilities (or any scores: only their order counts; ties go to the lower
        class).
    target_labels : array-like of shape (n,)
        The target class of each row.
    ks : sequence of int, default=(1, 5)
        The values of ``k`` (each at least 1).

    Returns
    -------
    dict of str to float
        ``"top{k}"`` -> the top-k accuracy, for each ``k`` in ``ks``.

    Examples
    --------
    >>> topk_accuracy([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], [1, 2], ks=(1, 2))
    {'top1': 0.5, 'top2': 1.0}
    """
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
    """Top-k attack accuracy of reconstructions as judged by the evaluation classifier.

    Parameters
    ----------
    evaluator : TrainResult or torch.nn.Module
        The evaluation classifier (e.g. from :func:`train_evaluator`).
    reconstructions : array-like of shape (n, ...)
        One reconstruction per row, in the evaluator's input shape.
    target_labels : array-like of shape (n,)
        The class each reconstruction targets.
    ks : sequence of int, default=(1, 5)
        The values of ``k``.

    Returns
    -------
    dict of str to float
        ``"top{k}"`` -> the share of reconstructions whose target is among the evaluator's
        ``k`` most probable classes.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from torch import nn
    >>> evaluator = nn.Sequential(nn.Flatten(), nn.Linear(4, 2, bias=False))
    >>> with torch.no_grad():  # class 0: top row lit; class 1: bottom row lit
    ...     _ = evaluator[1].weight.copy_(torch.tensor([[1., 1., 0., 0.], [0., 0., 1., 1.]]))
    >>> top_row = [[1.0, 1.0], [0.0, 0.0]]
    >>> attack_accuracy(evaluator, np.array([top_row, top_row]), [0, 1], ks=(1, 2))
    {'top1': 0.5, 'top2': 1.0}
    """
    R = _images(reconstructions, "reconstructions")
    model = evaluator.model if isinstance(evaluator, TrainResult) else evaluator
    probs = predict_proba(model, R.astype(np.float32), seed=0)
    return topk_accuracy(probs, target_labels, ks)


def class_means(images, labels, n_classes: int | None = None) -> np.ndarray:
    """Mean image of each class.

    Parameters
    ----------
    images : array-like of shape (n, ...)
        Images.
    labels : array-like of shape (n,)
        Their integer classes.
    n_classes : int, default=None
        The number of classes (None: ``max(labels) + 1``); every class needs an image.

    Returns
    -------
    ndarray of shape (n_classes, ...)
        The mean image of each class, in the images' shape.

    Examples
    --------
    >>> class_means([[[0.0, 1.0]], [[1.0, 1.0]], [[1.0, 0.0]]], [0, 0, 1])
    array([[[0.5, 1. ]],
    <BLANKLINE>
           [[1. , 0. ]]])
    """
    X = _images(images)
    y = _labels(labels, len(X))
    n_classes = int(y.max()) + 1 if n_classes is None else n_classes
    missing = sorted(set(range(n_classes)) - set(y.tolist()))
    if missing:
        raise ValueError(f"classes {missing} have no images")
    return np.stack([X[y == c].mean(0) for c in range(n_classes)])


def pixel_mse(reconstructions, references) -> np.ndarray:
    """Mean squared pixel error between paired images (one value per pair).

    Parameters
    ----------
    reconstructions : array-like of shape (n, ...)
        Images.
    references : array-like of shape (n, ...)
        The images they are compared with, of the same shape.

    Returns
    -------
    ndarray of shape (n,)
        The mean squared difference of each pair.

    Examples
    --------
    >>> import numpy as np
    >>> pixel_mse(np.zeros((2, 2, 2)), np.full((2, 2, 2), 0.5))
    array([0.25, 0.25])
    """
    R, T = _images(reconstructions, "reconstructions"), _images(references, "references")
    if R.shape != T.shape:
        raise ValueError(f"shapes differ: {R.shape} vs {T.shape}")
    return ((R - T) ** 2).reshape(len(R), -1).mean(1)


def ssim(a, b, data_range: float = 1.0, sigma: float = 1.5) -> np.ndarray:
    """Structural similarity (SSIM) between paired images ``a[i]`` and ``b[i]``.

    SSIM as in Wang et al. (2004), with a Gaussian window of standard deviation ``sigma``,
    K1 = 0.01 and K2 = 0.03, between images of shape (h, w) or (c, h, w) (channels averaged);
    one value per pair, 1 for identical images.

    Parameters
    ----------
    a : array-like of shape (n, h, w) or (n, c, h, w)
        Images.
    b : array-like of the shape of ``a``
        The images they are compared with.
    data_range : float, default=1.0
        The range of the pixel values (1 for images in [0, 1]).
    sigma : float, default=1.5
        Standard deviation of the Gaussian window, in pixels.

    Returns
    -------
    ndarray of shape (n,)
        The mean SSIM of each pair.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(0).random((2, 8, 8))
    >>> ssim(a, a)
    array([1., 1.])
    """
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

    Parameters
    ----------
    reconstructions : array-like of shape (n, ...)
        Reconstructed images.
    target_labels : array-like of shape (n,)
        The class each reconstruction targets.
    private_images : array-like of shape (m, ...)
        The private images, of the reconstructions' shape.
    private_labels : array-like of shape (m,)
        Their classes; every target class needs a private image.
    features : callable, default=None
        Maps an image array to a feature array (None: pixel space).

    Returns
    -------
    ndarray of shape (n,)
        The Euclidean distance from each reconstruction to the nearest private image of its
        target class.

    Examples
    --------
    >>> import numpy as np
    >>> private = np.array([np.ones((2, 2)), np.full((2, 2), 0.5), np.zeros((2, 2))])
    >>> knn_distance(np.zeros((1, 2, 2)), [0], private, [0, 0, 1])
    array([1.])
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
    """A callable: images -> the evaluator's penultimate features (for :func:`knn_distance`).

    Parameters
    ----------
    evaluator : TrainResult or Classifier
        The evaluation classifier; it needs a ``features`` method (a
        :class:`midlib.nn.Classifier`).

    Returns
    -------
    callable
        ``images -> ndarray of shape (n, n_features)``: the evaluator's features (in eval
        mode, without gradients).

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> feats = evaluator_features(make_classifier((4, 4), 3, hidden=(8,), seed=0))
    >>> feats(np.zeros((2, 4, 4))).shape
    (2, 8)
    """
    model = evaluator.model if isinstance(evaluator, TrainResult) else evaluator

    @torch.no_grad()
    def feats(images):
        model.eval()
        return model.features(as_tensors(np.asarray(images, dtype=np.float32))).numpy()

    return feats


def score_reconstructions(reconstructions, target_labels, *, evaluator, private_images,
                          private_labels, ks=(1, 5)) -> pd.DataFrame:
    """Score every reconstruction: the evaluator's hits and the distances to the private data.

    One row per reconstruction: target, evaluator's top-k hits, MSE and SSIM to the target
    class mean, KNN distance (pixels and evaluator features) to the private images.

    Parameters
    ----------
    reconstructions : array-like of shape (n, ...)
        Reconstructed images.
    target_labels : array-like of shape (n,)
        The class each reconstruction targets.
    evaluator : TrainResult or Classifier
        The evaluation classifier (from :func:`train_evaluator`); it needs a ``features``
        method.
    private_images : array-like of shape (m, ...)
        The private images, of the reconstructions' shape.
    private_labels : array-like of shape (m,)
        Their classes; every target class needs a private image.
    ks : sequence of int, default=(1, 5)
        The values of ``k`` of the top-k hits.

    Returns
    -------
    pandas.DataFrame
        One row per reconstruction, with columns ``target``, ``predicted`` (the evaluator's
        top class), ``top{k}`` for each ``k`` (1.0 for a hit, else 0.0), ``mse`` and ``ssim``
        to the target class mean (``ssim`` NaN for flat records), ``knn_pixel`` and
        ``knn_feature``.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.random.default_rng(0).random((12, 4, 4))
    >>> labels = np.arange(12) % 3
    >>> evaluator = train_evaluator(images, labels, hidden=(8,), epochs=2)
    >>> scores = score_reconstructions(images[:3], [0, 1, 2], evaluator=evaluator,
    ...                                private_images=images, private_labels=labels)
    >>> scores.shape
    (3, 8)
    >>> list(scores.columns)
    ['target', 'predicted', 'top1', 'top5', 'mse', 'ssim', 'knn_pixel', 'knn_feature']
    """
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
