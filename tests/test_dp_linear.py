"""Tests of the functional mechanism (midlib.defenses.dp_linear)."""

import itertools

import numpy as np
import pytest
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import LinearRegression

from midlib import data as datasets
from midlib.defenses.dp_linear import (FunctionalMechanismRegression,
                                       functional_mechanism_sensitivity, replacement_change)


def _data(n=200, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = np.clip(0.2 + X @ rng.uniform(0, 0.25, d) + rng.normal(0, 0.05, n), 0, 1)
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_sensitivity_is_the_max_over_the_box(d, fit_intercept):
    """The derived L1 sensitivity equals the largest change of the coefficient vector when one
    record is replaced: attained at vertices of [0,1]^(d+1), never exceeded at random points."""
    fm = FunctionalMechanismRegression(1.0, fit_intercept=fit_intercept)
    rng = np.random.default_rng(d)
    base_X, base_y = rng.random((5, d)), rng.random(5)

    def change(a, b):
        return replacement_change(fm, base_X, base_y, a, b)

    vertices = [np.array(v, dtype=float) for v in itertools.product([0, 1], repeat=d + 1)]
    worst = max(change(a, b) for a, b in itertools.combinations(vertices, 2))
    delta = functional_mechanism_sensitivity(d, fit_intercept)
    assert worst == pytest.approx(delta)
    pts = rng.random((400, d + 1))
    diffs = [change(a, b) for a, b in zip(pts[:200], pts[200:])]
    assert max(diffs) <= delta + 1e-12


def _audit(epsilon_run, epsilon_claim, n_samples=60000, n_bins=10, confidence=0.99, seed=0):
    """Largest lower confidence bound of the privacy loss log P(S in B | D) / P(S in B | D')
    over bins B of the fitted slope S, for the worst-case neighbours D, D' (one record (0, 0)
    replaced by (1, 1)); Clopper-Pearson intervals, Bonferroni over bins and directions."""
    X = np.array([[0.0], [0.3], [0.6], [0.9]])
    y = np.array([0.0, 0.4, 0.5, 0.8])
    X2, y2 = X.copy(), y.copy()
    X2[0], y2[0] = 1.0, 1.0
    fm = FunctionalMechanismRegression(epsilon_run)
    a = fm.sample_weights(X, y, n_samples, random_state=seed)[:, 1]
    b = fm.sample_weights(X2, y2, n_samples, random_state=seed + 1)[:, 1]
    edges = np.quantile(np.concatenate([a, b]), np.linspace(0, 1, n_bins + 1)[1:-1])
    ca = np.bincount(np.searchsorted(edges, a), minlength=n_bins)
    cb = np.bincount(np.searchsorted(edges, b), minlength=n_bins)
    alpha = (1 - confidence) / (2 * n_bins)
    worst = -np.inf
    for k1, k2 in ((ca, cb), (cb, ca)):
        lo = stats.beta.ppf(alpha / 2, k1, n_samples - k1 + 1)
        hi = stats.beta.ppf(1 - alpha / 2, k2 + 1, n_samples - k2)
        worst = max(worst, float(np.max(np.log(lo / hi))))
    return worst


def test_privacy_loss_within_epsilon():
    """An empirical audit: no bin shows a privacy loss above epsilon at 99 % confidence."""
    for eps in (0.5, 2.0):
        assert _audit(eps, eps) <= eps


def test_audit_detects_a_mechanism_with_too_little_noise():
    """The audit has power: a mechanism run at 20x the claimed epsilon is caught."""
    assert _audit(20.0, 1.0) > 1.0


def test_utility_approaches_least_squares():
    X, y = _data(500, 4)
    ols = LinearRegression().fit(X, y)
    mse_ols = np.mean((ols.predict(X) - y) ** 2)
    fm = FunctionalMechanismRegression(1e7, random_state=0).fit(X, y)
    np.testing.assert_allclose(fm.coef_, ols.coef_, atol=1e-3)
    assert fm.intercept_ == pytest.approx(ols.intercept_, abs=1e-3)
    mse = {eps: np.mean([np.mean((FunctionalMechanismRegression(eps, random_state=s).fit(X, y)
                                  .predict(X) - y) ** 2) for s in range(20)])
           for eps in (1.0, 30.0, 1e3, 1e5)}
    assert mse[1.0] > mse[30.0] > mse[1e3] >= mse[1e5] - 1e-6
    assert mse[1e5] == pytest.approx(mse_ols, rel=0.01)


def test_fitted_attributes_and_determinism():
    X, y = _data()
    a = FunctionalMechanismRegression(2.0, random_state=3).fit(X, y)
    b = FunctionalMechanismRegression(2.0, random_state=3).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.sensitivity_ == 3 ** 2 + 4 * 3 + 2
    assert a.laplace_scale_ == pytest.approx(a.sensitivity_ / 2.0)
    assert not hasattr(a, "noise_scale_")  # its output is deterministic (see game.OutputBayesAdversary)
    assert a.epsilon_ == 2.0
    assert np.all((a.predict(X) >= 0) & (a.predict(X) <= 1))
    c = clone(a)
    assert c.get_params() == a.get_params()


@pytest.mark.parametrize("eps", [0, -1, float("nan"), float("inf"), "1", None])
def test_bad_epsilon(eps):
    X, y = _data()
    with pytest.raises(ValueError, match="epsilon"):
        FunctionalMechanismRegression(eps).fit(X, y)


def test_data_outside_bounds_and_nan():
    X, y = _data()
    with pytest.raises(ValueError, match=r"features must lie in \[0, 1\]"):
        FunctionalMechanismRegression(1.0).fit(X * 2, y)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        FunctionalMechanismRegression(1.0).fit(X, y - 0.5)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FunctionalMechanismRegression(1.0).fit(Xn, y)
    with pytest.raises(ValueError, match="ridge"):
        FunctionalMechanismRegression(1.0, ridge=-1).fit(X, y)


def test_diffprivlib_cross_check():
    """Where diffprivlib imports (it does not with scikit-learn 1.9), its LinearRegression with
    symmetric bounds should reach a similar error at a large epsilon."""
    dpl = pytest.importorskip("diffprivlib.models")
    X, y = _data(2000, 2)
    ours = np.mean((FunctionalMechanismRegression(1e4, random_state=0).fit(X, y).predict(X) - y) ** 2)
    theirs_model = dpl.LinearRegression(epsilon=1e4, bounds_X=(0, 1), bounds_y=(0, 1), random_state=0)
    theirs = np.mean((theirs_model.fit(X, y).predict(X) - y) ** 2)
    assert ours == pytest.approx(theirs, rel=0.2)


@pytest.mark.skipif(not datasets.available("iwpc"), reason="IWPC data file not available")
def test_iwpc_dp_mse_falls_with_epsilon():
    task = datasets.load_iwpc()
    X, y = task.encode(), task.y(scaled=True)
    mse = {eps: np.mean([np.mean((FunctionalMechanismRegression(eps, random_state=s).fit(X, y)
                                  .predict(X) - y) ** 2) for s in range(5)])
           for eps in (3.0, 100.0, 1e4)}
    assert mse[3.0] > mse[100.0] > mse[1e4]
    assert mse[1e4] < 0.0135  # least squares reaches 0.0128 on the scaled dose


@pytest.fixture(scope="module")
def pharmacogenetic_runs():
    """Draws of the mechanism (epsilon = 1) on synthetic IWPC-like training sets of growing size,
    under the redundant one-hot encoding and the full-rank ``drop_first`` one, scored on fresh
    patients: {(n, drop_first, noise_floor): (test MSEs of the draws, OLS test MSE, weights)}."""
    test = datasets.make_pharmacogenetic(5_000, random_state=99)
    out = {}
    for n in (10_000, 100_000, 1_000_000):
        base = datasets.make_pharmacogenetic(n, random_state=1)
        for drop in (False, True):
            tr, tt = base.with_encoding(drop_first=drop), test.with_encoding(drop_first=drop)
            X, y, Xt, yt = tr.encode(), tr.y(scaled=True), tt.encode(), tt.y(scaled=True)
            ols = float(np.mean((LinearRegression().fit(X, y).predict(Xt) - yt) ** 2))
            for floor in ((0.0, 10.0) if n == 1_000_000 else (0.0,)):
                fm = FunctionalMechanismRegression(1.0, noise_floor=floor)
                W = fm.sample_weights(X, y, 200, random_state=0)
                pred = np.clip(W[:, :1] + W[:, 1:] @ Xt.T, 0.0, 1.0)
                out[n, drop, floor] = (((pred - yt) ** 2).mean(axis=1), ols, W, tr.feature_names())
    return out


def test_full_rank_encoding_converges_to_least_squares(pharmacogenetic_runs):
    """At fixed epsilon, with one reference level dropped per one-hot group, the mechanism's
    held-out error falls towards least squares' as n grows and is within 2 % of it at n = 10^6,
    with no draw more than 10 % worse."""
    ratio = {n: pharmacogenetic_runs[n, True, 0.0][0].mean() / pharmacogenetic_runs[n, True, 0.0][1]
             for n in (10_000, 100_000, 1_000_000)}
    assert ratio[10_000] > ratio[100_000] > ratio[1_000_000]
    mse, ols, _, _ = pharmacogenetic_runs[1_000_000, True, 0.0]
    assert mse.mean() <= 1.02 * ols
    assert mse.max() <= 1.1 * ols


def test_redundant_encoding_keeps_noise_in_the_null_directions(pharmacogenetic_runs):
    """With every level kept (each group sums to the intercept column), the weight component
    along a direction the data never vary in is a ratio of noise terms that does not shrink with
    n, and at n = 10^6 a sizeable share of the draws is still far from least squares."""
    def null_component(n):
        _, _, W, names = pharmacogenetic_runs[n, False, 0.0]
        v = np.zeros(W.shape[1])
        v[0] = 1.0                                    # intercept ...
        v[1 + np.array([i for i, s in enumerate(names) if s.startswith("race=")])] = -1.0  # ... minus race
        return np.median(np.abs(W @ v / np.linalg.norm(v)))
    assert null_component(1_000_000) > 0.3 * null_component(10_000)
    mse, ols, _, _ = pharmacogenetic_runs[1_000_000, False, 0.0]
    assert np.mean(mse > 1.1 * ols) >= 0.05
    assert mse.mean() > 1.1 * ols


def test_noise_floor_repairs_the_redundant_encoding(pharmacogenetic_runs):
    """Trimming directions whose noisy curvature is below 10 Laplace scales (post-processing)
    makes the redundant encoding converge too."""
    mse, ols, _, _ = pharmacogenetic_runs[1_000_000, False, 10.0]
    assert mse.max() <= 1.1 * ols
    assert mse.mean() <= 1.02 * ols


def test_noise_floor_validation_and_default():
    X, y = _data()
    with pytest.raises(ValueError, match="noise_floor"):
        FunctionalMechanismRegression(1.0, noise_floor=-1).fit(X, y)
    a = FunctionalMechanismRegression(1.0, random_state=0).fit(X, y)
    b = FunctionalMechanismRegression(1.0, random_state=0, noise_floor=0.0).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    c = FunctionalMechanismRegression(1.0, random_state=0, noise_floor=1e9).fit(X, y)
    assert c.n_trimmed_ == X.shape[1] + 1 and np.all(c.coef_ == 0)


def test_zhang_ridge_is_five_laplace_standard_deviations():
    from midlib.defenses import zhang_ridge

    X, y = _data()
    d = X.shape[1]
    expected = 5 * np.sqrt(2) * functional_mechanism_sensitivity(d) / 3.0
    assert np.isclose(zhang_ridge(d, 3.0), expected)
    m = FunctionalMechanismRegression(3.0, ridge="zhang", random_state=0).fit(X, y)
    assert np.isclose(m.ridge_, expected)
    # the same noise with the same explicit ridge gives the same weights (post-processing only)
    same = FunctionalMechanismRegression(3.0, ridge=expected, random_state=0).fit(X, y)
    assert np.allclose(m.coef_, same.coef_) and np.isclose(m.intercept_, same.intercept_)
    plain = FunctionalMechanismRegression(3.0, random_state=0).fit(X, y)
    assert plain.ridge_ == 0.0
    # the ridge shrinks the weights towards 0
    assert np.linalg.norm(m.coef_) < np.linalg.norm(plain.coef_) + 1e-12
    with pytest.raises(ValueError, match="ridge"):
        FunctionalMechanismRegression(1.0, ridge="lasso").fit(X, y)
    with pytest.raises(ValueError, match="epsilon"):
        zhang_ridge(d, 0.0)
