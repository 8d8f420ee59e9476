"""Tests of midlib.leakage: properties of entropy and mutual information, exact values on
known channels, convergence of the estimators, and the bounds against exact Bayes values."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from midlib import leakage
from midlib.defenses import GaussianNoiseRegressor

LOG2 = np.log(2)


def joints(max_side=5):
    """Hypothesis strategy: a strictly or weakly positive joint table."""
    shape = st.tuples(st.integers(2, max_side), st.integers(2, max_side))
    return shape.flatmap(lambda s: arrays(np.float64, s, elements=st.floats(0, 1))).filter(
        lambda a: a.sum() > 1e-3).map(lambda a: a / a.sum())


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(joints())
def test_mi_nonnegative_symmetric_and_bounded(p):
    mi = leakage.mutual_information(p)
    assert mi >= 0
    assert mi == pytest.approx(leakage.mutual_information(p.T), abs=1e-10)
    hx = leakage.entropy(p.sum(axis=1))
    hy = leakage.entropy(p.sum(axis=0))
    assert mi <= min(hx, hy) + 1e-10
    # I = H(X) + H(Y) - H(X, Y)
    assert mi == pytest.approx(hx + hy - leakage.entropy(p.ravel()), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 4), st.integers(1, 3), st.integers(2, 4), st.integers(0, 10 ** 6))
def test_conditional_mi_properties_and_pinsker(ns, na, no, seed):
    p = leakage.random_joint((ns, na, no), 1, seed)[0]
    cmi = leakage.conditional_mutual_information(p)
    assert cmi >= 0
    # I(S; O | A) <= I((S, A); O)
    assert cmi <= leakage.mutual_information(p.reshape(ns * na, no)) + 1e-10
    # with one value of A it is I(S; O)
    if na == 1:
        assert cmi == pytest.approx(leakage.mutual_information(p[:, 0, :]), abs=1e-10)
    _, _, adv = leakage.bayes_advantage(p)
    assert adv <= leakage.pinsker_bound(cmi) + 1e-12


def test_batched_equals_loop():
    p = leakage.random_joint((3, 4), 50, 0)
    batch = leakage.mutual_information(p)
    assert batch.shape == (50,)
    assert np.allclose(batch, [leakage.mutual_information(q) for q in p])


def test_product_distribution_has_zero_mi():
    p = np.outer([0.2, 0.3, 0.5], [0.6, 0.4])
    assert leakage.mutual_information(p) == pytest.approx(0, abs=1e-12)


def test_validation():
    with pytest.raises(ValueError, match="sum to 1"):
        leakage.mutual_information(np.ones((2, 2)))
    with pytest.raises(ValueError, match="negative"):
        leakage.entropy([1.5, -0.5])
    with pytest.raises(ValueError, match="NaN"):
        leakage.entropy([np.nan, 1.0])
    with pytest.raises(ValueError, match="input rows"):
        leakage.channel_mutual_information([0.5, 0.5], np.eye(3))
    with pytest.raises(ValueError, match="same length"):
        leakage.plugin_mutual_information([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="sigma"):
        leakage.linear_gaussian_mi([1.0], [[1.0]], 0.0)
    with pytest.raises(ValueError, match="epsilon"):
        leakage.dp_success_bound(0.5, -1)
    with pytest.raises(ValueError, match="lie in"):
        leakage.fano_error_lower_bound(2.0, 2)


# ------------------------------------------------------------------------------------------
# exact values on known channels
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("eps", [0.0, 0.05, 0.11, 0.3, 0.5])
def test_binary_symmetric_channel(eps):
    bsc = np.array([[1 - eps, eps], [eps, 1 - eps]])
    mi = leakage.channel_mutual_information([0.5, 0.5], bsc)
    assert mi == pytest.approx(LOG2 - leakage.binary_entropy(eps), abs=1e-12)
    assert leakage.channel_mutual_information([0.5, 0.5], bsc, base=2) == pytest.approx(
        1 - leakage.binary_entropy(eps, base=2), abs=1e-12)


def test_gaussian_closed_forms():
    rho = 0.6
    cov = np.array([[1.0, rho], [rho, 1.0]])
    assert leakage.gaussian_mutual_information(cov, 1) == pytest.approx(-0.5 * np.log(1 - rho ** 2))
    assert leakage.gaussian_entropy([[2.0]]) == pytest.approx(0.5 * np.log(2 * np.pi * np.e * 2))
    # linear Gaussian channel: Yhat = w'X + sigma xi, Cov(X, Yhat) = Sigma w
    w, Sigma, sigma = np.array([1.0, -2.0]), np.array([[1.0, 0.3], [0.3, 2.0]]), 0.7
    joint_cov = np.block([[Sigma, (Sigma @ w)[:, None]],
                          [(Sigma @ w)[None, :], np.array([[w @ Sigma @ w + sigma ** 2]])]])
    assert leakage.linear_gaussian_mi(w, Sigma, sigma) == pytest.approx(
        leakage.gaussian_mutual_information(joint_cov, 2))
    s = leakage.sigma_for_mi(w, Sigma, 0.1)
    assert leakage.linear_gaussian_mi(w, Sigma, s) == pytest.approx(0.1)


def test_fano_bound_known_values():
    # H(S|O) = 0 -> no error needed; H(S|O) = log M -> error >= 1 - 1/M; binary: h(Pe) = H
    assert leakage.fano_error_lower_bound(0.0, 4) == pytest.approx(0, abs=1e-12)
    assert leakage.fano_error_lower_bound(np.log(4), 4) == pytest.approx(0.75, abs=1e-6)  # flat maximum
    assert leakage.binary_entropy(leakage.fano_error_lower_bound(0.5, 2)) == pytest.approx(0.5, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 5), st.integers(2, 5), st.integers(0, 10 ** 6))
def test_fano_bound_holds_for_bayes_adversary(ns, no, seed):
    p = leakage.random_joint((ns, no), 1, seed)[0]
    h_cond = leakage.entropy(p.sum(axis=1)) - leakage.mutual_information(p)
    success = leakage.bayes_success(p)
    assert success <= leakage.fano_success_upper_bound(max(h_cond, 0.0), ns) + 1e-9


def test_dp_bound():
    assert leakage.dp_success_bound(0.4, np.log(2)) == pytest.approx(0.8)
    assert leakage.dp_success_bound(0.7, 1.0, 0.1) == 1.0


# ------------------------------------------------------------------------------------------
# estimators converge
# ------------------------------------------------------------------------------------------

def test_plugin_estimators_converge():
    rng = np.random.default_rng(0)
    eps, n = 0.1, 200_000
    x = rng.integers(0, 2, n)
    y = np.where(rng.random(n) < eps, 1 - x, x)
    exact = LOG2 - leakage.binary_entropy(eps)
    assert leakage.plugin_mutual_information(x, y) == pytest.approx(exact, abs=3e-3)
    assert leakage.plugin_entropy(x) == pytest.approx(LOG2, abs=1e-3)


def test_miller_madow_reduces_bias_on_small_samples():
    rng = np.random.default_rng(1)
    raw, mm = [], []
    for _ in range(200):
        x, y = rng.integers(0, 4, 60), rng.integers(0, 4, 60)   # independent: I = 0
        raw.append(leakage.plugin_mutual_information(x, y, correction=None))
        mm.append(leakage.plugin_mutual_information(x, y))
    assert np.mean(mm) < 0.5 * np.mean(raw)


def test_knn_estimator_converges_on_gaussians():
    rng = np.random.default_rng(2)
    rho, n = 0.8, 20_000
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho ** 2) * rng.standard_normal(n)
    assert leakage.knn_mutual_information(x, y) == pytest.approx(-0.5 * np.log(1 - rho ** 2), abs=0.03)


def test_discrete_output_mi_matches_channel_formula():
    channel = leakage.random_channel(4, 3, 1, 0)[0]
    px = np.array([0.1, 0.2, 0.3, 0.4])
    assert leakage.discrete_output_mi(channel, weights=px) == pytest.approx(
        leakage.channel_mutual_information(px, channel))
    # records with identical inputs, repeated in proportion to px
    probs = np.repeat(channel, [1, 2, 3, 4], axis=0)
    assert leakage.discrete_output_mi(probs) == pytest.approx(
        leakage.channel_mutual_information(px, channel))


def test_gaussian_output_mi_monte_carlo():
    # two equally likely means +-1 with sigma 1: compare with numerical integration
    from scipy import integrate, stats

    sigma = 1.0
    mix = lambda t: 0.5 * stats.norm.pdf(t, -1, sigma) + 0.5 * stats.norm.pdf(t, 1, sigma)
    h_mix = integrate.quad(lambda t: -mix(t) * np.log(mix(t)), -12, 12)[0]
    exact = h_mix - 0.5 * np.log(2 * np.pi * np.e * sigma ** 2)
    est, se = leakage.gaussian_output_mi([-1.0, 1.0], sigma, n_samples=100_000, seed=0, return_se=True)
    assert abs(est - exact) < 4 * se + 1e-3
    # Gaussian X: the MC estimate approaches the closed form (1/2) log(1 + var / sigma^2)
    mu = np.random.default_rng(3).standard_normal(800)
    est = leakage.gaussian_output_mi(mu, 0.5, n_samples=20_000, seed=1)
    assert est == pytest.approx(0.5 * np.log(1 + mu.var() / 0.25), abs=0.03)


# ------------------------------------------------------------------------------------------
# exact leakage of stochastic models on a finite population; the capped model
# ------------------------------------------------------------------------------------------

def test_gaussian_output_leakage_two_means():
    from scipy.stats import norm

    r = leakage.gaussian_output_leakage([-1.0, 1.0], 1.0, [0, 1])
    assert r["success"] == pytest.approx(norm.cdf(1.0), abs=1e-6)
    assert r["baseline"] == pytest.approx(0.5)
    # S determines the mean, so I(S; Yhat) = I(X; Yhat)
    assert r["cmi"] == pytest.approx(r["mi_x"], abs=1e-6)
    assert r["advantage"] <= leakage.pinsker_bound(r["cmi"])


def test_discrete_output_leakage_matches_joint_formulas():
    rng = np.random.default_rng(5)
    probs = leakage.random_channel(40, 3, 1, rng)[0]
    secret = rng.integers(0, 2, 40)
    aux = rng.integers(0, 3, 40)
    r = leakage.discrete_output_leakage(probs, secret, aux)
    joint = np.zeros((2, 3, 3))
    for i in range(40):
        joint[secret[i], aux[i]] += probs[i] / 40
    success, base, adv = leakage.bayes_advantage(joint)
    assert r["success"] == pytest.approx(success) and r["advantage"] == pytest.approx(adv)
    assert r["cmi"] == pytest.approx(leakage.conditional_mutual_information(joint))
    assert r["advantage"] <= leakage.pinsker_bound(r["cmi"]) <= leakage.pinsker_bound(r["mi_x"]) + 1e-12
    # merging equal inputs: two copies of each record give the same I(X; Yhat)
    r2 = leakage.discrete_output_leakage(np.vstack([probs, probs]), np.r_[secret, secret],
                                         x=np.r_[np.arange(40), np.arange(40)])
    assert r2["mi_x"] == pytest.approx(r["mi_x"])


def test_gaussian_noise_regressor_caps_information():
    rng = np.random.default_rng(6)
    X = rng.random((2000, 3))
    y = X @ np.array([1.0, -0.5, 2.0]) + rng.normal(0, 0.1, 2000)
    m = GaussianNoiseRegressor(mi_cap=0.1, random_state=0).fit(X, y)
    assert m.information_bound() == pytest.approx(0.1)
    exact = leakage.gaussian_output_leakage(m.predict_mean(X), m.noise_scale_, np.zeros(2000))["mi_x"]
    assert exact <= m.information_bound(X) + 1e-3
    a, b = m.predict(X[:5]), m.predict(X[:5])
    assert not np.allclose(a, b)  # fresh noise per call
    with pytest.raises(ValueError, match="exactly one"):
        GaussianNoiseRegressor().fit(X, y)
