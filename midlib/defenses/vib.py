"""MID for neural networks: the variational information bottleneck (VIB) head.

As in the official code of Wang, Zhang and Jia (AAAI 2021): encoder features ``h`` go through a
linear layer to ``2k`` numbers; the first ``k`` are the mean ``mu``, the last ``k`` give the
standard deviation ``std = softplus(raw - 5)``; the representation ``z = mu + std * eps`` with
``eps ~ N(0, I)`` is *sampled in training and at inference* (the predictor is stochastic, which is
what makes ``I(X; Yhat)`` finite and the regularizer meaningful); a linear classifier maps ``z``
to logits. The loss is ``CE + beta * KL(N(mu, std^2) || N(0, I))``.

Bound (proved in the book's chapter "MID for neural networks"): for any distribution of ``X``
and any density ``r(z)``, ``I(X; Yhat) <= I(X; Z) <= E_x KL(q(z|x) || r(z))``. With ``r = N(0, I)``
the right-hand side is the mean KL term of the loss, :func:`kl_bound_nats`.
:func:`mutual_information_mc` estimates ``I(X; Z)`` itself for ``X`` uniform over a data set.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from midlib.nn import as_tensors

#: The shift of the official code: std = softplus(raw - 5), so std starts near 0.0067.
STD_SHIFT = 5.0


class VIBHead(nn.Module):
    """A stochastic bottleneck head: ``h -> (mu, std) -> z ~ N(mu, diag(std^2)) -> logits``.

    Parameters
    ----------
    in_features : int
        Width of the features ``h`` from the backbone.
    n_classes : int
        Number of classes.
    k : int, default=64
        Dimension of the bottleneck ``z``.

    Attributes
    ----------
    encoder : torch.nn.Linear
        The layer from ``h`` to the ``2k`` numbers giving ``mu`` and ``std``.
    classifier : torch.nn.Linear
        The layer from ``z`` to the logits.

    Notes
    -----
    ``forward`` returns logits and keeps no state; :meth:`forward_with_kl` also returns each
    record's ``KL(N(mu, std^2) || N(0, I))`` (what :class:`VIBRegularizer` adds to the loss). The
    sampling happens in ``train()`` and ``eval()`` mode alike; seed ``torch`` for reproducible
    predictions.

    Examples
    --------
    >>> head = VIBHead(8, 3, k=4)
    >>> head(torch.zeros(5, 8)).shape
    torch.Size([5, 3])
    """

    def __init__(self, in_features: int, n_classes: int, k: int = 64):
        super().__init__()
        for name, value in (("in_features", in_features), ("n_classes", n_classes), ("k", k)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"VIBHead: {name} must be a positive integer, got {value!r}")
        self.in_features, self.n_classes, self.k = int(in_features), int(n_classes), int(k)
        self.encoder = nn.Linear(self.in_features, 2 * self.k)
        self.classifier = nn.Linear(self.k, self.n_classes)

    def encode(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The mean and standard deviation of q(z | x) for features ``h``.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, in_features)
            Features from the backbone.

        Returns
        -------
        mu : torch.Tensor of shape (batch, k)
            The mean of ``q(z | x)``: the first ``k`` outputs of ``encoder``.
        std : torch.Tensor of shape (batch, k)
            Its standard deviation, ``softplus(raw - 5)`` of the last ``k`` outputs ``raw``.

        Raises
        ------
        ValueError
            If ``h`` does not have shape ``(batch, in_features)``.

        Examples
        --------
        >>> import torch
        >>> from midlib.defenses import VIBHead
        >>> _ = torch.manual_seed(0)
        >>> mu, std = VIBHead(8, 3, k=4).encode(torch.zeros(5, 8))
        >>> mu.shape, std.shape
        (torch.Size([5, 4]), torch.Size([5, 4]))
        """
        if h.ndim != 2 or h.shape[1] != self.in_features:
            raise ValueError(
                f"VIBHead expects features of shape (batch, {self.in_features}), got {tuple(h.shape)}"
            )
        raw = self.encoder(h)
        mu = raw[:, : self.k]
        std = F.softplus(raw[:, self.k:] - STD_SHIFT)
        return mu, std

    def forward_with_kl(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits of one draw ``z ~ q(z | x)`` and each record's KL term.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, in_features)
            Features from the backbone.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_classes)
            The classifier's output on ``z = mu + std * eps``, ``eps ~ N(0, I)``.
        kl : torch.Tensor of shape (batch,)
            Each record's ``KL(N(mu, std^2) || N(0, I))`` in nats (:func:`gaussian_kl`).

        Examples
        --------
        >>> import torch
        >>> from midlib.defenses import VIBHead
        >>> _ = torch.manual_seed(0)
        >>> logits, kl = VIBHead(8, 3, k=4).forward_with_kl(torch.zeros(5, 8))
        >>> logits.shape, kl.shape
        (torch.Size([5, 3]), torch.Size([5]))
        """
        mu, std = self.encode(h)
        z = mu + std * torch.randn_like(std)
        return self.classifier(z), gaussian_kl(mu, std)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """Logits of one draw ``z ~ q(z | x)``.

        Parameters
        ----------
        h : torch.Tensor of shape (batch, in_features)
            Features from the backbone.

        Returns
        -------
        torch.Tensor of shape (batch, n_classes)
            The logits; a fresh draw of ``z`` on every call, in training and evaluation mode.

        Examples
        --------
        >>> import torch
        >>> from midlib.defenses import VIBHead
        >>> _ = torch.manual_seed(0)
        >>> VIBHead(8, 3, k=4)(torch.zeros(5, 8)).shape
        torch.Size([5, 3])
        """
        return self.forward_with_kl(h)[0]

    def extra_repr(self) -> str:
        """The sizes shown in the module's ``repr``.

        Returns
        -------
        str
            ``in_features``, ``n_classes`` and ``k``.

        Examples
        --------
        >>> from midlib.defenses import VIBHead
        >>> VIBHead(8, 3, k=4).extra_repr()
        'in_features=8, n_classes=3, k=4'
        """
        return f"in_features={self.in_features}, n_classes={self.n_classes}, k={self.k}"


def gaussian_kl(mu: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag(std^2)) || N(0, I))`` for each row, in nats.

    It is ``0.5 * sum(mu^2 + std^2 - 1 - log std^2)`` over the ``k`` coordinates.

    Parameters
    ----------
    mu : torch.Tensor of shape (batch, k)
        Means.
    std : torch.Tensor of shape (batch, k)
        Standard deviations (positive).

    Returns
    -------
    torch.Tensor of shape (batch,)
        The KL divergence of each row.

    Examples
    --------
    >>> import torch
    >>> from midlib.defenses.vib import gaussian_kl
    >>> gaussian_kl(torch.zeros(2, 3), torch.ones(2, 3))
    tensor([0., 0.])
    >>> gaussian_kl(torch.ones(1, 2), torch.ones(1, 2))
    tensor([1.])
    """
    var = std.pow(2)
    return 0.5 * (mu.pow(2) + var - 1.0 - torch.log(var)).sum(dim=1)


def vib_head(k: int = 64):
    """A head factory for :func:`midlib.nn.make_classifier`: a :class:`VIBHead` with a
    ``k``-dimensional bottleneck in place of the last linear layer (MID for networks).

    Parameters
    ----------
    k : int, default=64
        Dimension of the bottleneck ``z``.

    Returns
    -------
    callable
        ``(in_features, n_classes) -> VIBHead``.

    Examples
    --------
    >>> vib_head(4)(8, 3).k
    4
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return lambda in_features, n_classes: VIBHead(in_features, n_classes, k=int(k))


class VIBRegularizer:
    """MID's penalty for :func:`midlib.nn.train_classifier`: ``beta`` times the batch-mean KL.

    Called as ``regularizer(net, xb)``, it runs the network's body and its :class:`VIBHead` and
    returns ``(logits, mean KL)``; the training loop adds ``weight * KL`` to the cross-entropy.

    Parameters
    ----------
    beta : float, default=0.01
        The MID weight (0.003 on CelebA and 0.01 on CIFAR-10 in the official code).

    Attributes
    ----------
    weight : float
        ``beta``, read by the training loop.

    Examples
    --------
    >>> VIBRegularizer(0.01).weight
    0.01
    """

    def __init__(self, beta: float = 0.01):
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.floating)) \
                or beta < 0 or not math.isfinite(beta):
            raise ValueError(f"beta must be a finite number >= 0, got {beta}")
        self.beta = float(beta)
        self.weight = self.beta

    def check(self, model: nn.Module) -> None:
        """Raise a ValueError if ``model`` has no :class:`VIBHead` (and no ``features``).

        Parameters
        ----------
        model : torch.nn.Module
            The network to train, e.g. from ``make_classifier(..., head=vib_head(k))``.

        Raises
        ------
        ValueError
            If ``model`` holds no :class:`VIBHead` (or several), or has no ``features``
            method feeding it.

        Examples
        --------
        >>> from midlib.defenses import VIBRegularizer, vib_head
        >>> from midlib.nn import make_classifier
        >>> net = make_classifier((6,), 3, hidden=(8,), head=vib_head(4), seed=0)
        >>> VIBRegularizer(0.01).check(net)  # passes silently
        """
        find_vib(model)
        if not hasattr(model, "features"):
            raise ValueError("MID needs a model with features(x) feeding its VIBHead "
                             "(build it with make_classifier(..., head=vib_head(k)))")

    def __call__(self, net: nn.Module, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run ``net`` on a batch through its :class:`VIBHead`.

        Parameters
        ----------
        net : torch.nn.Module
            The network, with a ``features`` method feeding its :class:`VIBHead` (or the
            wrapper Opacus puts around such a network, under DP-SGD).
        xb : torch.Tensor of shape (batch, ...)
            A batch of inputs.

        Returns
        -------
        logits : torch.Tensor of shape (batch, n_classes)
            The logits of one draw of ``z`` per record.
        kl : torch.Tensor
            The batch-mean KL term (a scalar), which the training loop weighs by ``weight``.

        Examples
        --------
        >>> import torch
        >>> from midlib.defenses import VIBRegularizer, vib_head
        >>> from midlib.nn import make_classifier
        >>> net = make_classifier((6,), 3, hidden=(8,), head=vib_head(4), seed=0)
        >>> logits, kl = VIBRegularizer(0.01)(net, torch.zeros(5, 6))
        >>> logits.shape, kl.shape
        (torch.Size([5, 3]), torch.Size([]))
        """
        # under DP-SGD, Opacus wraps the model; its hooks on the layers fire on any call path
        module = net if hasattr(net, "features") else getattr(net, "_module", net)
        logits, kl = find_vib(module).forward_with_kl(module.features(xb))
        return logits, kl.mean()

    def __repr__(self):
        return f"VIBRegularizer(beta={self.beta})"


def find_vib(model: nn.Module) -> VIBHead:
    """The :class:`VIBHead` inside ``model`` (the model itself if it is one).

    Parameters
    ----------
    model : torch.nn.Module
        A :class:`VIBHead` or a network holding exactly one.

    Returns
    -------
    VIBHead
        The head.

    Raises
    ------
    ValueError
        If ``model`` holds no :class:`VIBHead`, or several.

    Examples
    --------
    >>> from midlib.defenses import find_vib, vib_head
    >>> from midlib.nn import make_classifier
    >>> net = make_classifier((6,), 3, hidden=(8,), head=vib_head(4), seed=0)
    >>> find_vib(net).k
    4
    """
    if isinstance(model, VIBHead):
        return model
    heads = [m for m in model.modules() if isinstance(m, VIBHead)]
    if not heads:
        raise ValueError(
            "this model has no VIBHead: build it with make_classifier(..., head=vib_head(k)) to use MID"
        )
    if len(heads) > 1:
        raise ValueError(f"this model has {len(heads)} VIBHeads; pass the head you mean")
    return heads[0]


@torch.no_grad()
def posterior(model_or_head: nn.Module, X, batch_size: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mu, std)`` of q(z | x) for every record of ``X``.

    ``model_or_head`` is a model holding one :class:`VIBHead` (then ``X`` are its inputs) or a
    head itself (then ``X`` are features). Computed in evaluation mode without gradients; the
    model's training mode is restored afterwards.

    Parameters
    ----------
    model_or_head : torch.nn.Module
        A model with a ``features`` method feeding its one :class:`VIBHead`, or a head.
    X : array-like or torch.Tensor of shape (n, ...)
        The model's inputs (or the head's features).
    batch_size : int, default=512
        Records encoded at a time.

    Returns
    -------
    mu : torch.Tensor of shape (n, k)
        The means of ``q(z | x)``.
    std : torch.Tensor of shape (n, k)
        Their standard deviations.

    Examples
    --------
    >>> import torch
    >>> from midlib.defenses import VIBHead
    >>> from midlib.defenses.vib import posterior
    >>> _ = torch.manual_seed(0)
    >>> mu, std = posterior(VIBHead(8, 3, k=4), torch.zeros(10, 8))
    >>> mu.shape, std.shape
    (torch.Size([10, 4]), torch.Size([10, 4]))
    """
    head = find_vib(model_or_head)
    X = as_tensors(X)
    was_training = model_or_head.training
    model_or_head.eval()
    mus, stds = [], []
    try:
        for start in range(0, len(X), batch_size):
            xb = X[start:start + batch_size]
            mu, std = head.encode(xb if model_or_head is head else model_or_head.features(xb))
            mus.append(mu)
            stds.append(std)
    finally:
        model_or_head.train(was_training)
    return torch.cat(mus), torch.cat(stds)


def kl_bound_nats(model_or_head: nn.Module, X) -> float:
    """``E_x KL(q(z|x) || N(0, I))`` over the records of ``X`` (nats).

    An upper bound on ``I(X; Z) >= I(X; Yhat)`` for ``X`` uniform over these records (and, in
    expectation, for the distribution they are drawn from).

    Parameters
    ----------
    model_or_head : torch.nn.Module
        A model with a ``features`` method feeding its one :class:`VIBHead`, or a head
        (see :func:`posterior`).
    X : array-like or torch.Tensor of shape (n, ...)
        The records (the model's inputs, or the head's features).

    Returns
    -------
    float
        The mean KL term, in nats (computed in float64).

    Examples
    --------
    >>> import torch
    >>> from midlib.defenses import VIBHead, kl_bound_nats
    >>> _ = torch.manual_seed(0)
    >>> head = VIBHead(8, 3, k=4)
    >>> kl_bound_nats(head, torch.randn(20, 8)) > 0
    True
    """
    mu, std = posterior(model_or_head, X)
    return float(gaussian_kl(mu.double(), std.double()).mean())


def mutual_information_mc(model_or_head: nn.Module, X, n_z: int = 16, seed: int = 0,
                          max_records: int | None = 1000) -> tuple[float, float]:
    """Monte-Carlo estimate of ``I(X; Z)`` for ``X`` uniform over the records of ``X``.

    With ``X`` uniform over N records the marginal of ``Z`` is the mixture
    ``(1/N) sum_j q(z | x_j)``, so
    ``I(X; Z) = E_i E_{z ~ q(.|x_i)} [log q(z | x_i) - log (1/N) sum_j q(z | x_j)]``
    exactly; only the inner expectation over ``z`` is sampled (``n_z`` draws per record).
    The estimate lies in ``[0, log N]``. ``max_records`` caps N (a seeded subsample) to keep
    the N x N x k computation small.

    Parameters
    ----------
    model_or_head : torch.nn.Module
        A model with a ``features`` method feeding its one :class:`VIBHead`, or a head
        (see :func:`posterior`).
    X : array-like or torch.Tensor of shape (N, ...)
        The records (the model's inputs, or the head's features).
    n_z : int, default=16
        Draws of ``z`` per record, >= 1.
    seed : int, default=0
        Seeds the subsample and the draws (the global torch generator is not used).
    max_records : int or None, default=1000
        The largest number of records used (None: all of them).

    Returns
    -------
    estimate : float
        The estimate of ``I(X; Z)`` in nats.
    se : float
        Its standard error over records (NaN for a single record).

    Raises
    ------
    ValueError
        If ``n_z < 1``.

    Examples
    --------
    With the initial, tiny standard deviations the records' posteriors barely overlap, so the
    estimate is ``log N``:

    >>> import math
    >>> import torch
    >>> from midlib.defenses import VIBHead, mutual_information_mc
    >>> _ = torch.manual_seed(0)
    >>> head = VIBHead(8, 3, k=4)
    >>> est, se = mutual_information_mc(head, torch.randn(20, 8), n_z=4)
    >>> round(est, 3), round(math.log(20), 3)
    (2.996, 2.996)
    """
    if n_z < 1:
        raise ValueError(f"n_z must be >= 1, got {n_z}")
    mu, std = posterior(model_or_head, X)
    mu, std = mu.double(), std.double()
    gen = torch.Generator().manual_seed(int(seed))
    if max_records is not None and len(mu) > max_records:
        keep = torch.randperm(len(mu), generator=gen)[:max_records]
        mu, std = mu[keep], std[keep]
    n, k = mu.shape
    log_std = torch.log(std)
    terms = []
    for _ in range(n_z):
        z = mu + std * torch.randn(mu.shape, generator=gen, dtype=mu.dtype)  # (n, k)
        # log q(z_i | x_j) for all i, j: (n, n)
        diff = (z[:, None, :] - mu[None, :, :]) / std[None, :, :]
        log_q = -0.5 * diff.pow(2).sum(-1) - log_std.sum(-1)[None, :] - 0.5 * k * math.log(2 * math.pi)
        own = log_q.diagonal()
        mix = torch.logsumexp(log_q, dim=1) - math.log(n)
        terms.append(own - mix)
    per_record = torch.stack(terms).mean(0)  # average over z draws, one value per record
    est = float(per_record.mean())
    se = float(per_record.std(unbiased=True) / math.sqrt(n)) if n > 1 else float("nan")
    return est, se


@torch.no_grad()
def label_mutual_information(model: nn.Module, X, n_draws: int = 256, seed: int = 0) -> float:
    """Plug-in estimate of ``I(X; Yhat)`` (nats) for ``X`` uniform over the records of ``X`` and
    ``Yhat`` the label a stochastic model outputs (the argmax of one draw of its logits):
    ``H(mean_x p(.|x)) - mean_x H(p(.|x))`` with ``p(.|x)`` the frequencies over ``n_draws``
    draws. The plug-in conditional entropy is biased low by at most about
    ``(n_classes - 1) / (2 n_draws)`` nats, so the estimate may exceed the truth by that much.

    The draws run in evaluation mode with the torch generator forked and seeded by ``seed``
    (the global generator is left as it was); the model's training mode is restored.

    Parameters
    ----------
    model : torch.nn.Module
        A stochastic classifier mapping inputs to logits (e.g. a network with a
        :class:`VIBHead`, or a head itself).
    X : array-like or torch.Tensor of shape (n, ...)
        The records.
    n_draws : int, default=256
        Draws of the output per record, >= 1.
    seed : int, default=0
        Seeds the draws.

    Returns
    -------
    float
        The plug-in estimate of ``I(X; Yhat)`` in nats.

    Raises
    ------
    ValueError
        If ``n_draws < 1``.

    Examples
    --------
    >>> import math
    >>> import torch
    >>> from midlib.defenses import VIBHead, label_mutual_information
    >>> _ = torch.manual_seed(0)
    >>> head = VIBHead(8, 3, k=4)
    >>> info = label_mutual_information(head, torch.randn(20, 8), n_draws=16)
    >>> 0 <= info <= math.log(3)
    True
    """
    if n_draws < 1:
        raise ValueError(f"n_draws must be >= 1, got {n_draws}")
    X = as_tensors(X)
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            counts = None
            for _ in range(n_draws):
                labels = model(X).argmax(1)
                onehot = F.one_hot(labels, num_classes=model(X[:1]).shape[1]).double()
                counts = onehot if counts is None else counts + onehot
    finally:
        model.train(was_training)
    p = counts / n_draws

    def entropy(q):
        return -(q * torch.log(torch.where(q > 0, q, torch.ones_like(q)))).sum(-1)

    return float(entropy(p.mean(0)) - entropy(p).mean())
