"""The one training loop of the package, with hooks for a regularizer (MID) and for privacy
(DP-SGD), and the prediction helpers of stochastic networks."""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from midlib.nn.tensors import as_tensors, check_labels

__all__ = ["TrainResult", "train_classifier", "predict_proba", "accuracy"]


@dataclass
class TrainResult:
    """A trained model and its record, as :func:`train_classifier` returns it.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network.
    epsilon : float or None
        The privacy spent (None without DP-SGD).
    delta : float or None
        The delta of the privacy guarantee (None without DP-SGD).
    history : pandas.DataFrame
        The per-epoch record (see Attributes).
    seconds : float
        Wall-clock training time.
    noise_multiplier : float or None, default=None
        DP-SGD's noise multiplier.
    sample_rate : float or None, default=None
        DP-SGD's Poisson sampling rate.
    steps : int, default=0
        DP-SGD optimizer steps.
    extra : dict, default={}
        Anything else a caller records (a fresh empty dict by default).

    Attributes
    ----------
    model : torch.nn.Module
        The trained network, in eval mode.
    epsilon, delta : float or None
        The privacy spent (None without DP-SGD).
    history : pandas.DataFrame
        One row an epoch: ``epoch``, ``loss``, ``ce``, ``kl`` (the regularizer's term, NaN
        without one).
    seconds : float
        Wall-clock training time.
    noise_multiplier, sample_rate : float or None
        DP-SGD's noise and Poisson sampling rate.
    steps : int
        DP-SGD optimizer steps.
    extra : dict
        Anything else a caller records.

    Examples
    --------
    >>> import pandas as pd
    >>> from torch import nn
    >>> res = TrainResult(model=nn.Linear(2, 2), epsilon=None, delta=None,
    ...                   history=pd.DataFrame({"epoch": [1]}), seconds=0.1)
    >>> res.epsilon is None, res.steps, res.extra
    (True, 0, {})
    """

    model: nn.Module
    epsilon: float | None
    delta: float | None
    history: pd.DataFrame
    seconds: float
    noise_multiplier: float | None = None
    sample_rate: float | None = None
    steps: int = 0
    extra: dict = field(default_factory=dict)


def train_classifier(model: nn.Module, X, y, *, epochs: int, lr: float = 1e-3,
                     batch_size: int = 64, regularizer=None, privacy=None,
                     seed: int = 0, weight_decay: float = 0.0, criterion=None) -> TrainResult:
    """Train ``model`` with Adam on ``(X, y)``: the one training loop of the package.

    Defenses plug in through three hooks, so this module imports none of them:

    - ``regularizer`` (e.g. :class:`midlib.defenses.VIBRegularizer`, MID): a callable
      ``regularizer(net, xb) -> (logits, term)`` with a ``weight`` attribute; the loss is
      ``cross-entropy + weight * term`` and the history's ``kl`` column logs ``term``. A
      regularizer whose attribute ``uses_labels`` is true is called
      ``regularizer(net, xb, yb)`` (e.g. :class:`midlib.defenses.BiDORegularizer`).
    - ``criterion`` (e.g. :class:`midlib.defenses.LabelSmoothingLoss`): a callable
      ``criterion(logits, yb) -> scalar`` that replaces the cross-entropy; if it has a method
      ``start_epoch(epoch, epochs)`` (0-based ``epoch``), the loop calls it before each epoch
      (a schedule). The history's ``ce`` column logs its value.
    - ``privacy`` (e.g. :class:`midlib.defenses.DPConfig`, DP-SGD through Opacus): an object with
      ``make_private(model, optimizer, loader, epochs, generator) -> (engine, model, optimizer,
      loader)`` and ``delta``; Opacus samples each record into a batch independently with
      probability ``batch_size / n`` (Poisson sampling), clips per-sample gradients and adds
      Gaussian noise, and ``engine.get_epsilon(delta)`` is the epsilon spent.

    Without ``privacy`` the data are shuffled into batches of ``batch_size`` each epoch
    (``batch_size >= n`` is full-batch training).

    Parameters
    ----------
    model : torch.nn.Module
        The network (e.g. from :func:`make_classifier`).
    X : array-like of shape (n, ...)
        Inputs.
    y : array-like of shape (n,)
        Integer class labels.
    epochs : int
        Passes over the data.
    lr : float, default=1e-3
        Adam's learning rate.
    batch_size : int, default=64
        Batch size (expected batch size under DP-SGD).
    regularizer : callable, default=None
        The penalty hook (see above).
    privacy : object, default=None
        The DP-SGD hook (see above).
    seed : int, default=0
        Seeds torch (initial shuffles, noise, stochastic layers).
    weight_decay : float, default=0.0
        Adam's weight decay.
    criterion : callable, default=None
        The loss hook (see above); None is the cross-entropy.

    Returns
    -------
    TrainResult
        The trained plain module (Opacus hooks removed), the epsilon spent (None without
        ``privacy``), and the per-epoch history.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> X = np.random.default_rng(0).random((40, 3)); y = (X[:, 0] > 0.5).astype(int)
    >>> res = train_classifier(make_classifier((3,), 2, hidden=(8,), seed=0), X, y, epochs=2)
    >>> len(res.history)
    2
    """
    if not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if regularizer is not None and not (callable(regularizer) and hasattr(regularizer, "weight")):
        raise TypeError("regularizer must be a callable (net, xb) -> (logits, term) with a weight")
    if privacy is not None and not hasattr(privacy, "make_private"):
        raise TypeError(f"privacy must have a make_private method (e.g. midlib.defenses.DPConfig), "
                        f"got {type(privacy).__name__}")
    if criterion is not None and not callable(criterion):
        raise TypeError(f"criterion must be a callable (logits, yb) -> loss, got {criterion!r}")
    if regularizer is not None:
        regularizer.check(model)
    labelled = bool(getattr(regularizer, "uses_labels", False))
    loss_fn = F.cross_entropy if criterion is None else criterion
    schedule = getattr(criterion, "start_epoch", None)
    Xt, yt = as_tensors(X, y)
    check_labels(model, yt)
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
        if regularizer is None:
            logits, kl = net(xb), None
        else:
            logits, kl = regularizer(net, xb, yb) if labelled else regularizer(net, xb)
        ce = loss_fn(logits, yb)
        loss = ce if kl is None or regularizer.weight == 0 else ce + regularizer.weight * kl
        loss.backward()
        opt.step()
        return (float(loss.detach()), float(ce.detach()),
                (float(kl.detach()) if kl is not None else np.nan), len(xb))

    if privacy is None:
        for epoch in range(int(epochs)):
            if schedule is not None:
                schedule(epoch, int(epochs))
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
    engine, dp_model, dp_opt, dp_loader = privacy.make_private(model, optimizer, loader, int(epochs),
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
            if schedule is not None:
                schedule(epoch, int(epochs))
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
    epsilon = float(engine.get_epsilon(privacy.delta))
    return TrainResult(model=plain.eval(), epsilon=epsilon, delta=privacy.delta,
                       history=pd.DataFrame(rows), seconds=time.perf_counter() - start,
                       noise_multiplier=float(dp_opt.noise_multiplier), sample_rate=sample_rate,
                       steps=steps)


@torch.no_grad()
def predict_proba(model: nn.Module, X, n_samples: int = 1, batch_size: int = 1024,
                  seed: int | None = None) -> np.ndarray:
    """Class probabilities of ``model`` on ``X``, averaged over draws for a stochastic model.

    For a VIB model the probabilities are averaged over ``n_samples`` draws of z
    (``n_samples = 1`` is one draw of the stochastic predictor). ``seed`` makes the draws
    reproducible without touching the global generator. The model is run in eval mode, and
    its training mode is restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning logits.
    X : array-like or torch.Tensor of shape (n, ...)
        Inputs.
    n_samples : int, default=1
        Draws averaged per record (useful for a stochastic network only).
    batch_size : int, default=1024
        Records per forward pass.
    seed : int, default=None
        Seeds the draws inside a forked random state (None: the global generator as it
        stands).

    Returns
    -------
    ndarray of shape (n, n_classes)
        The class probabilities, as float64.

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> net = make_classifier((3,), 2, hidden=(4,), seed=0)
    >>> proba = predict_proba(net, np.zeros((5, 3)))
    >>> proba.shape, bool(np.allclose(proba.sum(1), 1))
    ((5, 2), True)
    """
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    Xt = as_tensors(X)
    was_training = model.training
    model.eval()
    ctx = torch.random.fork_rng() if seed is not None else contextlib.nullcontext()
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
    """Top-1 accuracy of ``model`` on ``(X, y)`` (VIB predictions averaged over ``n_samples``).

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning logits.
    X : array-like or torch.Tensor of shape (n, ...)
        Inputs.
    y : array-like of shape (n,)
        Integer class labels.
    n_samples : int, default=1
        Draws averaged per record before taking the most probable class (see
        :func:`predict_proba`).
    seed : int, default=None
        Seeds the draws of a stochastic model (None: the global generator as it stands).

    Returns
    -------
    float
        The share of records whose most probable class is their label.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> net = nn.Linear(1, 2)
    >>> with torch.no_grad():
    ...     _ = net.weight.copy_(torch.tensor([[-1.0], [1.0]])), net.bias.zero_()
    >>> accuracy(net, [[-1.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
    0.75
    """
    Xt, yt = as_tensors(X, y)
    p = predict_proba(model, Xt, n_samples=n_samples, seed=seed)
    return float((p.argmax(1) == yt.numpy()).mean())
