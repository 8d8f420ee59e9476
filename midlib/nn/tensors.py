"""Tensor helpers: the one place where arrays become tensors and inputs are checked."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["as_tensors", "check_images", "check_labels"]


def as_tensors(X, y=None):
    """``X`` as a float32 tensor (and ``y`` as int64), with clear errors for bad input.

    Parameters
    ----------
    X : array-like or torch.Tensor of shape (n, ...)
        Inputs, with at least one record and finite values (a tensor is detached).
    y : array-like or torch.Tensor of shape (n,), default=None
        Integer class labels (floats are accepted when they hold whole numbers).

    Returns
    -------
    Xt : torch.Tensor of shape (n, ...)
        ``X`` as float32.
    yt : torch.Tensor of shape (n,)
        ``y`` as int64; returned (as the second entry of a tuple) only when ``y`` is given.

    Raises
    ------
    ValueError
        If ``X`` is empty, has fewer than two dimensions or non-finite values, or ``y`` has
        the wrong shape or non-integer values.

    Examples
    --------
    >>> Xt, yt = as_tensors([[1, 2], [3, 4]], [0, 1])
    >>> Xt.dtype, yt.dtype
    (torch.float32, torch.int64)
    >>> as_tensors([[0.5, 1.0]]).shape
    torch.Size([1, 2])
    """
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
    """``images`` as a float32 array of shape (n, h, w) in [0, 1], or a clear error.

    Parameters
    ----------
    images : array-like of shape (n, h, w)
        Grey-level images with values in [0, 1].
    name : str, default="images"
        The name used in error messages.

    Returns
    -------
    ndarray of shape (n, h, w)
        ``images`` as float32.

    Raises
    ------
    ValueError
        If ``images`` is not three-dimensional, is empty, holds non-finite values or values
        outside [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> check_images(np.zeros((2, 3, 3))).dtype
    dtype('float32')
    >>> check_images(np.ones((2, 3)), name="faces")
    Traceback (most recent call last):
    ...
    ValueError: faces must have shape (n, h, w), got (2, 3)
    """
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
    """Raise if the integer labels ``yt`` fall outside ``0..model.n_classes - 1``.

    Parameters
    ----------
    model : torch.nn.Module
        The classifier; its ``n_classes`` attribute, when it has one, bounds the labels
        (without one only negative labels are rejected).
    yt : torch.Tensor of shape (n,)
        Integer class labels (e.g. from :func:`as_tensors`).

    Raises
    ------
    ValueError
        If a label is negative or not below ``model.n_classes``.

    Examples
    --------
    >>> import torch
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((3,), 2, hidden=(4,), seed=0)
    >>> check_labels(model, torch.tensor([0, 1]))  # fine: nothing happens
    >>> check_labels(model, torch.tensor([0, 2]))
    Traceback (most recent call last):
    ...
    ValueError: labels must lie in 0..1, got range 0..2
    """
    n_classes = getattr(model, "n_classes", None)
    if yt.min() < 0 or (n_classes is not None and yt.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1 if n_classes else 'n_classes-1'}, "
                         f"got range {int(yt.min())}..{int(yt.max())}")
