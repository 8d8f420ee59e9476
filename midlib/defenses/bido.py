"""BiDO: bilateral dependency optimisation (Peng et al., KDD 2022), the HSIC variant.

BiDO trains a classifier with the loss

``CE + lambda_x * sum_j HSIC(X, Z_j) - lambda_y * sum_j HSIC(Z_j, Y)``

over hidden representations ``Z_j``: the dependence between the input and the representations
is penalised (less of the input's detail reaches the output, which is what model inversion
exploits) and the dependence between the representations and the label is rewarded (the
representations stay useful). The dependence measure here is the Hilbert-Schmidt independence
criterion with the biased empirical estimator of Gretton et al. (2005) that the paper defines,
``HSIC = tr(K H L H) / (m - 1)^2`` with ``H = I - 11^T / m`` (:func:`hsic`), Gaussian kernels on
inputs and representations and a linear kernel on one-hot labels, computed on each training
batch. Two departures from the official code, which uses a normalised variant of HSIC and a
fixed bandwidth scaled by the dimension: the plain estimator above, and a bandwidth from the
median heuristic (:func:`gaussian_gram`), which adapts to inputs and representations of any
scale. The official code's ratio ``lambda_y / lambda_x = 10`` is the default.

:func:`bido_head` builds the head whose hidden layers are the ``Z_j`` (a ReLU layer before the
last linear layer), :class:`BiDORegularizer` is the regularizer hook of
:func:`midlib.nn.train_classifier` (it needs labels: ``uses_labels = True``).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["hsic", "gaussian_gram", "BiDOHead", "bido_head", "BiDORegularizer", "find_bido"]


def gaussian_gram(x: torch.Tensor, sigma: float | None = None) -> torch.Tensor:
    """The Gaussian kernel matrix ``exp(-||x_i - x_j||^2 / (2 sigma^2))`` of a batch.

    Parameters
    ----------
    x : torch.Tensor of shape (m, ...)
        The batch (flattened to ``(m, d)``).
    sigma : float, default=None
        The bandwidth; None takes the median of the pairwise distances (computed without
        gradient; 1 if they are all zero).

    Returns
    -------
    torch.Tensor of shape (m, m)

    Examples
    --------
    >>> import torch
    >>> gaussian_gram(torch.tensor([[0.0], [1.0]]), sigma=1.0)
    tensor([[1.0000, 0.6065],
            [0.6065, 1.0000]])
    """
    x = x.flatten(1)
    sq = x.pow(2).sum(1)
    d2 = (sq[:, None] + sq[None, :] - 2.0 * x @ x.T).clamp_min(0.0)
    if sigma is None:
        off = d2.detach()[~torch.eye(len(x), dtype=torch.bool)]
        med = float(off.median().sqrt()) if len(off) else 1.0
        sigma = med if med > 0 else 1.0
    return torch.exp(-d2 / (2.0 * float(sigma) ** 2))


def hsic(K: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """The biased empirical HSIC ``tr(K H L H) / (m - 1)^2`` of two kernel matrices.

    Parameters
    ----------
    K, L : torch.Tensor of shape (m, m)
        Kernel (Gram) matrices of the same ``m >= 2`` records.

    Returns
    -------
    torch.Tensor
        A scalar, >= 0 for positive semi-definite kernels (0 when either is constant).

    Raises
    ------
    ValueError
        For matrices that are not square, of different sizes, or of fewer than two records.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.0], [1.0], [2.0]])
    >>> float(hsic(x @ x.T, torch.ones(3, 3)))
    0.0
    >>> round(float(hsic(x @ x.T, x @ x.T)), 3)
    1.0
    """
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.shape != L.shape or len(K) < 2:
        raise ValueError(f"need two square kernel matrices of one size >= 2, got {tuple(K.shape)} "
                         f"and {tuple(L.shape)}")
    m = len(K)
    Kc = K - K.mean(0, keepdim=True)
    Lc = L - L.mean(0, keepdim=True)
    return (Kc * Lc.T).sum() / (m - 1) ** 2


class BiDOHead(nn.Module):
    """A head with ReLU hidden layers whose outputs BiDO regularises, then a linear layer.

    Parameters
    ----------
    in_features : int
        Width of the backbone's features.
    n_classes : int
        Number of classes.
    hidden : tuple of int, default=(32,)
        Widths of the hidden layers ``Z_1, Z_2, ...``.

    Attributes
    ----------
    layers : torch.nn.ModuleList
        The hidden linear layers (each followed by a ReLU).
    classifier : torch.nn.Linear
        The last layer.

    Examples
    --------
    >>> import torch
    >>> head = BiDOHead(8, 3, hidden=(5,))
    >>> logits, hiddens = head.forward_with_hidden(torch.zeros(4, 8))
    >>> logits.shape, [tuple(h.shape) for h in hiddens]
    (torch.Size([4, 3]), [(4, 5)])
    """

    def __init__(self, in_features: int, n_classes: int, hidden=(32,)):
        super().__init__()
        hidden = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
        if not hidden or any(not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
            raise ValueError(f"BiDOHead: hidden must be positive widths (at least one), got {hidden!r}")
        widths = (int(in_features),) + tuple(int(h) for h in hidden)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.classifier = nn.Linear(widths[-1], int(n_classes))

    def forward_with_hidden(self, h: torch.Tensor) -> tuple[torch.Tensor, list]:
        """The logits and every hidden representation of a batch of features.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, in_features)
            The backbone's features.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_classes)
            The outputs.
        hiddens : list of torch.Tensor
            The output of each hidden layer (after its ReLU).

        Examples
        --------
        >>> import torch
        >>> len(BiDOHead(4, 2, hidden=(3, 3)).forward_with_hidden(torch.zeros(1, 4))[1])
        2
        """
        hiddens = []
        for layer in self.layers:
            h = F.relu(layer(h))
            hiddens.append(h)
        return self.classifier(h), hiddens

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """The logits of a batch of features.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, in_features)
            The backbone's features.

        Returns
        -------
        torch.Tensor of shape (batch, n_classes)

        Examples
        --------
        >>> import torch
        >>> BiDOHead(4, 2)(torch.zeros(3, 4)).shape
        torch.Size([3, 2])
        """
        return self.forward_with_hidden(h)[0]


def bido_head(hidden=(32,)):
    """A head factory for :func:`midlib.nn.make_classifier`: a :class:`BiDOHead`.

    Parameters
    ----------
    hidden : int or tuple of int, default=(32,)
        Widths of the regularised hidden layers.

    Returns
    -------
    callable
        ``(in_features, n_classes) -> BiDOHead``.

    Examples
    --------
    >>> bido_head(16)(8, 3).classifier.in_features
    16
    """
    BiDOHead(1, 2, hidden)  # validate now, not at model construction
    return lambda in_features, n_classes: BiDOHead(in_features, n_classes, hidden)


def find_bido(model: nn.Module) -> BiDOHead:
    """The one :class:`BiDOHead` inside ``model`` (the model itself if it is one).

    Parameters
    ----------
    model : torch.nn.Module
        A network built with ``make_classifier(..., head=bido_head(...))``.

    Returns
    -------
    BiDOHead

    Raises
    ------
    ValueError
        If ``model`` holds none or several.

    Examples
    --------
    >>> from midlib.nn import make_classifier
    >>> find_bido(make_classifier((4,), 2, hidden=(), head=bido_head(3), seed=0)).classifier
    Linear(in_features=3, out_features=2, bias=True)
    """
    if isinstance(model, BiDOHead):
        return model
    heads = [m for m in model.modules() if isinstance(m, BiDOHead)]
    if len(heads) != 1:
        raise ValueError(f"BiDO needs a model with exactly one BiDOHead (build it with "
                         f"make_classifier(..., head=bido_head(...))); found {len(heads)}")
    return heads[0]


class BiDORegularizer:
    """BiDO-HSIC's term for :func:`midlib.nn.train_classifier`'s regularizer hook.

    Called as ``regularizer(net, xb, yb)``, it returns the logits and
    ``sum_j [HSIC(X, Z_j) - ratio * HSIC(Z_j, Y)]`` over the head's hidden layers (and the
    backbone's features when the backbone is trained); the loop adds ``weight`` times it to the
    cross-entropy, so ``lambda_x = weight`` and ``lambda_y = ratio * weight``.

    Parameters
    ----------
    lambda_x : float, default=0.05
        The weight of the input-dependence penalty (>= 0); 0.05 on CelebA in the official code.
    ratio : float, default=10.0
        ``lambda_y / lambda_x`` (>= 0; 0.5 / 0.05 in the official code).
    sigma : float, default=None
        The Gaussian kernels' bandwidth (None: the median heuristic per batch).

    Attributes
    ----------
    weight : float
        ``lambda_x``, read by the training loop.
    ratio : float
        ``lambda_y / lambda_x``.
    uses_labels : bool
        True: the loop passes the labels.

    Examples
    --------
    >>> import torch
    >>> from midlib.nn import make_classifier
    >>> net = make_classifier((6,), 3, hidden=(), head=bido_head(4), seed=0)
    >>> logits, term = BiDORegularizer(0.1)(net, torch.randn(8, 6), torch.arange(8) % 3)
    >>> logits.shape, term.shape
    (torch.Size([8, 3]), torch.Size([]))
    """

    uses_labels = True

    def __init__(self, lambda_x: float = 0.05, ratio: float = 10.0, sigma: float | None = None):
        for name, v in (("lambda_x", lambda_x), ("ratio", ratio)):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) \
                    or not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        self.weight, self.ratio, self.sigma = float(lambda_x), float(ratio), sigma

    def check(self, model: nn.Module) -> None:
        """Raise a ValueError unless ``model`` has one :class:`BiDOHead` and ``features``.

        Parameters
        ----------
        model : torch.nn.Module
            The network to train.

        Examples
        --------
        >>> from midlib.nn import make_classifier
        >>> BiDORegularizer().check(make_classifier((4,), 2, hidden=(), head=bido_head(3)))
        """
        find_bido(model)
        if not hasattr(model, "features"):
            raise ValueError("BiDO needs a model with features(x) feeding its BiDOHead")

    def terms(self, net: nn.Module, xb: torch.Tensor, yb: torch.Tensor):
        """The logits and the two dependence sums of a batch.

        Parameters
        ----------
        net : torch.nn.Module
            The network (or Opacus's wrapper around it).
        xb : torch.Tensor of shape (batch, ...)
            Inputs.
        yb : torch.Tensor of shape (batch,)
            Labels.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_classes)
        hsic_x : torch.Tensor
            ``sum_j HSIC(X, Z_j)``.
        hsic_y : torch.Tensor
            ``sum_j HSIC(Z_j, Y)``.

        Examples
        --------
        >>> import torch
        >>> from midlib.nn import make_classifier
        >>> net = make_classifier((6,), 3, hidden=(), head=bido_head(4), seed=0)
        >>> _, hx, hy = BiDORegularizer().terms(net, torch.randn(8, 6), torch.arange(8) % 3)
        >>> bool(hx >= 0), bool(hy >= 0)
        (True, True)
        """
        module = net if hasattr(net, "features") else getattr(net, "_module", net)
        feats = module.features(xb)
        logits, hiddens = find_bido(module).forward_with_hidden(feats)
        body = getattr(module, "body", None)
        if body is not None and any(p.requires_grad for p in body.parameters()):
            hiddens = [feats] + hiddens  # a trained backbone's features are a representation too
        kx = gaussian_gram(xb, self.sigma)
        ky = F.one_hot(yb.long(), logits.shape[1]).float()
        ky = ky @ ky.T
        hx = sum(hsic(kx, gaussian_gram(z, self.sigma)) for z in hiddens)
        hy = sum(hsic(gaussian_gram(z, self.sigma), ky) for z in hiddens)
        return logits, hx, hy

    def __call__(self, net: nn.Module, xb: torch.Tensor, yb: torch.Tensor):
        """The logits and ``HSIC(X, Z) - ratio * HSIC(Z, Y)`` (summed over layers) of a batch.

        Parameters
        ----------
        net : torch.nn.Module
            The network (or Opacus's wrapper around it).
        xb : torch.Tensor of shape (batch, ...)
            Inputs.
        yb : torch.Tensor of shape (batch,)
            Labels.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_classes)
        term : torch.Tensor
            A scalar; the loop adds ``weight * term`` to the cross-entropy.

        Examples
        --------
        >>> import torch
        >>> from midlib.nn import make_classifier
        >>> net = make_classifier((6,), 3, hidden=(), head=bido_head(4), seed=0)
        >>> BiDORegularizer(0.1)(net, torch.randn(8, 6), torch.arange(8) % 3)[1].ndim
        0
        """
        logits, hx, hy = self.terms(net, xb, yb)
        return logits, hx - self.ratio * hy

    def __repr__(self):
        return f"BiDORegularizer(lambda_x={self.weight}, ratio={self.ratio})"
