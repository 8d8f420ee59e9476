"""Knowledge Alignment: Yang, Zhang, Chang and Liang (CCS 2019), black-box inversion by a decoder.

The adversary holds auxiliary images, queries the target model f on them and trains an
*inversion model* G that maps a prediction vector back to the image, minimising
``||G(f(x)) - x||^2`` over the auxiliary set. Given the prediction vector of a victim's record,
it outputs ``G(f(x_victim))``. Yang et al. also *truncate* the prediction vector to its top-m
entries (the rest set to zero) to align the auxiliary and victim prediction distributions;
``truncate`` does the same. For a stochastic (VIB) target each auxiliary image is queried
``n_queries`` times, and the victim's vector is one draw, as a black-box user would see it.

*The adaptive attacker.* MID samples ``z`` at inference, so its outputs are noisy, and a
black-box user can query the same input ``k`` times and average: ``n_average = k`` makes every
prediction vector, auxiliary and victim alike, the mean of ``k`` queries, which shrinks the
noise's variance ``k``-fold (a deterministic target gives the same vector for every ``k``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from midlib.nn import as_tensors, predict_proba

__all__ = ["truncate_top", "KnowledgeAlignment"]


def truncate_top(probs: np.ndarray, m: int | None) -> np.ndarray:
    """Keep the ``m`` largest entries of each row and zero the rest (``m=None``: keep all).

    Parameters
    ----------
    probs : array-like of shape (n, n_classes)
        Prediction vectors.
    m : int or None
        The number of entries kept per row (ties go to the lower class); None, or at least
        ``n_classes``, keeps every entry.

    Returns
    -------
    ndarray of shape (n, n_classes)
        The truncated vectors, as float64 (not renormalised).

    Examples
    --------
    >>> truncate_top([[0.5, 0.2, 0.3], [0.1, 0.6, 0.3]], 2)
    array([[0.5, 0. , 0.3],
           [0. , 0.6, 0.3]])
    """
    probs = np.asarray(probs, dtype=np.float64)
    if m is None or m >= probs.shape[1]:
        return probs
    if m < 1:
        raise ValueError(f"truncate must be >= 1 or None, got {m}")
    out = np.zeros_like(probs)
    idx = np.argsort(-probs, axis=1, kind="stable")[:, :m]
    rows = np.arange(len(probs))[:, None]
    out[rows, idx] = probs[rows, idx]
    return out


@dataclass
class KnowledgeAlignment:
    """The inversion-model attack; :meth:`fit` trains the decoder, :meth:`invert` applies it.

    The decoder is a multilayer perceptron (ReLU hidden layers, a sigmoid output) from a
    prediction vector to the flattened image, trained with Adam on the mean squared error.

    Parameters
    ----------
    hidden : tuple of int, default=(256,)
        Widths of the decoder's hidden layers.
    epochs : int, default=200
        Epochs of the decoder's Adam training.
    lr : float, default=2e-3
        Adam's learning rate.
    batch_size : int, default=64
        Batch size of the decoder's training.
    truncate : int or None, default=None
        Top-m truncation of prediction vectors (None: the full vector); see
        :func:`truncate_top`.
    n_queries : int, default=1
        Prediction vectors per auxiliary image (useful for stochastic targets).
    n_average : int, default=1
        Queries averaged into each prediction vector, auxiliary and victim alike (the adaptive
        attacker against a stochastic target).
    log_input : bool, default=True
        Feed log-probabilities (clipped at 1e-6) instead of probabilities, which spreads the
        small entries that carry the "dark knowledge".
    seed : int, default=0
        Seeds the queries, the decoder's initialisation and its shuffles.

    Attributes
    ----------
    hidden, epochs, lr, batch_size, truncate, n_queries, n_average, log_input, seed
        The parameters above.
    image_shape_ : tuple of int
        The shape of one auxiliary image (set by :meth:`fit`).
    n_classes_ : int
        The length of the target's prediction vectors (set by :meth:`fit`).
    decoder_ : torch.nn.Sequential
        The trained decoder, in eval mode (set by :meth:`fit`).
    loss_history_ : ndarray of shape (epochs,)
        The mean training loss of each epoch (set by :meth:`fit`).

    Examples
    --------
    >>> import numpy as np
    >>> from midlib.nn import make_classifier
    >>> model = make_classifier((2, 2), 3, hidden=(4,), seed=0)
    >>> aux = np.random.default_rng(0).random((10, 2, 2))
    >>> attack = KnowledgeAlignment(hidden=(8,), epochs=2).fit(model, aux)
    >>> attack.invert(model, aux[:3]).shape
    (3, 2, 2)
    """

    hidden: tuple = (256,)
    epochs: int = 200
    lr: float = 2e-3
    batch_size: int = 64
    truncate: int | None = None
    n_queries: int = 1
    n_average: int = 1
    log_input: bool = True
    seed: int = 0

    def _features(self, probs):
        v = truncate_top(probs, self.truncate)
        if self.log_input:
            v = np.log(np.clip(v, 1e-6, 1.0))
        return torch.as_tensor(v, dtype=torch.float32)

    def query(self, model: nn.Module, images, seed: int = 0) -> np.ndarray:
        """The target's prediction vectors on ``images`` (each the mean of ``n_average`` draws).

        Parameters
        ----------
        model : torch.nn.Module
            The target classifier (black-box access: only its probabilities are used).
        images : array-like of shape (n, ...)
            Inputs of the target's shape.
        seed : int, default=0
            Seeds the draws of a stochastic target.

        Returns
        -------
        ndarray of shape (n, n_classes)
            The class probabilities.

        Examples
        --------
        >>> import numpy as np
        >>> from midlib.nn import make_classifier
        >>> model = make_classifier((2, 2), 3, hidden=(4,), seed=0)
        >>> KnowledgeAlignment().query(model, np.zeros((5, 2, 2))).shape
        (5, 3)
        """
        if not isinstance(self.n_average, (int, np.integer)) or self.n_average < 1:
            raise ValueError(f"n_average must be a positive integer, got {self.n_average!r}")
        return predict_proba(model, images, n_samples=int(self.n_average), seed=seed)

    def fit(self, model: nn.Module, aux_images) -> "KnowledgeAlignment":
        """Query ``model`` on the auxiliary images and train the decoder on the pairs.

        Each auxiliary image is queried ``n_queries`` times (seeds ``seed + 1000 * q``); the
        decoder learns to map each (truncated, possibly log) prediction vector back to its
        image.

        Parameters
        ----------
        model : torch.nn.Module
            The target classifier.
        aux_images : array-like of shape (n, ...)
            The adversary's auxiliary images, of the target's input shape, in [0, 1].

        Returns
        -------
        KnowledgeAlignment
            The fitted attack (``self``).

        Examples
        --------
        >>> import numpy as np
        >>> from midlib.nn import make_classifier
        >>> model = make_classifier((2, 2), 3, hidden=(4,), seed=0)
        >>> aux = np.random.default_rng(0).random((10, 2, 2))
        >>> attack = KnowledgeAlignment(hidden=(8,), epochs=2).fit(model, aux)
        >>> attack.n_classes_, attack.image_shape_, attack.loss_history_.shape
        (3, (2, 2), (2,))
        """
        if self.epochs < 1 or self.n_queries < 1 or self.batch_size < 1:
            raise ValueError("epochs, n_queries and batch_size must be positive integers")
        X = as_tensors(aux_images)
        self.image_shape_ = tuple(X.shape[1:])
        probs = np.concatenate([self.query(model, X, seed=self.seed + 1000 * q)
                                for q in range(self.n_queries)])
        inputs = self._features(probs)
        targets = X.repeat(self.n_queries, *([1] * (X.ndim - 1))).flatten(1)
        self.n_classes_ = probs.shape[1]
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            layers, width = [], self.n_classes_
            for h in self.hidden:
                layers += [nn.Linear(width, h), nn.ReLU()]
                width = h
            layers += [nn.Linear(width, targets.shape[1]), nn.Sigmoid()]
            decoder = nn.Sequential(*layers)
            opt = torch.optim.Adam(decoder.parameters(), lr=self.lr)
            gen = torch.Generator().manual_seed(self.seed)
            n = len(inputs)
            losses = []
            for _ in range(self.epochs):
                perm = torch.randperm(n, generator=gen)
                total = 0.0
                for s in range(0, n, self.batch_size):
                    idx = perm[s:s + self.batch_size]
                    opt.zero_grad()
                    loss = F.mse_loss(decoder(inputs[idx]), targets[idx])
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(idx)
                losses.append(total / n)
        self.decoder_ = decoder.eval()
        self.loss_history_ = np.array(losses)
        return self

    @torch.no_grad()
    def invert_vectors(self, probs) -> np.ndarray:
        """Decode prediction vectors into images.

        Parameters
        ----------
        probs : array-like of shape (n, n_classes)
            Prediction vectors (truncated and logged here as in training).

        Returns
        -------
        ndarray of shape (n, ...)
            The decoded images, of shape ``(n,) + image_shape_``.

        Raises
        ------
        ValueError
            If the attack is not fitted or the vectors have the wrong length.

        Examples
        --------
        >>> import numpy as np
        >>> from midlib.nn import make_classifier
        >>> model = make_classifier((2, 2), 3, hidden=(4,), seed=0)
        >>> aux = np.random.default_rng(0).random((10, 2, 2))
        >>> attack = KnowledgeAlignment(hidden=(8,), epochs=2).fit(model, aux)
        >>> attack.invert_vectors(np.full((1, 3), 1 / 3)).shape
        (1, 2, 2)
        """
        if not hasattr(self, "decoder_"):
            raise ValueError("call fit(model, aux_images) before invert")
        probs = np.asarray(probs, dtype=np.float64)
        if probs.ndim != 2 or probs.shape[1] != self.n_classes_:
            raise ValueError(f"prediction vectors must have shape (n, {self.n_classes_}), "
                             f"got {probs.shape}")
        out = self.decoder_(self._features(probs))
        return out.reshape(len(probs), *self.image_shape_).numpy()

    def invert(self, model: nn.Module, victim_images, seed: int = 0) -> np.ndarray:
        """Reconstruct each victim image from the target's prediction vector on it.

        Parameters
        ----------
        model : torch.nn.Module
            The target classifier (queried once per victim image).
        victim_images : array-like of shape (n, ...)
            The victims' records.
        seed : int, default=0
            Seeds the draws of a stochastic target.

        Returns
        -------
        ndarray of shape (n, ...)
            The reconstructions, of shape ``(n,) + image_shape_``.

        Examples
        --------
        >>> import numpy as np
        >>> from midlib.nn import make_classifier
        >>> model = make_classifier((2, 2), 3, hidden=(4,), seed=0)
        >>> aux = np.random.default_rng(0).random((10, 2, 2))
        >>> attack = KnowledgeAlignment(hidden=(8,), epochs=2).fit(model, aux)
        >>> attack.invert(model, aux[:3]).shape
        (3, 2, 2)
        """
        return self.invert_vectors(self.query(model, victim_images, seed=seed))
