"""Claim checks of the chapter "MID for linear regression" (the paper's Fig. 2a): each function
raises :class:`midlib.checks.ClaimViolation` when its claim is false on the numbers given, and
``tests/test_checks_linear.py`` plants a violation of each (an under-stated bound, a wrong closed
form, a wrong sensitivity, a weakened attack, a constant predictor among the compared points, a
mechanism without Zhang et al.'s ridge) and sees it raise."""

from __future__ import annotations

import itertools

import numpy as np

from midlib.checks.base import Comparison, check, compare

__all__ = ["gaussian_bound_holds", "closed_form_is_optimal", "mid_shrinkage_matches",
           "mid_excess_and_bound", "sensitivity_is_exact", "attack_matches_bayes",
           "attack_beats_prior", "strictly_below_constant", "uses_zhang_ridge",
           "median_comparison", "paper_verdict"]


def gaussian_bound_holds(exact, bound, tol: float = 1e-9) -> None:
    """Check I(X; Yhat) <= (1/2) log(1 + w' Sigma w / sigma^2) on every case.

    Parameters
    ----------
    exact : array-like
        The exact mutual information of each case (nats).
    bound : array-like
        The Gaussian bound of each case (nats).
    tol : float, default=1e-9
        Numerical slack.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If an exact value exceeds its bound.

    Examples
    --------
    >>> gaussian_bound_holds([0.1, 0.2], [0.1, 0.3])
    >>> gaussian_bound_holds([0.4], [0.3])
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the Gaussian bound holds on every case
    exact [0.4], bound [0.3]
    """
    exact, bound = np.asarray(exact, float), np.asarray(bound, float)
    bad = exact > bound + tol
    check(~bad, "the Gaussian bound holds on every case",
          f"exact {exact[bad].round(6).tolist()}, bound {bound[bad].round(6).tolist()}")


def closed_form_is_optimal(j_closed, j_optimizer, rtol: float = 1e-4) -> None:
    """Check that a general optimiser never beats MID's closed-form optimum, and agrees with it.

    Parameters
    ----------
    j_closed : array-like
        The objective J at the closed form of each instance.
    j_optimizer : array-like
        The best J a general optimiser found on the same instance.
    rtol : float, default=1e-4
        Largest relative disagreement accepted (the optimiser's own accuracy).

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If the optimiser beats the closed form by more than 1e-9 relative (the closed form is
        not the minimum) or stays above it by more than ``rtol``.

    Examples
    --------
    >>> closed_form_is_optimal([1.0, 2.0], [1.0, 2.00001])
    >>> closed_form_is_optimal([1.0], [0.9])
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: no optimiser beats the closed form
    relative gaps [-0.1]
    """
    jc, jo = np.asarray(j_closed, float), np.asarray(j_optimizer, float)
    gap = (jo - jc) / np.abs(jc)
    check(gap >= -1e-9, "no optimiser beats the closed form",
          f"relative gaps {gap[gap < -1e-9].round(6).tolist()}")
    check(gap <= rtol, "the optimiser agrees with the closed form",
          f"relative gaps {gap[gap > rtol].round(6).tolist()}")


def mid_shrinkage_matches(lam, V, alpha, sigma, atol: float = 1e-10) -> None:
    """Check alpha = (1 - lambda / 2V)_+ and sigma^2 = alpha (1 - alpha) V at every MID point.

    Parameters
    ----------
    lam, V, alpha, sigma : array-like
        lambda, the variance of the least-squares fit, and the fitted model's shrinkage and
        output noise (standard deviation), one entry per fitted model.
    atol : float, default=1e-10
        Tolerance.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If a fitted model departs from the closed form of the theorem.

    Examples
    --------
    >>> mid_shrinkage_matches([0.01], [0.02], [0.75], [np.sqrt(0.75 * 0.25 * 0.02)])
    >>> mid_shrinkage_matches([0.01], [0.02], [0.5], [0.07])
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: alpha = (1 - lambda / 2V)_+ at every MID point
    expected [0.75], got [0.5]
    """
    lam, V, alpha, sigma = (np.asarray(a, float) for a in (lam, V, alpha, sigma))
    want = np.clip(1 - lam / (2 * V), 0, 1)
    bad = np.abs(alpha - want) > atol
    check(~bad, "alpha = (1 - lambda / 2V)_+ at every MID point",
          f"expected {want[bad].round(6).tolist()}, got {alpha[bad].round(6).tolist()}")
    s2 = want * (1 - want) * V
    bad = np.abs(sigma ** 2 - s2) > atol
    check(~bad, "sigma^2 = alpha (1 - alpha) V at every MID point",
          f"expected {s2[bad].round(8).tolist()}, got {(sigma[bad] ** 2).round(8).tolist()}")


def mid_excess_and_bound(model, X, y, E0: float, V: float, tol: float = 1e-10) -> None:
    """Check that a fitted MID model's excess error is lambda / 2 and its bound (1/2) log(2V/lambda).

    Parameters
    ----------
    model : MIDLinearRegression
        Fitted on ``(X, y)`` with ``0 < lam < 2V``.
    X, y : array-like
        The training data.
    E0 : float
        The least-squares training error.
    V : float
        The variance of the least-squares fit.
    tol : float, default=1e-10
        Tolerance.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If either value departs from the theorem.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from midlib.defenses import MIDLinearRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 2)); y = X @ [1.0, -1.0] + rng.normal(size=50)
    >>> ols = LinearRegression().fit(X, y).predict(X)
    >>> m = MIDLinearRegression(0.5).fit(X, y)
    >>> mid_excess_and_bound(m, X, y, np.mean((ols - y) ** 2), np.var(ols))
    """
    mean, sd = model.predict_distribution(X)
    excess = float(np.mean((mean - np.asarray(y)) ** 2) + sd ** 2 - E0)
    check(abs(excess - model.lam / 2) < tol, "MID's excess error is lambda / 2",
          f"excess {excess:.6g}, lambda / 2 = {model.lam / 2:.6g}")
    want = 0.5 * np.log(2 * V / model.lam)
    got = model.information_bound()
    check(abs(got - want) < tol, "MID's information bound is (1/2) log(2V / lambda)",
          f"bound {got:.6g}, expected {want:.6g}")


def sensitivity_is_exact(mechanism, d: int, derived: float, rng, n_random: int = 200,
                         base_size: int = 4) -> None:
    """Check a functional-mechanism sensitivity by brute force.

    For ``d <= 3`` every pair of vertices of [0, 1]^(d+1) (features and label) is tried and the
    largest L1 change must equal ``derived``; for larger ``d``, random records must stay within
    it and the pair (all zeros, all ones) must attain it.

    Parameters
    ----------
    mechanism : FunctionalMechanismRegression
        Whose coefficient map is checked (through :func:`midlib.defenses.replacement_change`).
    d : int
        Number of features.
    derived : float
        The claimed sensitivity.
    rng : numpy.random.Generator
        For the base data set and the random records.
    n_random : int, default=200
        Random pairs for ``d > 3``.
    base_size : int, default=4
        Records in the base data set.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If the brute-force sensitivity differs from ``derived`` (or a random pair exceeds it).

    Examples
    --------
    >>> from midlib.defenses import FunctionalMechanismRegression
    >>> sensitivity_is_exact(FunctionalMechanismRegression(1.0), 2, 14.0, np.random.default_rng(0))
    """
    from midlib.defenses.dp_linear import replacement_change

    base_X, base_y = rng.random((base_size, d)), rng.random(base_size)
    if d <= 3:
        vertices = [np.array(v, float) for v in itertools.product([0, 1], repeat=d + 1)]
        worst = max(replacement_change(mechanism, base_X, base_y, a, b)
                    for a, b in itertools.combinations(vertices, 2))
        check(np.isclose(worst, derived), f"the sensitivity at d={d} is {derived:g}",
              f"brute force over the vertices gives {worst:g}")
        return
    changes = [replacement_change(mechanism, base_X, base_y, rng.random(d + 1), rng.random(d + 1))
               for _ in range(n_random)]
    extreme = replacement_change(mechanism, base_X, base_y, np.zeros(d + 1), np.ones(d + 1))
    check(max(changes) <= derived + 1e-9 and np.isclose(extreme, derived),
          f"the sensitivity at d={d} is {derived:g}",
          f"largest random change {max(changes):g}, extreme pair {extreme:g}")


def attack_matches_bayes(accuracy: float, bayes: float, n: int, z: float = 3.0) -> None:
    """Check that the attack with the true model reaches the exact Bayes accuracy.

    Parameters
    ----------
    accuracy : float
        The attack's accuracy on ``n`` synthetic records.
    bayes : float
        The exact Bayes accuracy.
    n : int
        Number of records.
    z : float, default=3.0
        Width of the acceptance band in binomial standard errors.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If the accuracy lies more than ``z`` standard errors from the Bayes accuracy (a
        weakened or broken attack lands below it).

    Examples
    --------
    >>> attack_matches_bayes(0.60, 0.602, 20_000)
    >>> attack_matches_bayes(0.55, 0.602, 20_000)
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the MAP attack with the true model is Bayes-optimal
    accuracy 0.5500, exact Bayes 0.6020 (se 0.0035)
    """
    se = float(np.sqrt(bayes * (1 - bayes) / n))
    check(abs(accuracy - bayes) <= z * se, "the MAP attack with the true model is Bayes-optimal",
          f"accuracy {accuracy:.4f}, exact Bayes {bayes:.4f} (se {se:.4f})")


def attack_beats_prior(success, prior, margin: float = 0.1) -> None:
    """Check that the undefended attack beats the prior guess by ``margin`` on every split.

    Parameters
    ----------
    success : array-like
        The attack's success per split.
    prior : array-like
        The prior guess's success on the same targets.
    margin : float, default=0.1
        The least gap.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If on some split the attack does not beat the prior by ``margin``.

    Examples
    --------
    >>> attack_beats_prior([0.58, 0.57], [0.37, 0.36])
    >>> attack_beats_prior([0.40], [0.37])
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the undefended attack beats the prior guess by 0.1
    gaps [0.03]
    """
    gap = np.asarray(success, float) - np.asarray(prior, float)
    check(gap >= margin, f"the undefended attack beats the prior guess by {margin:g}",
          f"gaps {gap[gap < margin].round(4).tolist()}")


def strictly_below_constant(mse, mse_constant, what: str = "compared points") -> None:
    """Check that every point of a comparison has a held-out error strictly below the constant
    predictor's (so that no "defended model" in it is the mean dose).

    Parameters
    ----------
    mse : array-like
        Held-out errors of the points.
    mse_constant : array-like
        The constant predictor's held-out error on the same splits.
    what : str, default="compared points"
        Names the points in the message.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If a point is at or above the constant predictor's error.

    Examples
    --------
    >>> strictly_below_constant([0.02, 0.022], [0.025, 0.025])
    >>> strictly_below_constant([0.026], [0.025])
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the compared points are strictly better than the constant predictor
    errors [0.026] against [0.025]
    """
    mse, const = np.asarray(mse, float), np.asarray(mse_constant, float)
    bad = ~(mse < const)
    check(~bad, f"the {what} are strictly better than the constant predictor",
          f"errors {mse[bad].round(4).tolist()} against {np.broadcast_to(const, mse.shape)[bad].round(4).tolist()}")


def uses_zhang_ridge(ridge, d: int, epsilon, rtol: float = 1e-12) -> None:
    """Check that fitted functional mechanisms are Zhang et al.'s regularised one.

    Parameters
    ----------
    ridge : array-like
        The fitted models' ``ridge_`` (one per model).
    d : int
        Number of features.
    epsilon : array-like
        Their budgets.
    rtol : float, default=1e-12
        Relative tolerance.

    Returns
    -------
    None

    Raises
    ------
    ClaimViolation
        If a ridge is not ``5 sqrt(2) Delta / epsilon`` (e.g. the plain mechanism, ridge 0).

    Examples
    --------
    >>> from midlib.defenses import FunctionalMechanismRegression
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.random((50, 2)), rng.random(50)
    >>> uses_zhang_ridge([FunctionalMechanismRegression(5.0, ridge="zhang").fit(X, y).ridge_], 2, [5.0])
    >>> uses_zhang_ridge([0.0], 2, [5.0])
    Traceback (most recent call last):
    ...
    midlib.checks.base.ClaimViolation: claim violated: the DP baseline uses Zhang et al.'s ridge 5 sqrt(2) Delta / epsilon
    ridges [0.0], expected [19.799]
    """
    from midlib.defenses.dp_linear import functional_mechanism_sensitivity

    ridge, eps = np.asarray(ridge, float), np.asarray(epsilon, float)
    want = 5 * np.sqrt(2) * functional_mechanism_sensitivity(d) / eps
    bad = ~np.isclose(ridge, want, rtol=rtol, atol=0)
    check(~bad, "the DP baseline uses Zhang et al.'s ridge 5 sqrt(2) Delta / epsilon",
          f"ridges {ridge[bad].round(3).tolist()}, expected {np.broadcast_to(want, ridge.shape)[bad].round(3).tolist()}")


def median_comparison(a, b, confidence: float = 0.95, random_state=0) -> Comparison:
    """Compare two sets of per-seed values by their medians with bootstrap intervals.

    Parameters
    ----------
    a, b : array-like
        Per-seed values.
    confidence : float, default=0.95
        Coverage of the intervals.
    random_state : int, default=0
        Seeds the bootstrap.

    Returns
    -------
    Comparison
        Of the median of ``a`` with the median of ``b`` (``b`` may be a single number: a
        point interval).

    Examples
    --------
    >>> median_comparison([0.5, 0.52, 0.51], [0.6, 0.61, 0.62]).direction
    'below'
    >>> median_comparison([-0.01, 0.02, 0.0], 0.0).words
    'not significantly different from'
    """
    from midlib.stats import median_interval

    ma, la, ha = median_interval(a, confidence, random_state=random_state)
    mb, lb, hb = median_interval(np.atleast_1d(b), confidence, random_state=random_state)
    return compare(ma, (la, ha), mb, (lb, hb))


def paper_verdict(comparison: Comparison, paper_direction: str) -> str:
    """Whether a claim of the paper survives: ``"survives"`` when the comparison has the
    direction the paper asserts, ``"does not survive"`` otherwise.

    Parameters
    ----------
    comparison : Comparison
        Our comparison.
    paper_direction : {"below", "above", "none"}
        The direction the paper asserts (``"none"``: no difference, e.g. "reaches the prior").

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For another direction.

    Examples
    --------
    >>> paper_verdict(compare(0.4, (0.38, 0.42), 0.5, (0.48, 0.52)), "below")
    'survives'
    """
    if paper_direction not in ("below", "above", "none"):
        raise ValueError(f"paper_direction must be 'below', 'above' or 'none', got {paper_direction!r}")
    return "survives" if comparison.direction == paper_direction else "does not survive"
