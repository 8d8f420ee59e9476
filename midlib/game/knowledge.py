"""What an adversary knows without the model: the prior and the imputation posterior.

The strongest no-model adversary at knowledge ``"aux"`` (``"aux+label"``) guesses the most
likely sensitive value given the target's other attributes (and its label). midlib estimates
that posterior with an imputation model trained on the adversary's auxiliary records
(:class:`Imputer`), cross-fitted (:func:`cross_fit`) so that no record's posterior comes from a
model that saw it. Every attack of the engine starts from this posterior: it is the prior the
model's evidence updates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

__all__ = ["Imputer", "cross_fit", "smoothed_prior"]

#: An imputation model is trained on at most this many records (the rest add little).
MAX_IMPUTER_RECORDS = 20_000
#: Mixing weight of the prior in every posterior, so that no candidate has probability 0.
FLOOR = 1e-3


def smoothed_prior(codes: np.ndarray, k: int) -> np.ndarray:
    """Frequencies of the value codes ``0..k-1`` with half a pseudo-count each (no zero).

    Examples
    --------
    >>> smoothed_prior(np.array([0, 0, 1]), 3).round(3).tolist()
    [0.556, 0.333, 0.111]
    """
    counts = np.bincount(codes[codes >= 0], minlength=k).astype(float) + 0.5
    return counts / counts.sum()


def _design(frame: pd.DataFrame, columns, cats: dict) -> pd.DataFrame:
    out = {}
    for c in columns:
        if c in cats:
            out[c] = pd.Categorical(frame[c], categories=cats[c])
        else:
            out[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return pd.DataFrame(out, index=frame.index)


class Imputer:
    """p(sensitive value | ``columns``), learnt on auxiliary records.

    scikit-learn's ``HistGradientBoostingClassifier`` (missing values and categories handled
    natively), without early stopping, so that a value with one record never breaks the fit;
    its probabilities are mixed with the smoothed prior (weight :data:`FLOOR`), so a value
    absent from the records keeps a small probability.

    Parameters
    ----------
    columns : list of str
        The columns it reads (the adversary's knowledge).
    k : int
        The number of candidate values (codes ``0..k-1``).
    random_state : int, default=0
        Seeds the subsample and the model.

    Examples
    --------
    >>> aux = pd.DataFrame({"a": [0, 0, 1, 1] * 20})
    >>> codes = np.array([0, 0, 1, 1] * 20)
    >>> Imputer(["a"], 2).fit(aux, codes).posterior(pd.DataFrame({"a": [0, 1]})).argmax(1).tolist()
    [0, 1]
    """

    def __init__(self, columns, k: int, random_state: int = 0):
        self.columns, self.k, self.random_state = list(columns), int(k), random_state

    def fit(self, aux: pd.DataFrame, codes: np.ndarray) -> "Imputer":
        """Learn from records ``aux`` with value codes ``codes`` (-1: unknown, ignored).

        Parameters
        ----------
        aux : pandas.DataFrame
            Auxiliary records with the ``columns``.
        codes : ndarray of shape (n,)
            Their sensitive values as codes ``0..k-1``.

        Returns
        -------
        Imputer
            ``self``.

        Examples
        --------
        >>> Imputer(["a"], 2).fit(pd.DataFrame({"a": [0, 1]}), np.array([0, 0])).model_ is None
        True
        """
        from sklearn.ensemble import HistGradientBoostingClassifier

        keep = codes >= 0
        aux, codes = aux[keep], codes[keep]
        self.prior_ = smoothed_prior(codes, self.k)
        self.model_ = None
        if len(aux) > MAX_IMPUTER_RECORDS:
            pick = np.random.default_rng(self.random_state).choice(len(aux), MAX_IMPUTER_RECORDS,
                                                                   replace=False)
            aux, codes = aux.iloc[pick], codes[pick]
        if not self.columns or len(np.unique(codes)) < 2:
            return self
        self.cats_ = {}
        for c in self.columns:
            col = aux[c]
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                levels = pd.unique(col.dropna())
                if len(levels) < 255:
                    self.cats_[c] = list(levels)
        self.model_ = HistGradientBoostingClassifier(
            categorical_features="from_dtype", max_iter=30, learning_rate=0.15,
            max_leaf_nodes=15, min_samples_leaf=10, early_stopping=False,
            random_state=self.random_state)
        with threadpool_limits(1):  # OpenMP threads contend badly on busy machines
            self.model_.fit(_design(aux, self.columns, self.cats_), codes)
        return self

    def posterior(self, frame: pd.DataFrame) -> np.ndarray:
        """The (n, k) posterior of the candidate values for each record of ``frame``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Records with the ``columns``.

        Returns
        -------
        ndarray of shape (n, k)
            Rows sum to 1; no entry is 0.

        Examples
        --------
        >>> imp = Imputer(["a"], 2).fit(pd.DataFrame({"a": [0, 1]}), np.array([0, 0]))
        >>> imp.posterior(pd.DataFrame({"a": [1]})).round(2).tolist()
        [[0.83, 0.17]]
        """
        out = np.tile(self.prior_, (len(frame), 1))
        if self.model_ is None or len(frame) == 0:
            return out
        with threadpool_limits(1):
            proba = self.model_.predict_proba(_design(frame, self.columns, self.cats_))
        fitted = np.zeros((len(frame), self.k))
        fitted[:, self.model_.classes_.astype(int)] = proba
        return (1 - FLOOR) * fitted + FLOOR * out


def cross_fit(folds: list, codes: list, columns, k: int, targets: pd.DataFrame,
              random_state: int = 0) -> tuple[list, np.ndarray]:
    """Cross-fitted posteriors: each fold's records scored by imputers fitted on the others.

    Parameters
    ----------
    folds : list of pandas.DataFrame
        The auxiliary records, in folds (at least two; one fold is scored in-sample).
    codes : list of ndarray
        Their value codes.
    columns : list of str
        The columns the imputer reads.
    k : int
        The number of candidate values.
    targets : pandas.DataFrame
        Records scored by the average of the per-fold imputers.
    random_state : int, default=0
        Seeds the imputers.

    Returns
    -------
    fold_posteriors : list of ndarray
        One (n_fold, k) array per fold, out of fold.
    target_posterior : ndarray of shape (n_targets, k)

    Examples
    --------
    >>> aux = pd.DataFrame({"a": [0, 1] * 40}); codes = np.array([0, 1] * 40)
    >>> parts, target = cross_fit([aux[:40], aux[40:]], [codes[:40], codes[40:]], ["a"], 2,
    ...                           pd.DataFrame({"a": [1]}))
    >>> int(target.argmax()), len(parts)
    (1, 2)
    """
    if len(folds) == 1:
        imp = Imputer(columns, k, random_state).fit(folds[0], codes[0])
        return [imp.posterior(folds[0])], imp.posterior(targets)
    out = [None] * len(folds)
    target = np.zeros((len(targets), k))
    for i in range(len(folds)):
        rest = [j for j in range(len(folds)) if j != i]
        imp = Imputer(columns, k, random_state + i).fit(
            pd.concat([folds[j] for j in rest]), np.concatenate([codes[j] for j in rest]))
        out[i] = imp.posterior(folds[i])
        target += imp.posterior(targets) / len(folds)
    return out, target
