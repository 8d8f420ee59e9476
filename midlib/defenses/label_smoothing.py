"""Label smoothing, positive and negative (NLS), as a model-inversion defence.

Struppek, Hintersdorf and Kersting ("Careful what you smooth for: label smoothing can be a
privacy shield but also a catalyst for model inversion attacks", ICLR 2024) train with the
smoothed targets ``y_alpha = (1 - alpha) * onehot(y) + alpha / C`` (``C`` classes) and show that
the usual *positive* ``alpha`` makes a classifier easier to invert, while a *negative* ``alpha``
(e.g. -0.05) makes it harder: the non-target classes get negative weight, the logits spread, and
the gradient signal an inversion attack follows saturates. Negative smoothing from the first
epoch hurts training, so, following their recipe of switching it on only after a phase of
ordinary training, ``alpha`` is 0 for a first part of the training and then ramps linearly to
its final value (:meth:`LabelSmoothingLoss.factor`; the shares are parameters).

:class:`LabelSmoothingLoss` is the ``criterion`` hook of :func:`midlib.nn.train_classifier`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["LabelSmoothingLoss", "smoothed_cross_entropy"]


def smoothed_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, alpha: float) -> torch.Tensor:
    """The batch-mean cross-entropy against smoothed targets ``(1 - alpha) onehot(y) + alpha / C``.

    Equivalently ``(1 - alpha) * CE(logits, y) + alpha * mean_c(-log softmax(logits)_c)``. With
    ``alpha < 0`` the loss is unbounded below (it rewards pushing non-target probabilities to
    zero), which is what negative label smoothing means.

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, C)
        The network's outputs.
    labels : torch.Tensor of shape (batch,)
        Integer labels in ``0..C-1``.
    alpha : float
        The smoothing factor, below 1 (0: the plain cross-entropy).

    Returns
    -------
    torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> logits, y = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([0])
    >>> bool(torch.isclose(smoothed_cross_entropy(logits, y, 0.0),
    ...                    torch.nn.functional.cross_entropy(logits, y)))
    True
    >>> bool(torch.isclose(smoothed_cross_entropy(logits, y, 0.1),
    ...                    torch.nn.functional.cross_entropy(logits, y, label_smoothing=0.1)))
    True
    """
    logp = F.log_softmax(logits, dim=1)
    nll = -logp.gather(1, labels.long()[:, None])[:, 0]
    uniform = -logp.mean(dim=1)
    return ((1.0 - alpha) * nll + alpha * uniform).mean()


class LabelSmoothingLoss:
    """The cross-entropy against labels smoothed by ``alpha``, with NLS's warm-up schedule.

    Parameters
    ----------
    alpha : float
        The final smoothing factor, in (-1, 1): positive is the usual smoothing, negative is
        NLS (Struppek et al. use -0.05 and below), 0 the plain cross-entropy.
    warmup : float, default=0.5
        Share of the epochs trained with ``alpha = 0`` before a negative ``alpha`` starts
        (positive smoothing runs from the first epoch, as usual).
    ramp : float, default=0.25
        Share of the epochs over which a negative ``alpha`` then grows linearly to its final
        value.

    Attributes
    ----------
    alpha : float
        The final smoothing factor.
    current : float
        The factor of the epoch in progress (set by :meth:`start_epoch`; ``alpha`` before any).
    warmup, ramp : float
        The schedule.

    Raises
    ------
    ValueError
        For ``alpha`` outside (-1, 1) or a schedule outside [0, 1] (``warmup + ramp <= 1``).

    Examples
    --------
    >>> loss = LabelSmoothingLoss(-0.05)
    >>> [round(loss.factor(e, 8), 4) for e in range(8)]
    [0.0, 0.0, 0.0, 0.0, -0.025, -0.05, -0.05, -0.05]
    >>> LabelSmoothingLoss(0.1).factor(0, 8)
    0.1
    """

    def __init__(self, alpha: float, warmup: float = 0.5, ramp: float = 0.25):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) \
                or not math.isfinite(alpha) or not -1 < alpha < 1:
            raise ValueError(f"alpha must be a number in (-1, 1), got {alpha!r}")
        if not (0 <= warmup <= 1 and 0 <= ramp <= 1 and warmup + ramp <= 1):
            raise ValueError(f"need 0 <= warmup, ramp and warmup + ramp <= 1, got {warmup}, {ramp}")
        self.alpha, self.warmup, self.ramp = float(alpha), float(warmup), float(ramp)
        self.current = self.alpha

    def factor(self, epoch: int, epochs: int) -> float:
        """The smoothing factor of epoch ``epoch`` (0-based) of ``epochs``.

        Parameters
        ----------
        epoch : int
            The epoch, from 0.
        epochs : int
            The number of epochs of the training.

        Returns
        -------
        float
            ``alpha`` for positive smoothing; for negative, 0 during the warm-up, then a linear
            ramp reaching ``alpha`` after ``(warmup + ramp) * epochs`` epochs.

        Examples
        --------
        >>> LabelSmoothingLoss(-0.1, warmup=0.0, ramp=0.0).factor(0, 10)
        -0.1
        """
        if self.alpha >= 0:
            return self.alpha
        start = self.warmup * epochs
        if epoch < start:
            return 0.0
        if self.ramp == 0:
            return self.alpha
        return self.alpha * min(1.0, (epoch + 1 - start) / (self.ramp * epochs))

    def start_epoch(self, epoch: int, epochs: int) -> None:
        """The schedule hook of :func:`midlib.nn.train_classifier`: set :attr:`current`.

        Parameters
        ----------
        epoch : int
            The epoch about to start, from 0.
        epochs : int
            The number of epochs.

        Examples
        --------
        >>> loss = LabelSmoothingLoss(-0.05)
        >>> loss.start_epoch(0, 10)
        >>> loss.current
        0.0
        """
        self.current = self.factor(int(epoch), int(epochs))

    def __call__(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The smoothed cross-entropy of a batch at the current factor.

        Parameters
        ----------
        logits : torch.Tensor of shape (batch, C)
            The network's outputs.
        labels : torch.Tensor of shape (batch,)
            Integer labels.

        Returns
        -------
        torch.Tensor
            A scalar (see :func:`smoothed_cross_entropy`).

        Examples
        --------
        >>> import torch
        >>> float(LabelSmoothingLoss(0.0)(torch.zeros(2, 4), torch.tensor([0, 1]))) == float(
        ...     torch.log(torch.tensor(4.0)))
        True
        """
        return smoothed_cross_entropy(logits, labels, self.current)

    def __repr__(self):
        return f"LabelSmoothingLoss(alpha={self.alpha}, warmup={self.warmup}, ramp={self.ramp})"
