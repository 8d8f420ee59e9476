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
    :class:`midlib.defenses.VIBHead`).

    Build it with :func:`make_classifier` rather than by hand.

    Parameters
    ----------
    body : torch.nn.Module
        The feature extractor: maps a batch of inputs of shape ``(batch,) + input_shape`` to
        flat features ``(batch, in_features)``.
    head : torch.nn.Module
        The last layer: maps the features to logits ``(batch, n_classes)``.
    input_shape : tuple of int
        The shape of one input record, e.g. ``(d,)``, ``(h, w)`` or ``(c, h, w)``.
    n_classes : int
        The number of classes.

    Attributes
    ----------
    body : torch.nn.Module
        The feature extractor.
    head : torch.nn.Module
        The last layer.
    input_shape : tuple of int
        The shape of one input record; :meth:`features` checks its inputs against it.
    n_classes : int
        The number of classes.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = Classifier(nn.Flatten(), nn.Linear(6, 3), input_shape=(2, 3), n_classes=3)
    >>> net(torch.zeros(4, 2, 3)).shape
    torch.Size([4, 3])
    """

    def __init__(self, body: nn.Module, head: nn.Module, input_shape: tuple[int, ...],
                 n_classes: int):
        super().__init__()
        self.body = body
        self.head = head
        self.input_shape = tuple(input_shape)
        self.n_classes = int(n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The body's features of a batch (the input of the head).

        Parameters
        ----------
        x : torch.Tensor of shape (batch, ...)
            Inputs; the trailing dimensions must equal ``input_shape``.

        Returns
        -------
        torch.Tensor of shape (batch, in_features)
            The features that the head reads.

        Raises
        ------
        ValueError
            If the shape of a record differs from ``input_shape``.

        Examples
        --------
        >>> import torch
        >>> from torch import nn
        >>> net = Classifier(nn.Flatten(), nn.Linear(6, 3), input_shape=(2, 3), n_classes=3)
        >>> net.features(torch.zeros(4, 2, 3)).shape
        torch.Size([4, 6])
        """
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"expected inputs of shape (batch, {', '.join(map(str, self.input_shape))}), "
                f"got {tuple(x.shape)}"
            )
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits of a batch: ``head(features(x))``.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, ...)
            Inputs; the trailing dimensions must equal ``input_shape``.

        Returns
        -------
        torch.Tensor of shape (batch, n_classes)
            The logits (one draw of ``z`` for a stochastic VIB head).

        Examples
        --------
        >>> import torch
        >>> net = make_classifier((2, 3), 3, hidden=(4,), seed=0)
        >>> net(torch.zeros(5, 2, 3)).shape
        torch.Size([5, 3])
        """
        return self.head(self.features(x))


class _AddChannel(nn.Module):
    """Adds the channel axis a convolution expects: (n, h, w) -> (n, 1, h, w)."""

    def forward(self, x):
        return x.unsqueeze(1)


def make_classifier(input_shape, n_classes: int, *, hidden=(128,), head=None,
                    conv: tuple[int, ...] | None = None, groups: int = 4,
                    seed: int | None = None, frontend: nn.Module | None = None) -> Classifier:
    """A small classifier for inputs of shape ``input_shape``.

    The body is an optional fixed ``frontend`` or optional convolution blocks, then fully
    connected ReLU layers; the head is a linear layer or whatever ``head`` builds. GroupNorm,
    never BatchNorm, normalises the convolution blocks, so that Opacus can compute per-sample
    gradients.

    Parameters
    ----------
    input_shape : int or tuple of int
        The shape of one input record, e.g. ``(d,)``, ``(h, w)`` or ``(c, h, w)`` (an int ``d``
        means ``(d,)``).
    n_classes : int
        The number of classes (at least 2).
    hidden : int or tuple of int, default=(128,)
        Widths of the fully connected hidden layers (ReLU), after flattening.
    head : callable, default=None
        ``(in_features, n_classes) -> nn.Module``: builds the last layer; None gives a linear
        layer. MID passes :func:`midlib.defenses.vib_head` (a stochastic bottleneck), so this
        module needs no defense.
    conv : tuple of int, default=None
        Channel counts of 3x3 convolution blocks (conv -> GroupNorm -> ReLU -> 2x2 max-pool)
        before the fully connected layers; needs an image input shape ``(h, w)`` or
        ``(c, h, w)``.
    groups : int, default=4
        GroupNorm groups per conv block (capped by the channel count).
    seed : int, default=None
        Seeds the weight initialisation (else the global torch generator is used).
    frontend : torch.nn.Module, default=None
        An optional *fixed* feature extractor applied first, e.g. a :class:`PCAFeatures`
        fitted on public data (see :func:`fit_pca_features`); it must map inputs of
        ``input_shape`` to flat vectors of width ``frontend.out_features`` and hold no
        trainable parameters (so DP-SGD's privacy accounting covers everything that is
        trained). The hidden layers and the head are built on its output; ``conv`` cannot be
        combined with it.

    Returns
    -------
    Classifier
        The untrained network.

    Raises
    ------
    ValueError
        For a bad shape, class count or width, too many conv blocks for the input, or a
        frontend that is not fixed.
    TypeError
        If ``head`` is neither None nor callable.

    Examples
    --------
    >>> import torch
    >>> net = make_classifier((3,), 2, hidden=(4,), seed=0)
    >>> net(torch.zeros(5, 3)).shape
    torch.Size([5, 2])
    >>> cnn = make_classifier((8, 8), 3, conv=(4,), hidden=(16,), seed=0)
    >>> cnn(torch.zeros(2, 8, 8)).shape
    torch.Size([2, 3])
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

    Parameters
    ----------
    mean : array-like or torch.Tensor of shape (d,)
        The mean of the flattened fitting inputs.
    components : array-like or torch.Tensor of shape (k, d)
        The principal directions (orthonormal rows).
    scale : array-like or torch.Tensor of shape (k,)
        Positive divisors of the components' coordinates (their standard deviations for
        whitened features, else ones).
    input_shape : tuple of int
        The shape of one input record (its size is ``d``).

    Attributes
    ----------
    mean : torch.Tensor of shape (d,)
        Buffer: the mean, as float32.
    components : torch.Tensor of shape (k, d)
        Buffer: the principal directions, as float32.
    scale : torch.Tensor of shape (k,)
        Buffer: the scales, as float32.
    input_shape : tuple of int
        The shape of one input record.
    out_features : int
        The number ``k`` of features.

    Examples
    --------
    >>> import torch
    >>> pca = PCAFeatures(torch.zeros(4), torch.eye(4)[:2], torch.ones(2), input_shape=(2, 2))
    >>> pca(torch.arange(8.0).reshape(2, 2, 2))
    tensor([[0., 1.],
            [4., 5.]])
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
        """The features ``(flatten(x) - mean) @ components.T / scale`` of a batch.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, ...)
            Inputs of ``input_shape``.

        Returns
        -------
        torch.Tensor of shape (batch, out_features)
            The features.

        Examples
        --------
        >>> import torch
        >>> pca = PCAFeatures(torch.zeros(4), torch.eye(4)[:2], torch.ones(2), (2, 2))
        >>> pca(torch.ones(3, 2, 2)).shape
        torch.Size([3, 2])
        """
        return (x.flatten(1) - self.mean) @ self.components.T / self.scale

    def inverse(self, f: torch.Tensor) -> torch.Tensor:
        """Images whose features are ``f`` and that lie in the span of the components.

        ``(f * scale) @ components + mean``, reshaped to ``input_shape``: the inverse of
        :meth:`forward` on the affine span of the components (the projection of ``x`` onto it
        for ``f = forward(x)``).

        Parameters
        ----------
        f : torch.Tensor of shape (batch, out_features)
            Features.

        Returns
        -------
        torch.Tensor of shape (batch, ...)
            Inputs of ``input_shape``.

        Examples
        --------
        >>> import torch
        >>> pca = PCAFeatures(torch.zeros(4), torch.eye(4)[:2], torch.ones(2), (2, 2))
        >>> pca.inverse(torch.tensor([[1.0, 2.0]]))
        tensor([[[1., 2.],
                 [0., 0.]]])
        """
        x = (f * self.scale) @ self.components + self.mean
        return x.reshape(len(f), *self.input_shape)

    def extra_repr(self) -> str:
        """The sizes shown in the module's ``repr``.

        Returns
        -------
        str
            ``"in_features=d, out_features=k"``.

        Examples
        --------
        >>> import torch
        >>> PCAFeatures(torch.zeros(4), torch.eye(4)[:2], torch.ones(2), (2, 2))
        PCAFeatures(in_features=4, out_features=2)
        """
        return f"in_features={self.components.shape[1]}, out_features={self.out_features}"


def fit_pca_features(images, n_components: int, *, whiten: bool = True) -> PCAFeatures:
    """Principal components ("eigenfaces") of ``images`` as a fixed feature extractor.

    Fit it on *public* data only (e.g. images of people the private model never sees): the
    extractor is then data-independent from the private set's point of view, so a classifier
    trained on its outputs by DP-SGD keeps the epsilon its accountant reports. With ``whiten``
    each component is divided by its standard deviation on the fitting data (unit variance
    features, which suits a small linear head and a fixed clipping norm).

    Parameters
    ----------
    images : array-like of shape (n, ...)
        The (public) fitting inputs; the trailing dimensions are the ``input_shape`` of the
        extractor.
    n_components : int
        The number of principal components kept, in ``1..min(n - 1, d)`` where ``d`` is the
        size of one input.
    whiten : bool, default=True
        Divide each component by its standard deviation on the fitting data.

    Returns
    -------
    PCAFeatures
        The fixed extractor, with ``n_components`` outputs.

    Raises
    ------
    ValueError
        If ``n_components`` is out of range, or (with ``whiten``) the images have fewer than
        ``n_components`` directions of variance.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> images = np.random.default_rng(0).random((20, 4, 4))
    >>> pca = fit_pca_features(images, 3)
    >>> pca
    PCAFeatures(in_features=16, out_features=3)
    >>> features = pca(torch.as_tensor(images, dtype=torch.float32))
    >>> features.std(0).round(decimals=3)
    tensor([1., 1., 1.])
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
