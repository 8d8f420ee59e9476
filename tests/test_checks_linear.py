"""Every claim check of the linear chapter in both directions: it passes on the true numbers and
raises ClaimViolation on a planted error."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from midlib import data as datasets
from midlib.attacks import FredriksonMAP
from midlib.checks import ClaimViolation
from midlib.checks import linear as claims
from midlib.data import iwpc_formula_model, pharmacogenetic_bayes_accuracy
from midlib.defenses import (FunctionalMechanismRegression, MIDLinearRegression,
                             functional_mechanism_sensitivity, gaussian_bound, mid_objective,
                             numerical_minimum)
from midlib.experiments import iwpc
from midlib.leakage import gaussian_mixture_mutual_information


def _regression(seed=0, n=80, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    ols = LinearRegression().fit(X, y).predict(X)
    return X, y, float(np.var(ols)), float(np.mean((ols - y) ** 2))


def test_gaussian_bound_true_and_understated():
    rng = np.random.default_rng(0)
    exact, bound = [], []
    for _ in range(10):
        m = int(rng.integers(2, 6))
        means, p, sd = rng.normal(size=m), rng.dirichlet(np.ones(m)), float(rng.exponential()) + 0.1
        exact.append(gaussian_mixture_mutual_information(means, sd, p))
        bound.append(gaussian_bound(float(p @ means**2 - (p @ means) ** 2), sd**2))
    claims.gaussian_bound_holds(exact, bound)
    with pytest.raises(ClaimViolation, match="Gaussian bound"):  # planted: bound under-stated
        claims.gaussian_bound_holds(exact, 0.5 * np.asarray(bound))


def test_closed_form_true_and_wrong():
    X, y, V, _ = _regression()
    lam = 0.5 * V
    good = MIDLinearRegression(lam).fit(X, y)
    opt = numerical_minimum(X, y, lam, seed=0).fun
    claims.closed_form_is_optimal([good.objective(X, y)], [opt])
    # planted: a wrong closed form, alpha = 1 - lambda / V instead of 1 - lambda / (2V)
    alpha = 1 - lam / V
    w = alpha * good.coef_ / good.alpha_
    b = float(np.mean(y) - np.mean(X, axis=0) @ w)
    s2 = alpha * (1 - alpha) * V
    wrong = mid_objective(w, b, s2, X, y, lam)
    with pytest.raises(ClaimViolation, match="no optimiser beats"):
        claims.closed_form_is_optimal([wrong], [opt])


def test_shrinkage_at_every_point_true_and_wrong():
    X, y, V, _ = _regression(1)
    lams = V * np.array([0.0, 0.3, 1.0, 1.9, 2.0, 3.0])   # through 2V: alpha = 0 there
    models = [MIDLinearRegression(lam).fit(X, y) for lam in lams]
    alpha = [m.alpha_ for m in models]
    sigma = [m.noise_scale_ for m in models]
    claims.mid_shrinkage_matches(lams, V, alpha, sigma)
    with pytest.raises(ClaimViolation, match="alpha"):   # planted: alpha = 1 - lambda / V
        claims.mid_shrinkage_matches(lams, V, np.clip(1 - lams / V, 0, 1), sigma)
    with pytest.raises(ClaimViolation, match="sigma"):   # planted: noise halved
        claims.mid_shrinkage_matches(lams, V, alpha, 0.5 * np.asarray(sigma))


def test_excess_and_bound_true_and_tampered():
    X, y, V, E0 = _regression(2)
    model = MIDLinearRegression(0.4 * V).fit(X, y)
    claims.mid_excess_and_bound(model, X, y, E0, V)
    model.noise_scale_ *= 0.5   # planted: the model's noise below the optimum
    with pytest.raises(ClaimViolation, match="MID's"):
        claims.mid_excess_and_bound(model, X, y, E0, V)


@pytest.mark.parametrize("d", [1, 2, 3, 12])
def test_sensitivity_true_and_wrong(d):
    fm = FunctionalMechanismRegression(1.0)
    claims.sensitivity_is_exact(fm, d, functional_mechanism_sensitivity(d), np.random.default_rng(d))
    with pytest.raises(ClaimViolation, match="sensitivity"):   # planted: the no-intercept count
        claims.sensitivity_is_exact(fm, d, functional_mechanism_sensitivity(d, fit_intercept=False),
                                    np.random.default_rng(d))


def test_bayes_attack_true_and_weakened():
    synthetic = datasets.make_pharmacogenetic(20_000, random_state=1)
    prior = lambda f: np.stack([datasets.pharmacogenetic_genotype_probs(r)[0] for r in f["race"]])
    model = iwpc_formula_model(synthetic)
    hidden = synthetic.frame.assign(vkorc1=None)
    truth = synthetic.frame["vkorc1"].to_numpy()
    bayes = pharmacogenetic_bayes_accuracy(0.8, "vkorc1")

    def accuracy(**kw):
        attack = FredriksonMAP("black-box", target=lambda t, f: np.sqrt(t.y(f)), **kw)
        attack.fit(synthetic, synthetic.frame)
        return float(np.mean(attack.guess(model, hidden) == truth))

    claims.attack_matches_bayes(accuracy(prior=prior, residual_sd=0.8), bayes, len(synthetic))
    # planted: a weakened attack, with a likelihood ten times too sharp
    with pytest.raises(ClaimViolation, match="Bayes-optimal"):
        claims.attack_matches_bayes(accuracy(prior=prior, residual_sd=0.08), bayes, len(synthetic))


def _iwpc_rows(defense, strength, seeds=(0, 1), **params):
    task = datasets.load_iwpc().with_encoding(drop_first=True)
    rows = [r for s in seeds for r in iwpc.run(defense, strength, s, task=task,
                                                accesses=("black-box",), **params)]
    df = pd.DataFrame(rows)
    return df[df.game == "distributional"]


def test_attack_beats_prior_true_and_weakened():
    nd = _iwpc_rows("none", None)
    claims.attack_beats_prior(nd["success"], nd["prior"])
    # planted: the attack on a model that predicts the mean dose (the constant predictor)
    const = _iwpc_rows("MID", 10.0)
    with pytest.raises(ClaimViolation, match="beats the prior"):
        claims.attack_beats_prior(const["success"], const["prior"])


def test_below_constant_true_and_constant_predictor():
    mid = _iwpc_rows("MID", 0.01, seeds=(0,))
    claims.strictly_below_constant(mid["mse"], mid["mse_constant"])
    # planted: lambda above 2V, where alpha = 0 and the model is the mean dose
    const = _iwpc_rows("MID", 0.1, seeds=(0,))
    assert (const["alpha"] == 0).all()
    with pytest.raises(ClaimViolation, match="constant predictor"):
        claims.strictly_below_constant(const["mse"], const["mse_constant"])


def test_zhang_ridge_true_and_omitted():
    rng = np.random.default_rng(0)
    X, y = rng.random((100, 4)), rng.random(100)
    eps = [3.0, 10.0]
    fitted = [FunctionalMechanismRegression(e, ridge="zhang").fit(X, y).ridge_ for e in eps]
    claims.uses_zhang_ridge(fitted, 4, eps)
    plain = [FunctionalMechanismRegression(e).fit(X, y).ridge_ for e in eps]
    with pytest.raises(ClaimViolation, match="Zhang"):   # planted: the plain mechanism
        claims.uses_zhang_ridge(plain, 4, eps)
    with pytest.raises(ClaimViolation, match="Zhang"):   # planted: a ridge for the wrong epsilon
        claims.uses_zhang_ridge(fitted, 4, eps[::-1])


def test_median_comparison_and_verdict():
    c = claims.median_comparison([0.42, 0.43, 0.41, 0.44, 0.42], [0.48, 0.47, 0.49, 0.5, 0.48])
    assert c.direction == "below"
    assert claims.paper_verdict(c, "below") == "survives"
    assert claims.paper_verdict(c, "above") == "does not survive"
    with pytest.raises(ClaimViolation):   # planted: the text asserts the opposite direction
        c.expect("above", claim="MID leaves more to the attack")
    tie = claims.median_comparison([0.42, 0.48, 0.45], [0.44, 0.46, 0.47])
    assert tie.words == "not significantly different from"
    assert claims.paper_verdict(tie, "below") == "does not survive"
    assert claims.paper_verdict(tie, "none") == "survives"
    with pytest.raises(ValueError):
        claims.paper_verdict(c, "sideways")


def test_matched_utility_is_even_handed():
    curve = pd.DataFrame({"seed": 0, "strength": [0.0, 1.0, 2.0, 3.0], "mse": [0.01, 0.02, 0.03, 0.04],
                          "success": [0.6, 0.5, 0.4, 0.35], "mse_constant": 0.035})
    pts = pd.DataFrame({"seed": [0, 0, 0], "strength": [5, 6, 7], "mse": [0.015, 0.025, 0.036],
                        "success": [0.56, 0.44, 0.3], "mse_constant": 0.035})
    out = iwpc.matched_utility(pts, curve)
    # the point at 0.036 is above the constant predictor's 0.035: dropped
    assert out["strength"].tolist() == [5, 6]
    assert np.allclose(out["matched"], [0.55, 0.45]) and np.allclose(out["difference"], [0.01, -0.01])
    claims.strictly_below_constant(out["mse"], 0.035)
