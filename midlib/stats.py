"""Confidence intervals for the MI game, and one summary of results over seeds.

- :func:`wilson_interval`: a binomial success rate (one game, one seed);
- :func:`paired_difference_interval`: the advantage, success minus baseline on the same targets
  (Newcombe's paired interval);
- :func:`summarize`: means over seeds with t-intervals, standard deviations and errors;
- :func:`median_interval`: a median over seeds with a bootstrap interval, for heavy tails.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["wilson_interval", "paired_difference_interval", "summarize", "median_interval",
           "mean_interval"]


def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Computed with statsmodels' ``proportion_confint`` (``method="wilson"``).

    Parameters
    ----------
    successes : int
        Number of successes.
    n : int
        Number of trials, positive.
    confidence : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    lo : float
        Lower end of the interval.
    hi : float
        Upper end of the interval.

    Raises
    ------
    ValueError
        ``n`` is not positive.

    Examples
    --------
    >>> lo, hi = wilson_interval(8, 10)
    >>> round(lo, 3), round(hi, 3)
    (0.49, 0.943)
    """
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    lo, hi = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    return float(lo), float(hi)


def paired_difference_interval(a, b, confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference of two paired proportions with Newcombe's interval.

    The difference is ``mean(a) - mean(b)``; Newcombe's (1998, method 10) interval combines
    the Wilson intervals of both proportions with the correlation of the pairs.

    Parameters
    ----------
    a : array-like of shape (n,)
        0/1 outcomes (e.g. the adversary's hits).
    b : array-like of shape (n,)
        0/1 outcomes on the same records (e.g. the baseline's hits).
    confidence : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    diff : float
        ``mean(a) - mean(b)``.
    lo : float
        Lower end of the interval, at least -1.
    hi : float
        Upper end of the interval, at most 1.

    Raises
    ------
    ValueError
        ``a`` and ``b`` are not non-empty 1-D arrays of the same length.

    Examples
    --------
    >>> diff, lo, hi = paired_difference_interval([1, 1, 1, 0, 1, 0, 1, 1],
    ...                                           [1, 0, 1, 0, 0, 0, 1, 0])
    >>> round(diff, 3), round(lo, 3), round(hi, 3)
    (0.375, -0.056, 0.651)
    """
    a = np.asarray(a, dtype=bool)
    b = np.asarray(b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError("a and b must be non-empty 1-D arrays of the same length")
    n = len(a)
    both, only_a = np.sum(a & b), np.sum(a & ~b)
    only_b, neither = np.sum(~a & b), np.sum(~a & ~b)
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    l1, u1 = wilson_interval(both + only_a, n, confidence)
    l2, u2 = wilson_interval(both + only_b, n, confidence)
    margins = float(both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    if margins == 0:
        phi = 0.0
    else:
        num = float(both) * neither - float(only_a) * only_b
        if num > 0:
            num = max(num - n / 2, 0.0)
        phi = num / np.sqrt(margins)
    delta = np.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    eps = np.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    diff = p1 - p2
    return float(diff), float(max(diff - delta, -1.0)), float(min(diff + eps, 1.0))


_RANGES = {"success": (0.0, 1.0), "baseline": (0.0, 1.0), "precision": (0.0, 1.0),
           "recall": (0.0, 1.0), "f1": (0.0, 1.0), "advantage": (-1.0, 1.0)}


def summarize(results: pd.DataFrame, by: Sequence[str] = ("game",), confidence: float = 0.95,
              metrics: Sequence[str] = ("success", "baseline", "advantage")) -> pd.DataFrame:
    """Average per-seed results over seeds, with intervals.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per seed (and group), e.g. from :func:`midlib.game.play_seeds` or a sweep.
    by : sequence of str, default=("game",)
        The grouping columns.
    confidence : float, default=0.95
        Confidence level of the t-interval over seeds.
    metrics : sequence of str, default=("success", "baseline", "advantage")
        The columns to summarise.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``seeds`` (the number of rows), and for each
        metric ``m``: ``m`` (the mean), ``m_std`` (standard deviation), ``m_sem`` (standard
        error), ``m_lo`` and ``m_hi`` (the t-interval over seeds; NaN with a single seed;
        clipped to the metric's range for success, baseline, advantage, precision, recall and
        f1).

    Examples
    --------
    >>> df = pd.DataFrame({"game": ["a", "a"], "success": [0.5, 0.7]})
    >>> round(float(summarize(df, metrics=["success"])["success"].iloc[0]), 2)
    0.6
    """
    missing = [c for c in list(by) + list(metrics) if c not in results.columns]
    if missing:
        raise ValueError(f"results lack columns {missing} (columns: {list(results.columns)})")
    rows = []
    for key, grp in results.groupby(list(by), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key))
        row["seeds"] = len(grp)
        for m in metrics:
            x = grp[m].to_numpy(dtype=float)
            mean = x.mean()
            std = x.std(ddof=1) if len(x) > 1 else np.nan
            sem = std / np.sqrt(len(x))
            half = stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * sem if len(x) > 1 else np.nan
            lo, hi = mean - half, mean + half
            if m in _RANGES:  # an interval never leaves the metric's range
                lo, hi = max(lo, _RANGES[m][0]), min(hi, _RANGES[m][1])
            row.update({m: mean, f"{m}_std": std, f"{m}_sem": sem, f"{m}_lo": lo, f"{m}_hi": hi})
        rows.append(row)
    return pd.DataFrame(rows)


def median_interval(x, confidence: float = 0.95, n_boot: int = 2000, random_state=0):
    """The median of ``x`` with a percentile-bootstrap interval.

    Parameters
    ----------
    x : array-like of shape (n,)
        Per-seed values (NaN are dropped).
    confidence : float, default=0.95
        Coverage of the interval.
    n_boot : int, default=2000
        Bootstrap resamples.
    random_state : int, default=0
        Seeds the resampling.

    Returns
    -------
    tuple of float
        ``(median, low, high)``; NaN for no finite value, the value itself for one.

    Examples
    --------
    >>> m, lo, hi = median_interval([1.0, 2.0, 3.0, 4.0, 100.0])
    >>> m, lo <= m <= hi, hi <= 100
    (3.0, True, True)
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return (np.nan, np.nan, np.nan)
    med = float(np.median(x))
    if len(x) == 1:
        return (med, med, med)
    rng = np.random.default_rng(random_state)
    boot = np.median(x[rng.integers(0, len(x), size=(n_boot, len(x)))], axis=1)
    a = (1 - confidence) / 2
    lo, hi = np.quantile(boot, [a, 1 - a])
    return (med, float(min(lo, med)), float(max(hi, med)))


def mean_interval(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """The mean of per-record values and its normal-approximation interval.

    Parameters
    ----------
    x : array-like of shape (n,)
        One value per record (e.g. each record's Bayes success or information).
    confidence : float, default=0.95
        Confidence level.

    Returns
    -------
    mean, lo, hi : float
        NaN limits for a single value.

    Examples
    --------
    >>> [round(v, 3) for v in mean_interval([0.0, 1.0, 0.0, 1.0])]
    [0.5, -0.066, 1.066]
    """
    x = np.asarray(x, dtype=float)
    m = float(x.mean())
    if len(x) < 2:
        return m, float("nan"), float("nan")
    half = float(stats.norm.ppf(0.5 + confidence / 2) * x.std(ddof=1) / np.sqrt(len(x)))
    return m, m - half, m + half
