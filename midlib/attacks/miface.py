"""MIFace: Fredrikson, Jha and Ristenpart (CCS 2015), face reconstruction by gradient descent.

White-box access to a classifier f: starting from a blank image, descend the cost
``c(x) = 1 - f_label(x)`` (the paper's choice, ``objective="prob"``), the cross-entropy
``-log f_label(x)`` (``objective="logprob"``, steeper when the confidence is small) or the
negative logit ``-z_label(x)`` (``objective="logit"``, logit maximisation, which does not
saturate when a defence such as negative label smoothing flattens the softmax), projecting
onto the pixel box [0, 1] after each step and keeping the best image seen. An optional total
variation penalty plays the role of the paper's denoising step. For a stochastic (VIB) model
the gradient is averaged over ``n_samples`` draws of z each step, i.e. the attacker descends
the expected cost, the best a white-box attacker can do against a randomized predictor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["total_variation", "MIFace", "OBJECTIVES", "miface_grid"]

#: The costs MIFace can descend.
OBJECTIVES = ("prob", "logprob", "logit")


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation of each image in a batch.

    The sum of the absolute differences between vertically and horizontally adjacent pixels.

    Parameters
    ----------
    x : torch.Tensor of shape (n, ..., h, w)
        Images (any leading channel axes are summed over).

    Returns
    -------
    torch.Tensor of shape (n,)
        The total variation of each image.

    Examples
    --------
    >>> import torch
    >>> total_variation(torch.tensor([[[0.0, 1.0], [0.0, 1.0]]]))
    tensor([2.])
    """
    dh = (x[..., 1:, :] - x[..., :-1, :]).abs().flatten(1).sum(1)
    dw = (x[..., :, 1:] - x[..., :, :-1]).abs().flatten(1).sum(1)
    return dh + dw


@dataclass
class MIFace:
    """The MIFace attack; parameters are plain data, :meth:`invert` runs it.

    Parameters
    ----------
    steps : int, default=300
        Gradient steps (the paper's alpha).
    lr : float, default=0.1
        Step size (the paper's lambda).
    patience : int, default=100
        Stop a target when its cost has not improved for this many steps (the paper's beta).
    tol : float, default=1e-3
        Stop a target when its cost falls below this (the paper's gamma).
    momentum : float, default=0.9
        Heavy-ball momentum, in [0, 1).
    objective : {"prob", "logprob", "logit"}, default="logprob"
        The cost: "prob" is 1 - confidence (the paper), "logprob" the cross-entropy, "logit"
        the negative logit of the target class.
    tv_weight : float, default=0.0
        Weight of a total-variation penalty (0: none); see :func:`total_variation`.
    n_samples : int, default=1
        Draws of a stochastic model per step.
    init : str or array-like, default="zeros"
        The starting image: "zeros" (a blank image) or an array of the image shape, e.g. the
        mean image of auxiliary data (a "mean" start).
    seed : int, default=0
        Seeds the draws of a stochastic model (inside a forked random state).

    Attributes
    ----------
    steps, lr, patience, tol, momentum, objective, tv_weight, n_samples, init, seed
        The parameters above.

    Examples
    --------
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4, 4), 3, hidden=(8,), seed=0)
    >>> images = MIFace(steps=5).invert(model, [0, 2])
    >>> images.shape, bool(images.min() >= 0 and images.max() <= 1)
    ((2, 4, 4), True)
    """

    steps: int = 300
    lr: float = 0.1
    patience: int = 100
    tol: float = 1e-3
    momentum: float = 0.9
    objective: str = "logprob"
    tv_weight: float = 0.0
    n_samples: int = 1
    init: object = "zeros"
    seed: int = 0

    def _validate(self):
        if self.steps < 1 or self.patience < 1 or self.n_samples < 1:
            raise ValueError("steps, patience and n_samples must be positive integers")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1), got {self.momentum}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if self.tv_weight < 0:
            raise ValueError(f"tv_weight must be >= 0, got {self.tv_weight}")

    def invert(self, model: nn.Module, target_labels, input_shape=None) -> np.ndarray:
        """Reconstruct one image per entry of ``target_labels``.

        Projected gradient descent with momentum on the cost (:meth:`costs`) from ``init``,
        keeping the best image seen for each target. The model's parameters are frozen during
        the attack (and made trainable again afterwards) and the model runs in eval mode.

        Parameters
        ----------
        model : torch.nn.Module
            The target classifier (white-box access).
        target_labels : array-like of shape (n,)
            The class of each image to reconstruct.
        input_shape : tuple of int, default=None
            The shape of one input (None: the model's ``input_shape`` attribute).

        Returns
        -------
        ndarray of shape (n, ...)
            One reconstruction in [0, 1] per target, of shape ``(n,) + input_shape``.

        Raises
        ------
        ValueError
            For bad parameters, an unknown input shape, or labels outside the model's classes.

        Examples
        --------
        >>> from midlib.nn import make_classifier
        >>> model = make_classifier((4, 4), 3, hidden=(8,), seed=0)
        >>> MIFace(steps=5, objective="prob").invert(model, [0, 1, 2]).shape
        (3, 4, 4)
        """
        self._validate()
        shape = tuple(input_shape) if input_shape is not None else getattr(model, "input_shape", None)
        if shape is None:
            raise ValueError("give input_shape (the model does not record one)")
        n_classes = getattr(model, "n_classes", None)
        t = torch.as_tensor(np.asarray(target_labels)).long().reshape(-1)
        if len(t) == 0:
            raise ValueError("target_labels is empty")
        if t.min() < 0 or (n_classes is not None and t.max() >= n_classes):
            raise ValueError(f"target labels must lie in 0..{n_classes - 1}")
        n = len(t)
        if isinstance(self.init, str):
            if self.init != "zeros":
                raise ValueError("init must be 'zeros' or an array of the image shape")
            x0 = torch.zeros(n, *shape)
        else:
            arr = torch.as_tensor(np.asarray(self.init, dtype=np.float32))
            if tuple(arr.shape) != shape:
                raise ValueError(f"init has shape {tuple(arr.shape)}, expected {shape}")
            x0 = arr.expand(n, *shape).clone()
        was_training = model.training
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        try:
            with torch.random.fork_rng():
                torch.manual_seed(self.seed)
                return self._descend(model, t, x0).numpy()
        finally:
            for p in model.parameters():
                p.requires_grad_(True)
            model.train(was_training)

    def costs(self, model: nn.Module, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Per-image cost (averaged over ``n_samples`` draws of a stochastic model).

        ``1 - f_t(x)`` (``objective="prob"``), ``-log f_t(x)`` (``objective="logprob"``) or
        ``-z_t(x)``, the negative logit (``objective="logit"``), plus ``tv_weight`` times the
        total variation of ``x``.

        Parameters
        ----------
        model : torch.nn.Module
            The target classifier.
        x : torch.Tensor of shape (n, ...)
            Images of the model's input shape.
        t : torch.Tensor of shape (n,)
            The target class of each image (int64).

        Returns
        -------
        torch.Tensor of shape (n,)
            The cost of each image (differentiable in ``x``).

        Examples
        --------
        >>> import torch
        >>> from midlib.nn import make_classifier
        >>> model = make_classifier((4, 4), 3, hidden=(8,), seed=0)
        >>> MIFace().costs(model, torch.zeros(2, 4, 4), torch.tensor([0, 2])).shape
        torch.Size([2])
        """
        total = 0.0
        for _ in range(self.n_samples):
            logits = model(x)
            if self.objective == "logit":
                total = total - logits.gather(1, t[:, None])[:, 0]
                continue
            logp = F.log_softmax(logits, dim=1).gather(1, t[:, None])[:, 0]
            total = total + (1 - logp.exp() if self.objective == "prob" else -logp)
        c = total / self.n_samples
        if self.tv_weight > 0:
            c = c + self.tv_weight * total_variation(x)
        return c

    def _descend(self, model, t, x0):
        x = x0.clone().requires_grad_(True)
        velocity = torch.zeros_like(x)
        best = x0.clone()
        best_cost = torch.full((len(t),), float("inf"))
        stale = torch.zeros(len(t), dtype=torch.long)
        active = torch.ones(len(t), dtype=torch.bool)
        for _ in range(self.steps):
            c = self.costs(model, x, t)
            grad, = torch.autograd.grad(c.sum(), x)
            with torch.no_grad():
                improved = (c < best_cost) & active
                best[improved] = x[improved]
                best_cost[improved] = c[improved]
                stale = torch.where(improved, 0, stale + 1)
                active &= (stale < self.patience) & (best_cost > self.tol)
                if not active.any():
                    break
                mask = active.view(-1, *([1] * (x.ndim - 1))).float()
                velocity.mul_(self.momentum).add_(grad * mask)
                x.sub_(self.lr * velocity * mask).clamp_(0.0, 1.0)
        with torch.no_grad():
            c = self.costs(model, x, t)
            improved = c < best_cost
            best[improved] = x[improved].detach()
        return best.detach()


def miface_grid(model: nn.Module, target_labels, score, *, objectives=("logprob", "logit"),
                lrs=(0.01, 0.05, 0.2), **params) -> dict:
    """MIFace over a grid of costs and step sizes; the strongest setting is the attack's result.

    The defender cannot choose the attacker's hyper-parameters: an attack's success against a
    model is the best over the settings the attacker could try, here every pair of ``objectives``
    and step sizes ``lrs``.

    Parameters
    ----------
    model : torch.nn.Module
        The target classifier (white-box access).
    target_labels : array-like of shape (n,)
        The classes to reconstruct.
    score : callable
        ``score(images, target_labels) -> float``: the success of a set of reconstructions
        (e.g. the evaluation classifier's top-1 accuracy).
    objectives : tuple of str, default=("logprob", "logit")
        The costs tried (see :data:`OBJECTIVES`).
    lrs : tuple of float, default=(0.01, 0.05, 0.2)
        The step sizes tried.
    **params
        Passed to :class:`MIFace` (``steps``, ``init``, ``n_samples``, ``seed``, ...).

    Returns
    -------
    dict
        ``images`` (the best setting's reconstructions), ``success`` (its score),
        ``objective`` and ``lr`` (the best setting) and ``grid`` (a list of
        ``(objective, lr, score)`` for every setting).

    Raises
    ------
    ValueError
        For an empty grid.

    Examples
    --------
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((4, 4), 3, hidden=(8,), seed=0)
    >>> out = miface_grid(model, [0, 1], lambda im, t: float(im.mean()), lrs=(0.1,), steps=3)
    >>> out["images"].shape, len(out["grid"])
    ((2, 4, 4), 2)
    """
    if not objectives or not lrs:
        raise ValueError("miface_grid needs at least one objective and one step size")
    best, grid = None, []
    for objective in objectives:
        for lr in lrs:
            images = MIFace(objective=objective, lr=lr, **params).invert(model, target_labels)
            success = float(score(images, target_labels))
            grid.append((objective, float(lr), success))
            if best is None or success > best["success"]:
                best = dict(images=images, success=success, objective=objective, lr=float(lr))
    best["grid"] = grid
    return best
