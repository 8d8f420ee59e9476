"""Tests of MID for linear regression (midlib.defenses.mid_linear)."""

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from midlib import data as datasets
from midlib.defenses.mid_linear import (MIDLinearRegression, gaussian_bound, numerical_minimum,
                                        optimal_noise_variance)
from midlib.leakage import gaussian_mixture_mutual_information


def _instance(seed, n=60, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d))
    y = X @ rng.normal(size=d) + rng.normal(scale=rng.uniform(0.3, 2), size=n) + rng.normal()
    return X, y


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_closed_form_matches_general_optimizer(seed, fit_intercept):
    X, y = _instance(seed)
    V = np.var(LinearRegression(fit_intercept=fit_intercept).fit(X, y).predict(X))
    for lam in (0.05 * V, 0.8 * V, 1.9 * V, 3.0 * V):
        model = MIDLinearRegression(lam, fit_intercept=fit_intercept).fit(X, y)
        J = model.objective(X, y)
        best = numerical_minimum(X, y, lam, fit_intercept, seed=seed)
        # the closed form is never beaten, and the optimiser finds the same value
        assert J <= best.fun + 1e-9 * max(1.0, abs(J))
        assert best.fun == pytest.approx(J, rel=1e-6, abs=1e-9)
        if model.alpha_ > 0:
            np.testing.assert_allclose(best.x[: X.shape[1]], model.coef_, rtol=1e-4, atol=1e-5)


def test_structure_of_the_optimum():
    X, y = _instance(11, n=300, d=5)
    ols = LinearRegression().fit(X, y)
    V = np.var(ols.predict(X))
    mse_ols = np.mean((ols.predict(X) - y) ** 2)
    for lam in (1e-3 * V, 0.5 * V, 1.5 * V):
        m = MIDLinearRegression(lam).fit(X, y)
        alpha = 1 - lam / (2 * V)
        assert m.alpha_ == pytest.approx(alpha)
        np.testing.assert_allclose(m.coef_, alpha * ols.coef_, rtol=1e-8)
        assert m.noise_scale_ ** 2 == pytest.approx(alpha * (1 - alpha) * V, rel=1e-8)
        assert m.information_bound() == pytest.approx(0.5 * np.log(2 * V / lam), rel=1e-8)
        mean, sigma = m.predict_distribution(X)
        expected_mse = np.mean((mean - y) ** 2) + sigma ** 2
        assert expected_mse == pytest.approx(mse_ols + lam / 2, rel=1e-8)
    big = MIDLinearRegression(2.5 * V).fit(X, y)
    assert big.alpha_ == 0 and big.noise_scale_ == 0 and big.information_bound() == 0
    np.testing.assert_allclose(big.predict(X), y.mean())


def test_noise_variance_is_the_minimiser_for_fixed_w():
    rng = np.random.default_rng(0)
    for _ in range(20):
        V, lam = rng.exponential(), rng.exponential()
        s = optimal_noise_variance(V, lam)
        grid = s * np.exp(np.linspace(-3, 3, 2001))
        g = grid + lam * 0.5 * np.log1p(V / grid)
        assert s + lam * 0.5 * np.log1p(V / s) <= g.min() + 1e-12


def test_lambda_zero_is_least_squares():
    X, y = _instance(3)
    m = MIDLinearRegression(0.0).fit(X, y)
    ols = LinearRegression().fit(X, y)
    np.testing.assert_allclose(m.coef_, ols.coef_, rtol=1e-10)
    assert m.noise_scale_ == 0
    np.testing.assert_allclose(m.predict(X), ols.predict(X), rtol=1e-10)
    assert m.information_bound() == np.inf


def test_bound_holds_for_discrete_inputs():
    """The Gaussian bound exceeds the numerically integrated I(X; Yhat) of a discrete X."""
    rng = np.random.default_rng(5)
    for _ in range(10):
        k = rng.integers(2, 6)
        means = rng.normal(size=k) * rng.exponential()
        p = rng.dirichlet(np.ones(k))
        sigma = rng.exponential()
        var = float(p @ means ** 2 - (p @ means) ** 2)
        exact = gaussian_mixture_mutual_information(means, sigma, p)
        assert 0 <= exact <= gaussian_bound(var, sigma ** 2) + 1e-9
        assert exact <= np.log(k) + 1e-9  # and below H(X)


def test_predict_samples_and_honours_random_state():
    X, y = _instance(4, n=50)
    a = MIDLinearRegression(0.5, random_state=7).fit(X, y)
    b = MIDLinearRegression(0.5, random_state=7).fit(X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    first, second = a.predict(X), a.predict(X)
    assert not np.allclose(first, second)  # fresh noise per query
    mean, sigma = a.predict_distribution(X)
    assert sigma > 0
    draws = np.stack([a.predict(X[:1]) for _ in range(4000)]).ravel()
    assert draws.mean() == pytest.approx(mean[0], abs=4 * sigma / np.sqrt(4000))
    assert draws.std() == pytest.approx(sigma, rel=0.05)


@pytest.mark.parametrize("lam", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_bad_lambda(lam):
    X, y = _instance(0)
    with pytest.raises(ValueError, match="lam"):
        MIDLinearRegression(lam).fit(X, y)


def test_bad_data():
    X, y = _instance(0)
    Xn = X.copy()
    Xn[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MIDLinearRegression(0.1).fit(Xn, y)
    m = MIDLinearRegression(0.1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :2])
    with pytest.raises(TypeError):
        MIDLinearRegression(0.1, random_state="seed").fit(X, y)


@parametrize_with_checks([MIDLinearRegression(0.01, random_state=0), MIDLinearRegression(0.0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.skipif(not datasets.available("iwpc"), reason="IWPC data file not available")
def test_iwpc_excess_mse_and_bound():
    task = datasets.load_iwpc()
    X, y = task.encode(), task.y(scaled=True)
    ols_mse = np.mean((LinearRegression().fit(X, y).predict(X) - y) ** 2)
    assert 0.011 < ols_mse < 0.015
    m = MIDLinearRegression(0.01, random_state=0).fit(X, y)
    mean, sigma = m.predict_distribution(X)
    assert np.mean((mean - y) ** 2) + sigma ** 2 == pytest.approx(ols_mse + 0.005, rel=1e-6)
    # the bound against I(X; Yhat) integrated over the training inputs' empirical distribution
    exact = gaussian_mixture_mutual_information(mean, sigma)
    assert exact <= m.information_bound() + 1e-9
