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
    """How a model is updated: ``steps`` full-batch SGD steps of learning rate ``lr`` on the
    update set; ``beta`` the VIB weight (MID; needs a VIB model); ``dp`` a
    :class:`midlib.defenses.dp_sgd.DPConfig` for a DP-SGD update (None: no DP)."""

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
        """The DP noise multiplier of the update (None without DP)."""
        if self.dp is None:
            return None
        if self.dp.noise_multiplier is not None:
            return float(self.dp.noise_multiplier)
        return noise_multiplier_for(float(self.dp.epsilon), float(self.dp.delta), 1.0, int(self.steps))

    def epsilon(self) -> float | None:
        """The epsilon one update spends (Opacus RDP accountant; None without DP)."""
        if self.dp is None:
            return None
        return rdp_epsilon(self.noise_multiplier(), 1.0, int(self.steps), float(self.dp.delta))

    def replacement_epsilon(self) -> float | None:
        """The epsilon of one update for *replacing* the update record by another (delta as
        configured): two clipped gradients differ by at most ``2 * max_grad_norm``, so each
        step is a Gaussian mechanism with half the noise multiplier; Opacus's RDP accountant
        (sampling rate 1) composes the steps. None without DP."""
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
    """The attack's input: ``after(probe) - before(probe)`` posteriors, flattened to
    ``(n_probe * n_classes,)``. Each version is queried once per probe record (a VIB draws a
    fresh ``z`` per query; ``n_samples > 1`` averages that many draws per query)."""
    p0 = predict_proba(before, probe, n_samples=n_samples, seed=seed)
    p1 = predict_proba(after, probe, n_samples=n_samples, seed=None if seed is None else seed + 1)
    return (p1 - p0).ravel()


def batched_updates(model: nn.Module, X, y, config: UpdateConfig) -> dict:
    """``len(X)`` independent one-record updates of ``model`` at once, one per record of
    ``(X, y)``: the same steps as :func:`update_model` (VIB loss for MID, clipping and Gaussian
    noise for DP), vectorised with ``torch.func.vmap`` (fresh VIB draws and DP noise for every
    update, from torch's global generator). Returns the updated parameters as a dict of
    tensors with a leading axis of length ``len(X)``, for :func:`batched_posteriors`."""
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
    """Posteriors ``(n_versions, n_probe, n_classes)`` of many versions of ``model`` on
    ``probe``: the versions' parameters are ``params`` (from :func:`batched_updates`), or, with
    ``params=None``, ``n_versions`` queries of ``model`` itself (for a VIB, fresh draws of
    ``z`` for every version and probe)."""
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
                     seed: int = 0, batch: int = 100, desc: str = "updates"):
    """``n_updates`` one-record updates of ``model``, each with a record drawn at random
    (seeded) from ``(X, y)``, computed ``batch`` at a time by :func:`batched_updates`. Returns
    ``(features, labels)``: the posterior changes ``after(probe) - before(probe)`` (each
    version queried once per probe record, flattened to ``(n_updates, n_probe * n_classes)``)
    and the labels of the update records."""
    Xt, yt = as_tensors(X, y)
    if not isinstance(n_updates, (int, np.integer)) or n_updates < 1:
        raise ValueError(f"n_updates must be a positive integer, got {n_updates!r}")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(Xt), size=int(n_updates), replace=len(Xt) < n_updates)
    feats = []
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for start in progress(range(0, len(idx), batch), desc=desc):
            ix = idx[start:start + batch]
            params = batched_updates(model, Xt[ix], yt[ix], config)
            after = batched_posteriors(model, params, probe)
            before = batched_posteriors(model, None, probe, n_versions=len(ix))
            feats.append((after - before).flatten(1).numpy().astype(np.float64))
    return np.vstack(feats), yt[idx].numpy()


class UpdateLeaksAttack:
    """The attack model: multinomial logistic regression from a posterior change to the label
    of the update record (scikit-learn ``LogisticRegression`` on standardised features).

    ``C`` is the inverse regularisation strength; ``random_state`` seeds the solver.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 2000, random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, features, labels) -> "UpdateLeaksAttack":
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
        if not hasattr(self, "pipeline_"):
            raise RuntimeError("UpdateLeaksAttack is not fitted: call fit on shadow updates first")
        X = self._check(features)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"features have {X.shape[1]} columns, the attack was fitted on "
                             f"{self.n_features_in_}: use the same probe set and model outputs")
        return self.pipeline_.predict(X)

    def score(self, features, labels) -> float:
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
    """Largest success probability of any inference of the label of the update record from an
    update that is ``(epsilon, delta)``-DP with respect to *replacing* that record, when the
    record is drawn with label distribution ``prior``: ``e^epsilon max_c prior_c + delta``,
    capped at 1 (proved in the book's chapter "Update-Leaks and MID").
    Use :meth:`UpdateConfig.replacement_epsilon` for the epsilon of a DP-SGD update.
    """
    prior = np.asarray(prior, dtype=float)
    if prior.ndim != 1 or len(prior) < 2 or (prior < 0).any() or not np.isclose(prior.sum(), 1):
        raise ValueError("prior must be a probability vector over at least two labels")
    if not epsilon >= 0 or not 0 <= delta < 1:
        raise ValueError(f"need epsilon >= 0 and 0 <= delta < 1, got {epsilon}, {delta}")
    return float(min(1.0, math.exp(epsilon) * prior.max() + delta))
