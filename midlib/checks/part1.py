"""Claim checks of Part I (see :mod:`midlib.checks`): the game, the leakage bound and the DP gap.
Each function raises :class:`midlib.checks.ClaimViolation` when its claim is false on the numbers
given; the tests plant a violation for each (a wrong closed form, a leaky channel with its
information under-stated, an under-reported epsilon, a weakened attack)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from midlib.checks.base import Comparison, check, compare
from midlib.leakage.bounds import pinsker_bound
from midlib.stats import wilson_interval

__all__ = ["bayes_within_intervals", "beats_baseline", "training_exceeds_distributional",
           "pinsker_holds", "gaussian_bound_holds", "quadrature_agrees", "dp_gap_exact",
           "dp_gap_holds", "dp_bound_informative", "capped_advantage", "dp_converges"]


def bayes_within_intervals(exact_success: float, exact_advantage: float, table: pd.DataFrame) -> None:
    """The exact Bayes success and advantage lie in the measured intervals; the advantage is >= 0.

    Parameters
    ----------
    exact_success, exact_advantage : float
        The closed-form Bayes success and advantage.
    table : pandas.DataFrame
        One row per game with columns ``success_lo``, ``success_hi``, ``advantage_lo``,
        ``advantage_hi`` (e.g. :func:`midlib.game.play`'s result with a wide ``confidence``).

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If an exact value falls outside an interval, or the exact advantage is negative.

    Examples
    --------
    >>> t = pd.DataFrame({"success_lo": [0.7], "success_hi": [0.8], "advantage_lo": [0.0],
    ...                   "advantage_hi": [0.1]}, index=["distributional"])
    >>> bayes_within_intervals(0.75, 0.05, t)
    >>> bayes_within_intervals(0.85, 0.05, t)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the exact Bayes success lies in the measured interval of every game
    ...
    """
    check(exact_advantage >= 0, "the Bayes adversary's exact advantage is >= 0",
          f"exact advantage {exact_advantage:.4g}")
    check((table.success_lo <= exact_success) & (exact_success <= table.success_hi),
          "the exact Bayes success lies in the measured interval of every game",
          f"exact {exact_success:.4f}\n{table[['success_lo', 'success_hi']]}")
    check((table.advantage_lo <= exact_advantage) & (exact_advantage <= table.advantage_hi),
          "the exact Bayes advantage lies in the measured interval of every game",
          f"exact {exact_advantage:.4f}\n{table[['advantage_lo', 'advantage_hi']]}")


def beats_baseline(advantage: float, interval, claim: str = "the attack beats its baseline") -> Comparison:
    """An attack's advantage is significantly above 0 (its interval lies above 0).

    Parameters
    ----------
    advantage : float
        The mean advantage.
    interval : tuple of float
        Its 95 % interval ``(low, high)``.
    claim : str, default="the attack beats its baseline"
        The claim, for the message.

    Returns
    -------
    Comparison
        Of the advantage with 0 (direction ``"above"``).

    Raises
    ------
    ClaimViolation
        If the interval reaches 0 or below.

    Examples
    --------
    >>> beats_baseline(0.05, (0.02, 0.08)).words
    'above'
    """
    return compare(advantage, interval, 0.0, (0.0, 0.0)).expect("above", claim=claim)


def training_exceeds_distributional(training, distributional, confidence: float = 0.95) -> Comparison:
    """The training-set advantage is significantly above the distributional one, paired by seed.

    The per-seed differences ``training - distributional`` get a t-interval; the claim holds
    when it lies above 0.

    Parameters
    ----------
    training : array-like
        Per-seed advantages in the training-set game.
    distributional : array-like
        Per-seed advantages in the distributional game (same seeds, same order).
    confidence : float, default=0.95
        Confidence of the t-interval.

    Returns
    -------
    Comparison
        Of the mean difference (with its interval) with 0 (direction ``"above"``).

    Raises
    ------
    ClaimViolation
        If the interval of the difference reaches 0 or below.
    ValueError
        If fewer than two seeds or the lengths differ.

    Examples
    --------
    >>> c = training_exceeds_distributional([0.30, 0.25, 0.35], [0.0, 0.02, -0.01])
    >>> c.direction, round(c.a, 3)
    ('above', 0.297)
    """
    tr, di = np.asarray(training, float), np.asarray(distributional, float)
    if tr.shape != di.shape or tr.size < 2:
        raise ValueError("need paired per-seed advantages of the same length >= 2")
    d = tr - di
    half = stats.t.ppf(0.5 + confidence / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return compare(d.mean(), (d.mean() - half, d.mean() + half), 0.0, (0.0, 0.0)).expect(
        "above", claim="the training-set advantage exceeds the distributional one (paired by seed)")


def pinsker_holds(table: pd.DataFrame, min_rows: int = 1, tol: float = 1e-9) -> dict:
    """The leakage bound and its companions hold on every row of a table.

    Checks ``advantage <= sqrt(cmi / 2)``, ``cmi <= mi_x`` and, when the columns are present,
    ``success <= fano_success_max``.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``advantage``, ``cmi`` (I(X_s; O | A), nats), ``mi_x`` (I(X; O)) and optionally
        ``success`` and ``fano_success_max``.
    min_rows : int, default=1
        The fewest rows the claim is checked on.
    tol : float, default=1e-9
        Floating-point slack.

    Returns
    -------
    dict
        Claim -> number of violations (all 0).

    Raises
    ------
    ClaimViolation
        If the table is too small or any inequality fails on any row.

    Examples
    --------
    >>> t = pd.DataFrame({"advantage": [0.1], "cmi": [0.05], "mi_x": [0.2]})
    >>> pinsker_holds(t)
    {'advantage <= sqrt(I(S;O|A)/2)': 0, 'I(S;O|A) <= I(X;O)': 0}
    >>> pinsker_holds(t.assign(cmi=0.01))
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the leakage bound holds on every row
    {'advantage <= sqrt(I(S;O|A)/2)': 1, 'I(S;O|A) <= I(X;O)': 0}
    """
    check(len(table) >= min_rows, f"the bound is checked on at least {min_rows} rows", len(table))
    viol = {
        "advantage <= sqrt(I(S;O|A)/2)": int((table.advantage > pinsker_bound(table.cmi) + tol).sum()),
        "I(S;O|A) <= I(X;O)": int((table.cmi > table.mi_x + tol).sum()),
    }
    if {"success", "fano_success_max"} <= set(table.columns):
        viol["success <= Fano maximum"] = int((table.success > table.fano_success_max + tol).sum())
    check(sum(viol.values()) == 0, "the leakage bound holds on every row", viol)
    return viol


def gaussian_bound_holds(mi_x, gaussian_bound, tol: float = 1e-3) -> None:
    """The exact I(X; Yhat) of a Gaussian-noise model is below its Gaussian (max-entropy) bound.

    Parameters
    ----------
    mi_x : float or array-like
        Exact (quadrature) I(X; Yhat), nats.
    gaussian_bound : float or array-like
        ``0.5 * log(1 + w' Sigma w / sigma^2)`` on the same records.
    tol : float, default=1e-3
        Slack for the quadrature's error.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If some ``mi_x > gaussian_bound + tol``.

    Examples
    --------
    >>> gaussian_bound_holds([0.01, 0.1], [0.012, 0.1])
    """
    mi_x, gaussian_bound = np.asarray(mi_x, float), np.asarray(gaussian_bound, float)
    check(mi_x <= gaussian_bound + tol, "I(X; Yhat) is below its Gaussian bound",
          np.c_[mi_x, gaussian_bound])


def quadrature_agrees(quadrature, monte_carlo, se, n_se: float = 4.0, atol: float = 2e-3) -> None:
    """Quadrature and Monte Carlo estimates of I(X; Yhat) agree within ``n_se`` standard errors.

    Parameters
    ----------
    quadrature : float or array-like
        The numerical-integration values.
    monte_carlo : float or array-like
        The Monte-Carlo estimates.
    se : float or array-like
        Their standard errors.
    n_se : float, default=4.0
        Allowed number of standard errors.
    atol : float, default=2e-3
        Extra absolute slack (the quadrature's own error).

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If ``|quadrature - monte_carlo| > n_se * se + atol`` anywhere.

    Examples
    --------
    >>> quadrature_agrees([0.1], [0.101], [0.001])
    """
    q, m, s = (np.asarray(v, float) for v in (quadrature, monte_carlo, se))
    check(np.abs(q - m) <= n_se * s + atol, "quadrature and Monte Carlo agree", np.c_[q, m, s])


def dp_gap_exact(training_success, distributional_success, epsilon: float, delta: float = 0.0,
                 tol: float = 1e-12) -> np.ndarray:
    """The DP gap theorem on exact values: training success <= e^eps x distributional + delta.

    Parameters
    ----------
    training_success, distributional_success : float or array-like
        The exact successes in the two games.
    epsilon : float
        The epsilon the mechanism is claimed to satisfy (replace-one neighbours).
    delta : float, default=0.0
        Its delta.
    tol : float, default=1e-12
        Floating-point slack.

    Returns
    -------
    ndarray
        The bound ``e^eps * distributional_success + delta`` (not capped at 1).

    Raises
    ------
    ClaimViolation
        If a training success exceeds its bound.

    Examples
    --------
    >>> float(dp_gap_exact(0.6, 0.5, np.log(1.5)).round(3))
    0.75
    >>> dp_gap_exact(0.6, 0.5, 0.1)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: training-set success <= e^eps x distributional success + delta (eps = 0.1, delta = 0)
    ...
    """
    train = np.asarray(training_success, float)
    bound = np.exp(epsilon) * np.asarray(distributional_success, float) + delta
    check(train <= bound + tol, "training-set success <= e^eps x distributional success + delta "
          f"(eps = {epsilon:g}, delta = {delta:g})", np.c_[train, bound])
    return bound


def dp_gap_holds(training_hits: int, training_n: int, distributional_hits: int, distributional_n: int,
                 epsilon: float, delta: float = 0.0, confidence: float = 0.95) -> dict:
    """The DP gap theorem on measured successes, with Wilson intervals.

    Raises when the training-set success is significantly above the bound: the lower end of its
    interval exceeds ``e^eps`` times the upper end of the distributional interval, plus delta.

    Parameters
    ----------
    training_hits, training_n : int
        Correct guesses and targets in the training-set game (pooled over seeds).
    distributional_hits, distributional_n : int
        The same in the distributional game.
    epsilon : float
        The learner's claimed epsilon for replace-one neighbours.
    delta : float, default=0.0
        Its delta.
    confidence : float, default=0.95
        Confidence of the two intervals.

    Returns
    -------
    dict
        ``training`` and ``distributional`` successes, ``training_lo``, ``distributional_hi``,
        ``bound`` (``e^eps * distributional + delta``) and ``bound_hi`` (on the upper end).

    Raises
    ------
    ClaimViolation
        If ``training_lo > bound_hi``.

    Examples
    --------
    >>> r = dp_gap_holds(520, 1000, 500, 1000, 0.2)
    >>> round(r["bound"], 3)
    0.611
    >>> dp_gap_holds(1990, 2000, 3900, 5000, 0.2)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: DP gap theorem at eps = 0.2, delta = 0
    ...
    """
    tr_lo, _ = wilson_interval(int(training_hits), int(training_n), confidence)
    _, di_hi = wilson_interval(int(distributional_hits), int(distributional_n), confidence)
    train, dist = training_hits / training_n, distributional_hits / distributional_n
    out = {"training": float(train), "distributional": float(dist), "training_lo": float(tr_lo),
           "distributional_hi": float(di_hi), "bound": float(np.exp(epsilon) * dist + delta),
           "bound_hi": float(np.exp(epsilon) * di_hi + delta)}
    check(tr_lo <= out["bound_hi"], f"DP gap theorem at eps = {epsilon:g}, delta = {delta:g}", out)
    return out


def dp_bound_informative(distributional_hits: int, distributional_n: int, epsilon: float,
                         delta: float = 0.0, confidence: float = 0.95) -> float:
    """The DP gap bound is below 1 (not vacuous), even on the upper end of the interval.

    Parameters
    ----------
    distributional_hits, distributional_n : int
        Correct guesses and targets in the distributional game.
    epsilon : float
        The epsilon (replace-one neighbours).
    delta : float, default=0.0
        Its delta.
    confidence : float, default=0.95
        Confidence of the Wilson interval.

    Returns
    -------
    float
        ``e^eps * (upper end of the distributional success) + delta``.

    Raises
    ------
    ClaimViolation
        If that bound is >= 1, so the theorem says nothing.

    Examples
    --------
    >>> round(dp_bound_informative(500, 1000, 0.2), 3)
    0.648
    >>> dp_bound_informative(500, 1000, 1.0)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the DP gap bound is below 1 at eps = 1
    1.4432184574958813
    """
    _, hi = wilson_interval(int(distributional_hits), int(distributional_n), confidence)
    bound = float(np.exp(epsilon) * hi + delta)
    check(bound < 1, f"the DP gap bound is below 1 at eps = {epsilon:g}", bound)
    return bound


def capped_advantage(exact_advantage, cap: float, cmi=None, measured_lo=None,
                     tol: float = 1e-9) -> float:
    """A model with I(X; Yhat) <= C keeps every prediction adversary's advantage <= sqrt(C/2).

    Parameters
    ----------
    exact_advantage : float or array-like
        Exact Bayes advantages of the output adversary (e.g. by quadrature).
    cap : float
        The claimed cap C on I(X; Yhat), nats.
    cmi : float or array-like, default=None
        The exact I(X_s; Yhat | A); if given, also ``advantage <= sqrt(cmi / 2)`` and
        ``cmi <= cap`` are checked.
    measured_lo : float or array-like, default=None
        Lower ends of measured advantages' intervals, which must not exceed the bound.
    tol : float, default=1e-9
        Floating-point slack.

    Returns
    -------
    float
        The bound ``sqrt(C / 2)``.

    Raises
    ------
    ClaimViolation
        If an advantage (or a measured lower end) exceeds the bound.

    Examples
    --------
    >>> round(capped_advantage([0.05, 0.08], 0.02), 3)
    0.1
    """
    bound = float(pinsker_bound(cap))
    adv = np.asarray(exact_advantage, float)
    check(adv <= bound + tol, f"exact advantage <= sqrt(C/2) = {bound:.4f}", adv)
    if cmi is not None:
        cmi = np.asarray(cmi, float)
        check(cmi <= cap + 1e-3, f"I(X_s; Yhat) <= C = {cap:g}", cmi)
        check(adv <= pinsker_bound(cmi) + tol, "exact advantage <= sqrt(I(X_s; Yhat)/2)", adv)
    if measured_lo is not None:
        check(np.asarray(measured_lo, float) <= bound, "measured advantage not significantly above sqrt(C/2)",
              measured_lo)
    return bound


def dp_converges(gap_large, gap_small, tol: float = 0.05, min_gap: float = 0.1) -> None:
    """A fixed-epsilon DP learner's distributional advantage converges to the non-private one.

    Parameters
    ----------
    gap_large : float or array-like
        Non-private minus DP advantage at the largest training-set size (per attack).
    gap_small : float
        The same at the smallest size (for the attack where DP protects there).
    tol : float, default=0.05
        Largest ``|gap|`` allowed at the largest size.
    min_gap : float, default=0.1
        Smallest gap required at the smallest size (so the convergence is not trivial).

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If the gap has not closed at the largest size, or was never open.

    Examples
    --------
    >>> dp_converges([0.01, -0.02], 0.2)
    >>> dp_converges([0.15], 0.2)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: at the largest n the DP advantage is within 0.05 of the non-private one
    [0.15]
    """
    gap_large = np.atleast_1d(np.asarray(gap_large, float))
    check(gap_small > min_gap, f"at the smallest n DP lowers the advantage by more than {min_gap:g}",
          gap_small)
    check(np.abs(gap_large) <= tol,
          f"at the largest n the DP advantage is within {tol:g} of the non-private one", gap_large)
