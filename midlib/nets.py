"""Small neural networks and their training loops: plain, MID (VIB) and DP-SGD (Opacus).

Every network is built by :func:`make_classifier` (a small MLP or CNN with GroupNorm, never
BatchNorm, so Opacus can compute per-sample gradients) and trained by :func:`train_classifier`,
which covers the three regimes of the book:

- plain training (``beta = 0``, ``dp = None``): cross-entropy;
- MID (``beta > 0`` on a model built with ``vib_k``): cross-entropy + beta * KL of the VIB head;
- DP-SGD (``dp = DPConfig(...)``): Opacus's ``PrivacyEngine`` with the RDP accountant; the
  returned :class:`TrainResult` holds the epsilon actually spent and its delta.

Inputs are arrays of shape ``(n, *input_shape)`` (numpy or torch), labels integer classes.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from midlib.defenses.dp_sgd import DPConfig, make_private
from midlib.defenses.vib import VIBHead, find_vib, vib_loss


class Classifier(nn.Module):
    """``body`` (features) followed by ``head`` (a Linear layer or a :class:`VIBHead`)."""

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

    @property
    def is_vib(self) -> bool:
        return isinstance(self.head, VIBHead)


class _AddChannel(nn.Module):
    def forward(self, x):
        return x.unsqueeze(1)


def make_classifier(input_shape, n_classes: int, *, hidden=(128,), vib_k: int | None = None,
                    conv: tuple[int, ...] | None = None, groups: int = 4,
                    seed: int | None = None, frontend: nn.Module | None = None) -> Classifier:
    """A small classifier for inputs of shape ``input_shape`` (e.g. ``(d,)``, ``(h, w)`` or
    ``(c, h, w)``).

    Parameters
    ----------
    hidden : widths of the fully connected hidden layers (ReLU), after flattening.
    vib_k : if given, a :class:`VIBHead` with a ``vib_k``-dimensional bottleneck replaces the
        last linear layer (MID for neural networks).
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
    if vib_k is not None and (not isinstance(vib_k, (int, np.integer)) or vib_k < 1):
        raise ValueError(f"vib_k must be a positive integer or None, got {vib_k!r}")

    ctx = torch.random.fork_rng() if seed is not None else _nullcontext()
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
        head = VIBHead(width, n_classes, k=vib_k) if vib_k is not None else nn.Linear(width, n_classes)
        return Classifier(body, head, input_shape, n_classes)


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


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@dataclass
class TrainResult:
    """A trained model and its record: ``epsilon`` is None without DP; ``history`` has one row
    an epoch (loss, ce, kl); ``seconds`` the wall-clock training time."""

    model: nn.Module
    epsilon: float | None
    delta: float | None
    history: pd.DataFrame
    seconds: float
    noise_multiplier: float | None = None
    sample_rate: float | None = None
    steps: int = 0
    extra: dict = field(default_factory=dict)


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


def _check_labels(model, yt):
    n_classes = getattr(model, "n_classes", None)
    if yt.min() < 0 or (n_classes is not None and yt.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1 if n_classes else 'n_classes-1'}, "
                         f"got range {int(yt.min())}..{int(yt.max())}")


def train_classifier(model: nn.Module, X, y, *, epochs: int, lr: float = 1e-3,
                     batch_size: int = 64, beta: float = 0.0, dp: DPConfig | None = None,
                     seed: int = 0, weight_decay: float = 0.0) -> TrainResult:
    """Train ``model`` with Adam on ``(X, y)``; MID when ``beta > 0``; DP-SGD when ``dp`` is set.

    Without DP the data are shuffled into batches of ``batch_size`` each epoch (``batch_size
    >= n`` is full-batch training). With DP, Opacus samples each record into a batch
    independently with probability ``batch_size / n`` (Poisson sampling), clips per-sample
    gradients to ``dp.max_grad_norm`` and adds Gaussian noise; the RDP accountant reports the
    epsilon spent for ``dp.delta``. The returned model is the plain module (Opacus hooks removed).
    """
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if beta < 0 or not np.isfinite(beta):
        raise ValueError(f"beta must be a finite number >= 0, got {beta}")
    if dp is not None and not isinstance(dp, DPConfig):
        raise TypeError(f"dp must be a DPConfig or None, got {type(dp).__name__}")
    head = None
    if beta > 0:
        head = find_vib(model)  # raises if the model has no VIB head
    else:
        try:
            head = find_vib(model)
        except ValueError:
            head = None
    Xt, yt = as_tensors(X, y)
    _check_labels(model, yt)
    n = len(Xt)
    batch_size = int(min(batch_size, n))

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    start = time.perf_counter()
    rows = []
    model.train()

    def step(net, opt, xb, yb):
        opt.zero_grad(set_to_none=True)
        logits = net(xb)
        ce = F.cross_entropy(logits, yb)
        kl = head.kl if head is not None else None
        loss = vib_loss(logits, yb, kl, beta) if beta > 0 else ce
        loss.backward()
        opt.step()
        return (float(loss.detach()), float(ce.detach()),
                (float(kl.detach()) if kl is not None else np.nan), len(xb))

    if dp is None:
        for epoch in range(int(epochs)):
            perm = torch.randperm(n, generator=gen)
            sums = np.zeros(3)
            for s in range(0, n, batch_size):
                idx = perm[s:s + batch_size]
                loss, ce, kl, m = step(model, optimizer, Xt[idx], yt[idx])
                sums += np.array([loss, ce, kl]) * m
            loss, ce, kl = sums / n
            rows.append(dict(epoch=epoch + 1, loss=loss, ce=ce, kl=kl))
        return TrainResult(model=model.eval(), epsilon=None, delta=None,
                           history=pd.DataFrame(rows), seconds=time.perf_counter() - start)

    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(Xt, yt), batch_size=batch_size, shuffle=True, generator=gen)
    noise_gen = torch.Generator().manual_seed(seed + 1)
    engine, dp_model, dp_opt, dp_loader = make_private(model, optimizer, loader, dp, int(epochs),
                                                       generator=noise_gen)
    sample_rate = 1.0 / len(loader)
    steps = 0
    filters = warnings.catch_warnings()
    filters.__enter__()
    # Opacus's backward hooks fire although the inputs need no gradient: harmless, and torch
    # warns about it once per run.
    warnings.filterwarnings("ignore", message="Full backward hook is firing")
    try:
        for epoch in range(int(epochs)):
            sums, count = np.zeros(3), 0
            for xb, yb in dp_loader:
                if len(xb) == 0:  # Poisson sampling may draw an empty batch: nothing to learn
                    continue
                loss, ce, kl, m = step(dp_model, dp_opt, xb, yb)
                sums += np.array([loss, ce, kl]) * m
                count += m
                steps += 1
            loss, ce, kl = sums / max(count, 1)
            rows.append(dict(epoch=epoch + 1, loss=loss, ce=ce, kl=kl))
    finally:
        filters.__exit__(None, None, None)
        plain = dp_model.to_standard_module()
        for p in plain.parameters():
            for attr in ("grad_sample", "_forward_counter", "summed_grad"):
                if hasattr(p, attr):
                    try:
                        delattr(p, attr)
                    except AttributeError:
                        pass
    epsilon = float(engine.get_epsilon(dp.delta))
    return TrainResult(model=plain.eval(), epsilon=epsilon, delta=dp.delta,
                       history=pd.DataFrame(rows), seconds=time.perf_counter() - start,
                       noise_multiplier=float(dp_opt.noise_multiplier), sample_rate=sample_rate,
                       steps=steps)


@torch.no_grad()
def predict_proba(model: nn.Module, X, n_samples: int = 1, batch_size: int = 1024,
                  seed: int | None = None) -> np.ndarray:
    """Class probabilities ``(n, n_classes)``; for a VIB model, averaged over ``n_samples``
    draws of z (``n_samples = 1`` is one draw of the stochastic predictor). ``seed`` makes the
    draws reproducible without touching the global generator."""
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    Xt = as_tensors(X)
    was_training = model.training
    model.eval()
    ctx = torch.random.fork_rng() if seed is not None else _nullcontext()
    out = []
    try:
        with ctx:
            if seed is not None:
                torch.manual_seed(seed)
            for s in range(0, len(Xt), batch_size):
                xb = Xt[s:s + batch_size]
                p = sum(F.softmax(model(xb), dim=1) for _ in range(int(n_samples))) / n_samples
                out.append(p)
    finally:
        model.train(was_training)
    return torch.cat(out).numpy().astype(np.float64)


def accuracy(model: nn.Module, X, y, n_samples: int = 1, seed: int | None = None) -> float:
    """Top-1 accuracy of ``model`` on ``(X, y)`` (VIB predictions averaged over ``n_samples``)."""
    Xt, yt = as_tensors(X, y)
    p = predict_proba(model, Xt, n_samples=n_samples, seed=seed)
    return float((p.argmax(1) == yt.numpy()).mean())
