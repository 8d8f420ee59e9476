"""Tensor helpers: the one place where arrays become tensors and inputs are checked."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["as_tensors", "check_images", "check_labels"]


def as_tensors(X, y=None):
    """``X`` as a float32 tensor (and ``y`` as int64), with clear errors for bad input."""
    if isinstance(X, torch.Tensor):
        Xt = X.detach().float()
    else:
        Xt = torch.as_tensor(np.asarray(X, dtype=np.float32))
    if Xt.ndim < 2 or len(Xt) == 0:
        raise ValueError(f"X must have shape (n, ...) with n >= 1, got {tuple(Xt.shape)}")
    if not torch.isfinite(Xt).all():
        raise ValueError("X contains NaN or infinite values")
    if y is None:
        return Xt
    yt = torch.as_tensor(np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y))
    if yt.ndim != 1 or len(yt) != len(Xt):
        raise ValueError(f"y must have shape ({len(Xt)},), got {tuple(yt.shape)}")
    if yt.is_floating_point():
        if not torch.equal(yt, yt.round()):
            raise ValueError("y must hold integer class labels")
    yt = yt.long()
    return Xt, yt


def check_images(images, name="images") -> np.ndarray:
    """``images`` as a float32 array of shape (n, h, w) in [0, 1], or a clear error."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(f"{name} must have shape (n, h, w), got {images.shape}")
    if len(images) == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(images).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if images.min() < 0 or images.max() > 1:
        raise ValueError(f"{name} must lie in [0, 1] (got range {images.min():.3g}..{images.max():.3g})")
    return images


def check_labels(model, yt):
    """Raise if the integer labels ``yt`` fall outside ``0..model.n_classes - 1``."""
    n_classes = getattr(model, "n_classes", None)
    if yt.min() < 0 or (n_classes is not None and yt.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1 if n_classes else 'n_classes-1'}, "
                         f"got range {int(yt.min())}..{int(yt.max())}")
