"""Small networks of the book: a body-plus-head classifier (MLP or CNN with GroupNorm, never
BatchNorm, so Opacus can compute per-sample gradients) and a fixed PCA feature extractor."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from torch import nn

from midlib.nn.tensors import as_tensors

__all__ = ["Classifier", "make_classifier", "PCAFeatures", "fit_pca_features"]


class Classifier(nn.Module):
    """``body`` (features) followed by ``head`` (a Linear layer, or a defense's head such as
    :class:`midlib.defenses.VIBHead`)."""

    def __init__(self, body: nn.Module, head: nn.Module, input_shape: tuple[int, ...],
                 n_classes: int):
        super().__init__()
        self.body = body
        self.head = head
        self.input_shape = tuple(input_shape)
        self.n_classes = int(n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"expected inputs of shape (batch, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(x.shape)}"
            )
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class _AddChannel(nn.Module):
    """Adds the channel axis a convolution expects: (n, h, w) -> (n, 1, h, w)."""

    def forward(self, x):
        return x.unsqueeze(1)


def make_classifier(input_shape, n_classes: int, *, hidden=(128,), head=None,
                    conv: tuple[int, ...] | None = None, groups: int = 4,
                    seed: int | None = None, frontend: nn.Module | None = None) -> Classifier:
    """A small classifier for inputs of shape ``input_shape`` (e.g. ``(d,)``, ``(h, w)`` or
    ``(c, h, w)``).

    Parameters
    ----------
    hidden : widths of the fully connected hidden layers (ReLU), after flattening.
    head : callable ``(in_features, n_classes) -> nn.Module``, default=None
        Builds the last layer; None gives a linear layer. MID passes
        :func:`midlib.defenses.vib_head` (a stochastic bottleneck), so this module needs no
        defense.
    conv : channel counts of 3x3 convolution blocks (conv -> GroupNorm -> ReLU -> 2x2 max-pool)
        before the fully connected layers; needs an image input shape ``(h, w)`` or ``(c, h, w)``.
    groups : GroupNorm groups per conv block (capped by the channel count).
    seed : seeds the weight initialisation (else the global torch generator is used).
    frontend : an optional *fixed* feature extractor applied first, e.g. a
        :class:`PCAFeatures` fitted on public data (see :func:`fit_pca_features`); it must map
        inputs of ``input_shape`` to flat vectors of width ``frontend.out_features`` and hold no
        trainable parameters (so DP-SGD's privacy accounting covers everything that is trained).
        The hidden layers and the head are built on its output; ``conv`` cannot be combined
        with it.
    """
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (int(input_shape),)
    input_shape = tuple(int(s) for s in input_shape)
    if not input_shape or any(s < 1 for s in input_shape):
        raise ValueError(f"input_shape must be a tuple of positive sizes, got {input_shape}")
    if not isinstance(n_classes, (int, np.integer)) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if isinstance(hidden, (int, np.integer)):
        hidden = (int(hidden),)
    hidden = tuple(int(h) for h in hidden)
    if any(h < 1 for h in hidden):
        raise ValueError(f"hidden widths must be positive, got {hidden}")
    if head is not None and not callable(head):
        raise TypeError(f"head must be None or a callable (in_features, n_classes) -> module, got {head!r}")

    ctx = torch.random.fork_rng() if seed is not None else contextlib.nullcontext()
    with ctx:
        if seed is not None:
            torch.manual_seed(seed)
        layers: list[nn.Module] = []
        if frontend is not None:
            if conv:
                raise ValueError("conv blocks cannot follow a frontend (it outputs flat features)")
            width = getattr(frontend, "out_features", None)
            if not isinstance(width, (int, np.integer)) or width < 1:
                raise ValueError("frontend must have a positive integer attribute out_features")
            if any(p.requires_grad for p in frontend.parameters()):
                raise ValueError("frontend must be fixed: it has trainable parameters (freeze "
                                 "them with requires_grad_(False) or use buffers)")
            layers.append(frontend)
        elif conv:
            if len(input_shape) == 2:
                layers.append(_AddChannel())
                c, h, w = 1, *input_shape
            elif len(input_shape) == 3:
                c, h, w = input_shape
            else:
                raise ValueError(f"conv layers need an image shape (h, w) or (c, h, w), got {input_shape}")
            for out in conv:
                g = max(1, min(groups, out))
                while out % g:
                    g -= 1
                layers += [nn.Conv2d(c, out, 3, padding=1), nn.GroupNorm(g, out), nn.ReLU(),
                           nn.MaxPool2d(2)]
                c, h, w = out, h // 2, w // 2
                if h < 1 or w < 1:
                    raise ValueError(f"too many conv blocks for an input of shape {input_shape}")
            width = c * h * w
        else:
            width = int(np.prod(input_shape))
        if frontend is None:
            layers.append(nn.Flatten())
        for h_ in hidden:
            layers += [nn.Linear(width, h_), nn.ReLU()]
            width = h_
        body = nn.Sequential(*layers)
        last = nn.Linear(width, n_classes) if head is None else head(width, n_classes)
        return Classifier(body, last, input_shape, n_classes)


class PCAFeatures(nn.Module):
    """A fixed linear feature extractor: ``(flatten(x) - mean) @ components.T / scale``.

    The mean, components (``(k, d)``, orthonormal rows) and per-component scale are buffers,
    not parameters: nothing here is trained, so the module can sit in front of a network trained
    by DP-SGD without touching its privacy accounting, as long as it was fitted on *public*
    data. Gradients flow through it to the input (white-box attacks work as on any network).
    Build it with :func:`fit_pca_features`.
    """

    def __init__(self, mean: torch.Tensor, components: torch.Tensor, scale: torch.Tensor,
                 input_shape: tuple[int, ...]):
        super().__init__()
        mean, components, scale = (torch.as_tensor(t, dtype=torch.float32)
                                   for t in (mean, components, scale))
        if components.ndim != 2 or mean.shape != (components.shape[1],) or \
                scale.shape != (components.shape[0],):
            raise ValueError("PCAFeatures: need mean (d,), components (k, d) and scale (k,)")
        if not (scale > 0).all():
            raise ValueError("PCAFeatures: scales must be > 0")
        self.register_buffer("mean", mean)
        self.register_buffer("components", components)
        self.register_buffer("scale", scale)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.out_features = int(components.shape[0])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) - self.mean) @ self.components.T / self.scale

    def inverse(self, f: torch.Tensor) -> torch.Tensor:
        """Images whose features are ``f`` and that lie in the span of the components."""
        x = (f * self.scale) @ self.components + self.mean
        return x.reshape(len(f), *self.input_shape)

    def extra_repr(self) -> str:
        return f"in_features={self.components.shape[1]}, out_features={self.out_features}"


def fit_pca_features(images, n_components: int, *, whiten: bool = True) -> PCAFeatures:
    """Principal components ("eigenfaces") of ``images`` (shape ``(n, *input_shape)``) as a
    fixed :class:`PCAFeatures` extractor with ``n_components`` outputs.

    Fit it on *public* data only (e.g. images of people the private model never sees): the
    extractor is then data-independent from the private set's point of view, so a classifier
    trained on its outputs by DP-SGD keeps the epsilon its accountant reports. With ``whiten``
    each component is divided by its standard deviation on the fitting data (unit variance
    features, which suits a small linear head and a fixed clipping norm).
    """
    X = as_tensors(images).double()
    n = len(X)
    flat = X.flatten(1)
    if not isinstance(n_components, (int, np.integer)) or not 1 <= n_components <= min(n - 1, flat.shape[1]):
        raise ValueError(f"n_components must be an integer in 1..{min(n - 1, flat.shape[1])} "
                         f"(fewer than the {n} fitting images), got {n_components!r}")
    mean = flat.mean(0)
    _, svals, vt = torch.linalg.svd(flat - mean, full_matrices=False)
    comps = vt[:n_components]
    std = svals[:n_components] / np.sqrt(n - 1)
    if whiten and not (std > 1e-8).all():
        raise ValueError("the fitting images have fewer than n_components directions of variance")
    scale = std if whiten else torch.ones(n_components, dtype=torch.float64)
    return PCAFeatures(mean.float(), comps.float(), scale.float(), tuple(X.shape[1:]))
