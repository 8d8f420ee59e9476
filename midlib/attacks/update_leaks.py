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
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..progress import progress

__all__ = [
    "UpdateConfig", "update_model", "posterior_change", "simulate_updates", "UpdateLeaksAttack",
    "batched_updates", "batched_posteriors",
    "digits_split", "run_update_leaks", "METHODS", "label_inference_bound",
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
        from ..defenses.dp_sgd import DPConfig

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
        from ..defenses.dp_sgd import noise_multiplier_for

        if self.dp is None:
            return None
        if self.dp.noise_multiplier is not None:
            return float(self.dp.noise_multiplier)
        return noise_multiplier_for(float(self.dp.epsilon), float(self.dp.delta), 1.0, int(self.steps))

    def epsilon(self) -> float | None:
        """The epsilon one update spends (Opacus RDP accountant; None without DP)."""
        from ..defenses.dp_sgd import rdp_epsilon

        if self.dp is None:
            return None
        return rdp_epsilon(self.noise_multiplier(), 1.0, int(self.steps), float(self.dp.delta))

    def replacement_epsilon(self) -> float | None:
        """The epsilon of one update for *replacing* the update record by another (delta as
        configured): two clipped gradients differ by at most ``2 * max_grad_norm``, so each
        step is a Gaussian mechanism with half the noise multiplier; Opacus's RDP accountant
        (sampling rate 1) composes the steps. None without DP."""
        from ..defenses.dp_sgd import rdp_epsilon

        if self.dp is None:
            return None
        return rdp_epsilon(self.noise_multiplier() / 2, 1.0, int(self.steps), float(self.dp.delta))


def _as_xy(X, y):
    from ..nets import as_tensors

    return as_tensors(X, y)


def _clone(model: nn.Module) -> nn.Module:
    """A deep copy of ``model``; a VIB head's cached tensors of the last forward pass (which
    belong to an autograd graph and cannot be copied) are left out of the copy."""
    from ..defenses.vib import VIBHead

    cached = ("kl", "kl_per_sample", "mu", "std", "z")
    saved = []
    for m in model.modules():
        if isinstance(m, VIBHead):
            saved.append((m, {a: getattr(m, a, None) for a in cached}))
            for a in cached:
                setattr(m, a, None)
    try:
        return copy.deepcopy(model)
    finally:
        for m, attrs in saved:
            for a, v in attrs.items():
                setattr(m, a, v)


def _check_update(model: nn.Module, X, y, config) -> tuple[torch.Tensor, torch.Tensor]:
    """Validate an update's configuration and records; return them as tensors."""
    if not isinstance(config, UpdateConfig):
        raise TypeError(f"config must be an UpdateConfig, got {type(config).__name__}")
    Xt, yt = _as_xy(X, y)
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
    from ..defenses.vib import find_vib, vib_loss

    Xt, yt = _check_update(model, X, y, config)
    head = None
    try:
        head = find_vib(model)
    except ValueError:
        if config.beta > 0:
            raise
    new = _clone(model)
    head = find_vib(new) if head is not None else None
    new.train()
    params = [p for p in new.parameters() if p.requires_grad]
    sigma = config.noise_multiplier()

    def loss_of(xb, yb):
        logits = new(xb)
        if config.beta > 0:
            return vib_loss(logits, yb, head.kl, config.beta)
        return F.cross_entropy(logits, yb)

    def run():
        for _ in range(int(config.steps)):
            if config.dp is None:
                grads = torch.autograd.grad(loss_of(Xt, yt), params)
            else:
                c = float(config.dp.max_grad_norm)
                total = [torch.zeros_like(p) for p in params]
                for i in range(len(Xt)):
                    g = torch.autograd.grad(loss_of(Xt[i:i + 1], yt[i:i + 1]), params)
                    norm = torch.sqrt(sum((gi ** 2).sum() for gi in g))
                    scale = min(1.0, c / (float(norm) + 1e-12))
                    for t, gi in zip(total, g):
                        t.add_(gi * scale)
                grads = [(t + sigma * c * torch.randn(t.shape)) / len(Xt) for t in total]
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
    from ..nets import predict_proba

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

    from ..defenses.vib import find_vib

    Xt, yt = _check_update(model, X, y, config)
    head = find_vib(model) if config.beta > 0 else None
    buffers = dict(model.named_buffers())
    was_training = model.training
    model.train()

    def loss_fn(params, x, label):
        logits = functional_call(model, (params, buffers), (x[None],))
        loss = F.cross_entropy(logits, label[None])
        if head is not None:
            loss = loss + config.beta * head.kl
        return loss

    grad_fn = vmap(grad(loss_fn), in_dims=(0, 0, 0), randomness="different")
    n = len(Xt)
    params = {k: v.detach().unsqueeze(0).repeat(n, *[1] * v.ndim)
              for k, v in model.named_parameters()}
    sigma = config.noise_multiplier()
    try:
        for _ in range(int(config.steps)):
            g = grad_fn(params, Xt, yt)
            if config.dp is not None:
                c = float(config.dp.max_grad_norm)
                norm = torch.sqrt(sum(v.flatten(1).pow(2).sum(1) for v in g.values()))
                scale = torch.clamp(c / (norm + 1e-12), max=1.0)
                g = {k: v * scale.view(-1, *[1] * (v.ndim - 1)) + sigma * c * torch.randn_like(v)
                     for k, v in g.items()}
            params = {k: params[k] - config.lr * g[k] for k in params}
    finally:
        model.train(was_training)
        if head is not None:  # drop the batched tensors vmap left on the head
            head.kl = head.kl_per_sample = head.mu = head.std = head.z = None
    return {k: v.detach() for k, v in params.items()}


@torch.no_grad()
def batched_posteriors(model: nn.Module, params: dict | None, probe, n_versions: int | None = None
                       ) -> torch.Tensor:
    """Posteriors ``(n_versions, n_probe, n_classes)`` of many versions of ``model`` on
    ``probe``: the versions' parameters are ``params`` (from :func:`batched_updates`), or, with
    ``params=None``, ``n_versions`` queries of ``model`` itself (for a VIB, fresh draws of
    ``z`` for every version and probe)."""
    from torch.func import functional_call, vmap

    from ..defenses.vib import VIBHead

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
        for m in model.modules():
            if isinstance(m, VIBHead):
                m.kl = m.kl_per_sample = m.mu = m.std = m.z = None
    return out


def simulate_updates(model: nn.Module, X, y, probe, config: UpdateConfig, n_updates: int, *,
                     seed: int = 0, batch: int = 100, desc: str = "updates"):
    """``n_updates`` one-record updates of ``model``, each with a record drawn at random
    (seeded) from ``(X, y)``, computed ``batch`` at a time by :func:`batched_updates`. Returns
    ``(features, labels)``: the posterior changes ``after(probe) - before(probe)`` (each
    version queried once per probe record, flattened to ``(n_updates, n_probe * n_classes)``)
    and the labels of the update records."""
    Xt, yt = _as_xy(X, y)
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


# --------------------------------------------------------------------------------------------
# The experiment on scikit-learn's digits
# --------------------------------------------------------------------------------------------

def digits_split(n_target: int = 600, n_shadow: int = 600, n_probe: int = 100,
                 seed: int = 0) -> dict:
    """Disjoint parts of scikit-learn's 1,797 digits (flattened to 64 features in [0, 1]):
    ``target`` (the target's training set), ``shadow`` (the adversary's data, trained on in
    the same way), ``probe`` (the adversary's probe records, labels unused) and ``heldout``
    (the rest: fresh update records and the test set of model accuracy)."""
    from ..datasets import load_digits

    d = load_digits()
    X, y = d.images.reshape(len(d.images), -1), d.target
    sizes = (n_target, n_shadow, n_probe)
    if any(not isinstance(s, (int, np.integer)) or s < 1 for s in sizes):
        raise ValueError(f"sizes must be positive integers, got {sizes}")
    if sum(sizes) >= len(y) - 50:
        raise ValueError(f"n_target + n_shadow + n_probe = {sum(sizes)} leaves fewer than 50 of "
                         f"the {len(y)} digits for held-out records")
    idx = np.random.default_rng(seed).permutation(len(y))
    a, b, c = n_target, n_target + n_shadow, n_target + n_shadow + n_probe
    part = lambda ix: (X[ix], y[ix])  # noqa: E731
    return {"target": part(idx[:a]), "shadow": part(idx[a:b]), "probe": X[idx[b:c]],
            "heldout": part(idx[c:])}


METHODS = ("none", "MID", "DP", "DP-train")


def run_update_leaks(split: dict, method: str = "none", param: float | None = None, *,
                     epochs: int = 30, hidden=(64,), vib_k: int = 32, update_steps: int = 5,
                     update_lr: float = 0.05, n_shadow_updates: int = 400,
                     n_target_updates: int = 200, seed: int = 0) -> list[dict]:
    """One point of the Update-Leaks experiment: train a target and a shadow model the same way
    (``method`` "none"; "MID" with ``param`` = beta; "DP" with ``param`` = epsilon, used for
    training and for every update; "DP-train": DP-SGD training only, plain updates), fit the attack on shadow updates (from the shadow's
    training records and from held-out records, half each), and attack updates of the target
    with its training records (``split="train"``) and with held-out records
    (``split="heldout"``). Returns one row per split: ``model_acc`` (target accuracy on the
    held-out records), ``attack_acc``, ``train_epsilon``, ``update_epsilon`` (add/remove) and
    ``replacement_epsilon`` of one update (NaN without DP), ``prior_max`` (the largest label
    frequency among the attacked update records: the best guess without the model) and
    ``seconds``.
    """
    from ..defenses.dp_sgd import DPConfig
    from ..nets import accuracy, make_classifier, train_classifier

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method != "none" and (param is None or not param > 0):
        raise ValueError(f"method {method!r} needs a positive param (beta for MID, epsilon for DP)")
    start = time.perf_counter()
    beta = float(param) if method == "MID" else 0.0
    dp = DPConfig(epsilon=float(param)) if method in ("DP", "DP-train") else None
    config = UpdateConfig(steps=update_steps, lr=update_lr, beta=beta,
                          dp=dp if method == "DP" else None)
    (xt, yt), (xs, ys), probe = split["target"], split["shadow"], split["probe"]
    xh, yh = split["heldout"]
    half = len(yh) // 2  # the adversary's fresh records / the target's fresh records and test set
    models = {}
    train_eps = np.nan
    for name, (x, y), s in (("target", (xt, yt), seed), ("shadow", (xs, ys), seed + 1000)):
        net = make_classifier(x.shape[1:], 10, hidden=hidden,
                              vib_k=vib_k if method == "MID" else None, seed=s)
        res = train_classifier(net, x, y, epochs=epochs, beta=beta, dp=dp, seed=s,
                               batch_size=64 if dp is None else 128,
                               lr=1e-3 if dp is None else 4e-3)
        models[name] = res.model
        if name == "target" and res.epsilon is not None:
            train_eps = res.epsilon
    n_sh = n_shadow_updates // 2
    f1, l1 = simulate_updates(models["shadow"], xs, ys, probe, config, n_sh, seed=seed + 1,
                              desc="shadow updates")
    f2, l2 = simulate_updates(models["shadow"], xh[:half], yh[:half], probe, config,
                              n_shadow_updates - n_sh, seed=seed + 2, desc="shadow updates")
    attack = UpdateLeaksAttack(random_state=seed).fit(np.vstack([f1, f2]), np.concatenate([l1, l2]))
    model_acc = accuracy(models["target"], xh[half:], yh[half:], seed=seed)
    update_eps, replace_eps = config.epsilon(), config.replacement_epsilon()
    rows = []
    for split_name, (x, y), s in (("train", (xt, yt), seed + 3),
                                  ("heldout", (xh[half:], yh[half:]), seed + 4)):
        f, lab = simulate_updates(models["target"], x, y, probe, config, n_target_updates,
                                  seed=s, desc="target updates")
        rows.append({"method": method, "param": np.nan if param is None else float(param),
                     "split": split_name, "model_acc": model_acc,
                     "attack_acc": attack.score(f, lab),
                     "train_epsilon": train_eps,
                     "update_epsilon": np.nan if update_eps is None else update_eps,
                     "replacement_epsilon": np.nan if replace_eps is None else replace_eps,
                     "prior_max": float(np.bincount(y, minlength=10).max() / len(y))})
    for r in rows:
        r["seconds"] = time.perf_counter() - start
    return rows
