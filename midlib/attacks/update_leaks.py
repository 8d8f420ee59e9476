"""Update-Leaks (Salem et al., USENIX Security 2020): the label of a model update.

A deployed model ``f`` is updated with a small *update set* (here one record ``(x, y)``) into
``f'``. The adversary has black-box access to both versions and a fixed *probe set* of records
of its own; it queries both versions on the probe set and sees the change of the output
posteriors, ``delta = f'(probe) - f(probe)`` (flattened). From ``delta`` it infers the label
``y`` of the update record.

The adversary learns the map ``delta -> y`` on *shadow updates*: it trains a shadow model the
way the target was trained, on data of its own from the same distribution, updates copies of it
with records whose labels it knows, and fits a classifier (the *attack model*) to the pairs
``(delta, y)``; then it applies the attack model to the target's ``delta``.

Defences: MID (the model is a VIB, predicting with a fresh draw of ``z`` at every query, and the
update minimises the VIB loss) and DP-SGD for the update (per-sample gradients clipped to
``max_grad_norm``, Gaussian noise of standard deviation ``noise_multiplier * max_grad_norm``;
the noise for a target epsilon and the epsilon spent come from Opacus's RDP accountant, with
sampling rate 1 since every update step uses the whole update set).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from midlib.defenses.dp_sgd import (DPConfig, add_gaussian_noise, clip_per_record,
                                    noise_multiplier_for, rdp_epsilon)
from midlib.defenses.vib import VIBRegularizer
from midlib.nn import as_tensors, predict_proba
from midlib.progress import progress

__all__ = [
    "UpdateConfig", "update_model", "posterior_change", "simulate_updates", "UpdateLeaksAttack",
    "batched_updates", "batched_posteriors", "label_inference_bound",
]


@dataclass
class UpdateConfig:
    """How a model is updated: ``steps`` full-batch SGD steps of learning rate ``lr``.

    The steps run on the update set; ``beta`` adds MID's VIB term to the loss and ``dp`` makes
    each step a DP-SGD step (see :func:`update_model`).

    Parameters
    ----------
    steps : int, default=5
        Full-batch SGD steps of an update.
    lr : float, default=0.05
        The learning rate of every step.
    beta : float, default=0.0
        The VIB weight (MID; needs a VIB model; 0: plain cross-entropy).
    dp : DPConfig or None, default=None
        A :class:`midlib.defenses.dp_sgd.DPConfig` for a DP-SGD update (None: no DP); its
        ``epsilon`` (a target for one update, sampling rate 1) or ``noise_multiplier``, its
        ``delta`` and its clipping norm ``max_grad_norm`` apply.

    Attributes
    ----------
    steps : int
        Full-batch SGD steps of an update.
    lr : float
        The learning rate.
    beta : float
        The VIB weight.
    dp : DPConfig or None
        The DP-SGD configuration.

    Examples
    --------
    >>> from midlib.defenses import DPConfig
    >>> config = UpdateConfig(steps=2, dp=DPConfig(noise_multiplier=1.0))
    >>> config.noise_multiplier(), round(config.epsilon(), 2)
    (1.0, 7.08)
    >>> UpdateConfig(steps=2).epsilon() is None
    True
    """

    steps: int = 5
    lr: float = 0.05
    beta: float = 0.0
    dp: object | None = None

    def __post_init__(self):
        if not isinstance(self.steps, (int, np.integer)) or self.steps < 1:
            raise ValueError(f"UpdateConfig: steps must be a positive integer, got {self.steps!r}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"UpdateConfig: lr must be a finite number > 0, got {self.lr}")
        if not (self.beta >= 0 and math.isfinite(self.beta)):
            raise ValueError(f"UpdateConfig: beta must be a finite number >= 0, got {self.beta}")
        if self.dp is not None and not isinstance(self.dp, DPConfig):
            raise TypeError(f"UpdateConfig: dp must be a DPConfig or None, got {type(self.dp).__name__}")

    def noise_multiplier(self) -> float | None:
        """The DP noise multiplier of the update (None without DP).

        The configured ``noise_multiplier``, or else the one that reaches the configured
        epsilon after ``steps`` steps with sampling rate 1 (Opacus's RDP accountant).

        Returns
        -------
        float or None
            The noise multiplier (None without DP).

        Examples
        --------
        >>> from midlib.defenses import DPConfig
        >>> UpdateConfig(steps=2, dp=DPConfig(noise_multiplier=1.5)).noise_multiplier()
        1.5
        >>> UpdateConfig().noise_multiplier() is None
        True
        """
        if self.dp is None:
            return None
        if self.dp.noise_multiplier is not None:
            return float(self.dp.noise_multiplier)
        return noise_multiplier_for(float(self.dp.epsilon), float(self.dp.delta), 1.0, int(self.steps))

    def epsilon(self) -> float | None:
        """The epsilon one update spends (Opacus RDP accountant; None without DP).

        The epsilon of (epsilon, delta)-DP with respect to adding or removing the update
        record, for the configured delta, ``steps`` steps and sampling rate 1.

        Returns
        -------
        float or None
            The epsilon (None without DP).

        Examples
        --------
        >>> from midlib.defenses import DPConfig
        >>> round(UpdateConfig(steps=2, dp=DPConfig(noise_multiplier=1.0)).epsilon(), 2)
        7.08
        """
        if self.dp is None:
            return None
        return rdp_epsilon(self.noise_multiplier(), 1.0, int(self.steps), float(self.dp.delta))

    def replacement_epsilon(self) -> float | None:
        """The epsilon of one update for *replacing* the update record by another.

        With delta as configured: two clipped gradients differ by at most
        ``2 * max_grad_norm``, so each step is a Gaussian mechanism with half the noise
        multiplier; Opacus's RDP accountant (sampling rate 1) composes the steps. This is the
        epsilon that :func:`label_inference_bound` needs.

        Returns
        -------
        float or None
            The replacement epsilon (None without DP).

        Examples
        --------
        >>> from midlib.defenses import DPConfig
        >>> config = UpdateConfig(steps=2, dp=DPConfig(noise_multiplier=1.0))
        >>> round(config.replacement_epsilon(), 2)
        16.51
        """
        if self.dp is None:
            return None
        return rdp_epsilon(self.noise_multiplier() / 2, 1.0, int(self.steps), float(self.dp.delta))


class _Penalised(nn.Module):
    """``net`` whose forward returns ``regularizer(net, x)``, i.e. (logits, KL): lets
    ``torch.func.functional_call`` run MID's loss on batched parameters."""

    def __init__(self, net: nn.Module, regularizer):
        super().__init__()
        self.net = net
        self.regularizer = regularizer

    def forward(self, x):
        return self.regularizer(self.net, x)


def _check_update(model: nn.Module, X, y, config) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate an update's configuration and records; return them as tensors."""
    if not isinstance(config, UpdateConfig):
        raise TypeError(f"config must be an UpdateConfig, got {type(config).__name__}")
    Xt, yt = as_tensors(X, y)
    n_classes = getattr(model, "n_classes", None)
    if n_classes is not None and (yt.min() < 0 or yt.max() >= n_classes):
        raise ValueError(f"update labels must lie in 0..{n_classes - 1}")
    return Xt, yt


def update_model(model: nn.Module, X, y, config: UpdateConfig, seed: int | None = 0) -> nn.Module:
    """A copy of ``model`` updated on ``(X, y)`` by ``config`` (``model`` is left unchanged).

    Each step: the gradient of the mean loss (cross-entropy, plus ``beta`` times the VIB's KL
    term for MID); with DP, per-record gradients clipped to ``max_grad_norm``, summed, plus
    Gaussian noise ``N(0, (noise_multiplier * max_grad_norm)^2)`` per coordinate, divided by the
    number of records. The VIB's draws and the DP noise come from torch's global generator,
    seeded with ``seed`` inside a forked state (``seed=None``: the generator as it stands).

    Parameters
    ----------
    model : torch.nn.Module
        The deployed model (a VIB model when ``config.beta > 0``).
    X : array-like of shape (n, ...)
        The update set's inputs.
    y : array-like of shape (n,)
        Its labels, within the model's classes.
    config : UpdateConfig
        How the model is updated.
    seed : int or None, default=0
        Seeds the VIB's draws and the DP noise (None: the global generator as it stands).

    Returns
    -------
    torch.nn.Module
        The updated copy, in eval mode.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4,), 3, hidden=(8,), seed=0)
    >>> X = np.random.default_rng(0).random((1, 4))
    >>> new = update_model(model, X, [2], UpdateConfig(steps=2))
    >>> new is model, type(new).__name__
    (False, 'Classifier')
    """
    Xt, yt = _check_update(model, X, y, config)
    regularizer = VIBRegularizer(config.beta) if config.beta > 0 else None
    if regularizer is not None:
        regularizer.check(model)
    new = copy.deepcopy(model)
    new.train()
    params = [p for p in new.parameters() if p.requires_grad]
    sigma = config.noise_multiplier()

    def loss_of(xb, yb):
        if regularizer is None:
            return F.cross_entropy(new(xb), yb)
        logits, kl = regularizer(new, xb)
        return F.cross_entropy(logits, yb) + config.beta * kl

    def run():
        for _ in range(int(config.steps)):
            if config.dp is None:
                grads = torch.autograd.grad(loss_of(Xt, yt), params)
            else:
                per_record = [torch.autograd.grad(loss_of(Xt[i:i + 1], yt[i:i + 1]), params)
                              for i in range(len(Xt))]
                stacked = {k: torch.stack([g[k] for g in per_record]) for k in range(len(params))}
                clipped = clip_per_record(stacked, float(config.dp.max_grad_norm))
                summed = {k: v.sum(0) for k, v in clipped.items()}
                noisy = add_gaussian_noise(summed, sigma, float(config.dp.max_grad_norm))
                grads = [noisy[k] / len(Xt) for k in range(len(params))]
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p.sub_(config.lr * g)

    if seed is None:
        run()
    else:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            run()
    return new.eval()


def posterior_change(before: nn.Module, after: nn.Module, probe, n_samples: int = 1,
                     seed: int | None = 0) -> np.ndarray:
    """The attack's input: the change of the posteriors on the probe set, flattened.

    ``after(probe) - before(probe)``, flattened to ``(n_probe * n_classes,)``. Each version is
    queried once per probe record (a VIB draws a fresh ``z`` per query; ``n_samples > 1``
    averages that many draws per query).

    Parameters
    ----------
    before : torch.nn.Module
        The model before the update.
    after : torch.nn.Module
        The model after the update.
    probe : array-like of shape (n_probe, ...)
        The adversary's probe records.
    n_samples : int, default=1
        Draws averaged per query (stochastic models).
    seed : int or None, default=0
        Seeds the draws (``seed`` for ``before``, ``seed + 1`` for ``after``; None: the
        global generator as it stands).

    Returns
    -------
    ndarray of shape (n_probe * n_classes,)
        The posterior change.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4,), 3, hidden=(8,), seed=0)
    >>> rng = np.random.default_rng(0)
    >>> new = update_model(model, rng.random((1, 4)), [2], UpdateConfig(steps=2))
    >>> posterior_change(model, new, rng.random((5, 4))).shape
    (15,)
    """
    p0 = predict_proba(before, probe, n_samples=n_samples, seed=seed)
    p1 = predict_proba(after, probe, n_samples=n_samples, seed=None if seed is None else seed + 1)
    return (p1 - p0).ravel()


def batched_updates(model: nn.Module, X, y, config: UpdateConfig) -> dict:
    """``len(X)`` independent one-record updates of ``model`` at once, one per record.

    One update per record of ``(X, y)``: the same steps as :func:`update_model` (VIB loss for
    MID, clipping and Gaussian noise for DP), vectorised with ``torch.func.vmap`` (fresh VIB
    draws and DP noise for every update, from torch's global generator). ``model`` itself is
    left unchanged.

    Parameters
    ----------
    model : torch.nn.Module
        The deployed model (a VIB model when ``config.beta > 0``).
    X : array-like of shape (n, ...)
        The update records' inputs, one update each.
    y : array-like of shape (n,)
        Their labels.
    config : UpdateConfig
        How the model is updated.

    Returns
    -------
    dict of str to torch.Tensor
        The updated parameters by name, each with a leading axis of length ``n`` (one
        version per update), for :func:`batched_posteriors`.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4,), 3, hidden=(8,), seed=0)
    >>> X = np.random.default_rng(0).random((6, 4))
    >>> params = batched_updates(model, X, [0, 1, 2, 0, 1, 2], UpdateConfig(steps=2))
    >>> tuple(params["head.weight"].shape)
    (6, 3, 8)
    """
    from torch.func import functional_call, grad, vmap

    Xt, yt = _check_update(model, X, y, config)
    regularizer = VIBRegularizer(config.beta) if config.beta > 0 else None
    if regularizer is not None:
        regularizer.check(model)
    buffers = dict(model.named_buffers())
    was_training = model.training
    model.train()

    def loss_fn(params, x, label):
        if regularizer is None:
            logits = functional_call(model, (params, buffers), (x[None],))
            return F.cross_entropy(logits, label[None])
        logits, kl = functional_call(_Penalised(model, regularizer), (
            {f"net.{k}": v for k, v in params.items()},
            {f"net.{k}": v for k, v in buffers.items()}), (x[None],))
        return F.cross_entropy(logits, label[None]) + config.beta * kl

    grad_fn = vmap(grad(loss_fn), in_dims=(0, 0, 0), randomness="different")
    n = len(Xt)
    params = {k: v.detach().unsqueeze(0).repeat(n, *[1] * v.ndim)
              for k, v in model.named_parameters()}
    sigma = config.noise_multiplier()
    try:
        for _ in range(int(config.steps)):
            g = grad_fn(params, Xt, yt)
            if config.dp is not None:  # each update has one record: clip it, then noise it
                c = float(config.dp.max_grad_norm)
                g = add_gaussian_noise(clip_per_record(g, c), sigma, c)
            params = {k: params[k] - config.lr * g[k] for k in params}
    finally:
        model.train(was_training)
    return {k: v.detach() for k, v in params.items()}


@torch.no_grad()
def batched_posteriors(model: nn.Module, params: dict | None, probe, n_versions: int | None = None
                       ) -> torch.Tensor:
    """Posteriors of many versions of ``model`` on ``probe``.

    The versions' parameters are ``params`` (from :func:`batched_updates`), or, with
    ``params=None``, ``n_versions`` queries of ``model`` itself (for a VIB, fresh draws of
    ``z`` for every version and probe). The model runs in eval mode, without gradients.

    Parameters
    ----------
    model : torch.nn.Module
        The model whose architecture (and buffers) the versions share.
    params : dict of str to torch.Tensor or None
        Batched parameters with a leading version axis, or None to query ``model`` itself.
    probe : array-like of shape (n_probe, ...)
        The probe records.
    n_versions : int, default=None
        The number of queries of ``model`` when ``params`` is None (ignored otherwise).

    Returns
    -------
    torch.Tensor of shape (n_versions, n_probe, n_classes)
        The class probabilities of each version on each probe record.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4,), 3, hidden=(8,), seed=0)
    >>> rng = np.random.default_rng(0)
    >>> params = batched_updates(model, rng.random((6, 4)), [0, 1, 2, 0, 1, 2],
    ...                          UpdateConfig(steps=2))
    >>> probe = rng.random((5, 4))
    >>> batched_posteriors(model, params, probe).shape
    torch.Size([6, 5, 3])
    >>> batched_posteriors(model, None, probe, n_versions=2).shape
    torch.Size([2, 5, 3])
    """
    from torch.func import functional_call, vmap

    P = torch.as_tensor(np.asarray(probe, dtype=np.float32))
    was_training = model.training
    model.eval()
    try:
        if params is None:
            if not isinstance(n_versions, (int, np.integer)) or n_versions < 1:
                raise ValueError("give n_versions >= 1 when params is None")
            rep = P.repeat(int(n_versions), *[1] * (P.ndim - 1))
            out = F.softmax(model(rep), dim=-1).view(int(n_versions), len(P), -1)
        else:
            buffers = dict(model.named_buffers())
            f = lambda p: F.softmax(functional_call(model, (p, buffers), (P,)), dim=-1)  # noqa: E731
            out = vmap(f, randomness="different")(params)
    finally:
        model.train(was_training)
    return out


def simulate_updates(model: nn.Module, X, y, probe, config: UpdateConfig, n_updates: int, *,
                     seed: int = 0, batch: int = 100, desc: str = "updates", n_average=1):
    """``n_updates`` one-record updates of ``model`` and the posterior changes they cause.

    Each update uses a record drawn at random (seeded; with replacement only when ``X`` has
    fewer than ``n_updates`` records) from ``(X, y)``; the updates are computed ``batch`` at a
    time by :func:`batched_updates`, and each version is queried ``n_average`` times per probe
    record, the answers averaged (the adaptive attacker against a stochastic, e.g. MID, model:
    averaging ``k`` queries divides the variance of its output noise by ``k``; one query is
    enough against a deterministic model).

    Parameters
    ----------
    model : torch.nn.Module
        The model before the updates (left unchanged).
    X : array-like of shape (n, ...)
        The records the update records are drawn from.
    y : array-like of shape (n,)
        Their labels.
    probe : array-like of shape (n_probe, ...)
        The adversary's probe records.
    config : UpdateConfig
        How the model is updated.
    n_updates : int
        The number of updates.
    seed : int, default=0
        Seeds the choice of records, the VIB's draws and the DP noise.
    batch : int, default=100
        Updates computed at once.
    desc : str, default="updates"
        The label of the progress bar (shown in a terminal only).
    n_average : int or sequence of int, default=1
        Queries averaged per version and probe record; a sequence gives the features for each
        of its values from the same updates.

    Returns
    -------
    features : ndarray of shape (n_updates, n_probe * n_classes), or dict of int to ndarray
        The posterior changes ``after(probe) - before(probe)``, flattened (a dict keyed by the
        number of queries when ``n_average`` is a sequence).
    labels : ndarray of shape (n_updates,)
        The labels of the update records.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4,), 3, hidden=(8,), seed=0)
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((6, 4)), np.array([0, 1, 2, 0, 1, 2])
    >>> features, labels = simulate_updates(model, X, y, rng.random((5, 4)),
    ...                                     UpdateConfig(steps=2), 20, seed=0)
    >>> features.shape, labels.shape
    ((20, 15), (20,))
    >>> by_k, _ = simulate_updates(model, X, y, rng.random((5, 4)), UpdateConfig(steps=2), 4,
    ...                            n_average=(1, 8))
    >>> sorted(by_k), by_k[8].shape
    ([1, 8], (4, 15))
    """
    Xt, yt = as_tensors(X, y)
    if not isinstance(n_updates, (int, np.integer)) or n_updates < 1:
        raise ValueError(f"n_updates must be a positive integer, got {n_updates!r}")
    ks = [n_average] if isinstance(n_average, (int, np.integer)) else list(n_average)
    if not ks or any(not isinstance(k, (int, np.integer)) or k < 1 for k in ks):
        raise ValueError(f"n_average must be a positive integer or a sequence of them, got {n_average!r}")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(Xt), size=int(n_updates), replace=len(Xt) < n_updates)
    feats = {int(k): [] for k in ks}
    k_max, probe = max(feats), np.asarray(probe, dtype=np.float32)
    n_probe = len(probe)
    reps = np.tile(probe, (k_max,) + (1,) * (probe.ndim - 1))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for start in progress(range(0, len(idx), batch), desc=desc):
            ix = idx[start:start + batch]
            params = batched_updates(model, Xt[ix], yt[ix], config)
            # all draws in one pass: the probe set repeated k_max times, (versions, k_max, probe, C)
            after = batched_posteriors(model, params, reps).view(len(ix), k_max, n_probe, -1)
            before = batched_posteriors(model, None, reps, n_versions=len(ix)).view(
                len(ix), k_max, n_probe, -1)
            for k in feats:  # nested: k = 1 is the first of the k_max draws
                delta = after[:, :k].mean(1) - before[:, :k].mean(1)
                feats[k].append(delta.flatten(1).numpy().astype(np.float64))
    out = {k: np.vstack(v) for k, v in feats.items()}
    return (out[int(ks[0])] if isinstance(n_average, (int, np.integer)) else out), yt[idx].numpy()


class UpdateLeaksAttack:
    """The attack model: multinomial logistic regression from a posterior change to a label.

    It predicts the label of the update record from the posterior change (scikit-learn
    ``LogisticRegression`` on standardised features); fit it on shadow updates
    (:func:`simulate_updates` on a shadow model) and apply it to the target's.

    Parameters
    ----------
    C : float, default=1.0
        The inverse regularisation strength (> 0).
    max_iter : int, default=2000
        The solver's maximum number of iterations.
    random_state : int, default=0
        Seeds the solver.

    Attributes
    ----------
    C : float
        The inverse regularisation strength.
    max_iter : int
        The solver's maximum number of iterations.
    random_state : int
        The solver's seed.
    n_features_in_ : int
        The number of features seen by :meth:`fit`.
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted scaler and logistic regression.
    classes_ : ndarray of shape (n_labels,)
        The labels seen by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = np.arange(20) % 2
    >>> features = rng.normal(size=(20, 3)) + 3 * labels[:, None]
    >>> UpdateLeaksAttack().fit(features, labels).classes_
    array([0, 1])
    """

    def __init__(self, C: float = 1.0, max_iter: int = 2000, random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, features, labels) -> "UpdateLeaksAttack":
        """Fit the attack model on shadow updates.

        Parameters
        ----------
        features : array-like of shape (n_updates, n_features)
            Posterior changes of shadow updates.
        labels : array-like of shape (n_updates,)
            The labels of their update records (at least two distinct labels).

        Returns
        -------
        UpdateLeaksAttack
            The fitted attack (``self``).

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> labels = np.arange(20) % 2
        >>> features = rng.normal(size=(20, 3)) + 3 * labels[:, None]
        >>> attack = UpdateLeaksAttack(C=0.5).fit(features, labels)
        >>> attack.n_features_in_
        3
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X, y = self._check(features, labels)
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C}")
        if len(np.unique(y)) < 2:
            raise ValueError("the shadow updates cover a single label: simulate more updates")
        self.n_features_in_ = X.shape[1]
        self.pipeline_ = make_pipeline(
            StandardScaler(),
            LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state))
        self.pipeline_.fit(X, y)
        self.classes_ = self.pipeline_.classes_
        return self

    def predict(self, features) -> np.ndarray:
        """The predicted label of the update record of each posterior change.

        Parameters
        ----------
        features : array-like of shape (n_updates, n_features)
            Posterior changes, with the columns of the fitting features (same probe set and
            model outputs).

        Returns
        -------
        ndarray of shape (n_updates,)
            The predicted labels.

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> labels = np.arange(20) % 2
        >>> features = rng.normal(size=(20, 3)) + 3 * labels[:, None]
        >>> attack = UpdateLeaksAttack().fit(features, labels)
        >>> attack.predict([[0.0, 0.0, 0.0], [3.0, 3.0, 3.0]])
        array([0, 1])
        """
        if not hasattr(self, "pipeline_"):
            raise RuntimeError("UpdateLeaksAttack is not fitted: call fit on shadow updates first")
        X = self._check(features)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"features have {X.shape[1]} columns, the attack was fitted on "
                             f"{self.n_features_in_}: use the same probe set and model outputs")
        return self.pipeline_.predict(X)

    def score(self, features, labels) -> float:
        """The attack's accuracy: the share of updates whose label it predicts.

        Parameters
        ----------
        features : array-like of shape (n_updates, n_features)
            Posterior changes of (e.g. the target's) updates.
        labels : array-like of shape (n_updates,)
            The true labels of their update records.

        Returns
        -------
        float
            The accuracy, in [0, 1].

        Examples
        --------
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> labels = np.arange(20) % 2
        >>> features = rng.normal(size=(20, 3)) + 3 * labels[:, None]
        >>> UpdateLeaksAttack().fit(features, labels).score(features, labels)
        1.0
        """
        X, y = self._check(features, labels)
        return float((self.predict(X) == y).mean())

    @staticmethod
    def _check(features, labels=None):
        X = np.asarray(features, dtype=float)
        if X.ndim != 2 or len(X) == 0:
            raise ValueError(f"features must have shape (n_updates, n_features), got {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("features contain NaN or infinite values")
        if labels is None:
            return X
        y = np.asarray(labels)
        if y.shape != (len(X),):
            raise ValueError(f"labels must have shape ({len(X)},), got {y.shape}")
        return X, y


def label_inference_bound(epsilon: float, delta: float, prior) -> float:
    """Largest success probability of any inference of the label of the update record.

    The bound holds for an update that is ``(epsilon, delta)``-DP with respect to *replacing*
    that record, when the record is drawn with label distribution ``prior``:
    ``e^epsilon max_c prior_c + delta``, capped at 1 (proved in the book's chapter
    "Update-Leaks and MID"). Use :meth:`UpdateConfig.replacement_epsilon` for the epsilon of a
    DP-SGD update.

    Parameters
    ----------
    epsilon : float
        The replacement epsilon of the update (>= 0).
    delta : float
        Its delta, in [0, 1).
    prior : array-like of shape (n_labels,)
        The label distribution of the update record (at least two labels, summing to 1).

    Returns
    -------
    float
        The bound on the success probability, in [0, 1].

    Examples
    --------
    >>> label_inference_bound(0.0, 0.0, [0.5, 0.5])
    0.5
    >>> round(label_inference_bound(1.0, 1e-5, [0.2] * 5), 3)
    0.544
    """
    prior = np.asarray(prior, dtype=float)
    if prior.ndim != 1 or len(prior) < 2 or (prior < 0).any() or not np.isclose(prior.sum(), 1):
        raise ValueError("prior must be a probability vector over at least two labels")
    if not epsilon >= 0 or not 0 <= delta < 1:
        raise ValueError(f"need epsilon >= 0 and 0 <= delta < 1, got {epsilon}, {delta}")
    return float(min(1.0, math.exp(epsilon) * prior.max() + delta))
