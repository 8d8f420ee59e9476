"""MIFace: Fredrikson, Jha and Ristenpart (CCS 2015), face reconstruction by gradient descent.

White-box access to a classifier f: starting from a blank image, descend the cost
``c(x) = 1 - f_label(x)`` (the paper's choice, ``objective="prob"``) or the cross-entropy
``-log f_label(x)`` (``objective="logprob"``, steeper when the confidence is small), projecting
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

__all__ = ["total_variation", "MIFace"]


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic total variation of each image in a batch ``(n, ..., h, w)``."""
    dh = (x[..., 1:, :] - x[..., :-1, :]).abs().flatten(1).sum(1)
    dw = (x[..., :, 1:] - x[..., :, :-1]).abs().flatten(1).sum(1)
    return dh + dw


@dataclass
class MIFace:
    """The MIFace attack; parameters are plain data, :meth:`invert` runs it.

    steps : gradient steps (the paper's alpha); lr : step size (lambda);
    patience : stop a target when its cost has not improved for this many steps (beta);
    tol : stop when the cost falls below this (gamma); momentum : heavy-ball momentum;
    objective : "prob" (1 - confidence, the paper) or "logprob" (cross-entropy);
    tv_weight : weight of a total-variation penalty (0: none);
    n_samples : draws of a stochastic model per step; init : "zeros", "mean" (a given mean
    image, e.g. of auxiliary data) or an array of the image shape.
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
        if self.objective not in ("prob", "logprob"):
            raise ValueError(f"objective must be 'prob' or 'logprob', got {self.objective!r}")
        if self.tv_weight < 0:
            raise ValueError(f"tv_weight must be >= 0, got {self.tv_weight}")

    def invert(self, model: nn.Module, target_labels, input_shape=None) -> np.ndarray:
        """Reconstruct one image per entry of ``target_labels``: ``(len(targets), *shape)``."""
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
        """Per-image cost (averaged over ``n_samples`` draws of a stochastic model)."""
        total = 0.0
        for _ in range(self.n_samples):
            logp = F.log_softmax(model(x), dim=1).gather(1, t[:, None])[:, 0]
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
