"""Each Part I claim check passes on a true claim and raises on a planted error."""

import numpy as np
import pandas as pd
import pytest

from midlib import data as datasets
from midlib import game, leakage
from midlib.attacks import BayesAdversary
from midlib.checks import ClaimViolation
from midlib.checks import part1 as claims
from midlib.defenses import GaussianNoiseRegressor
from midlib.experiments import dp_gap


# --- game ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def known_game():
    p_s, k = 0.3, 3
    survey = datasets.make_survey(6000, dependence=0.8, p_sensitive=p_s, n_classes=k, random_state=0)
    channel = datasets.survey_label_given_s(0.8, k) @ (0.8 * np.eye(k) + 0.2 / k)
    prior = np.array([1 - p_s, p_s])
    cols = [j for j, n in enumerate(survey.feature_names()) if n.startswith("hint=")]

    class Hint:
        def predict(self, X):
            return np.asarray(X)[:, cols].argmax(axis=1)

    members, nonmembers = survey.split(0.5, 0)
    table = game.play(survey, Hint(), BayesAdversary(channel, outputs=range(k), prior=prior),
                      members=members, nonmembers=nonmembers, confidence=0.9999).set_index("game")
    return prior, channel, table


def test_bayes_within_intervals(known_game):
    prior, channel, table = known_game
    success, _, advantage = (float(v) for v in leakage.bayes_advantage((prior[:, None] * channel)[:, None, :]))
    claims.bayes_within_intervals(success, advantage, table)


def test_bayes_within_intervals_wrong_closed_form(known_game):
    # planted: the closed form with the channel's noise forgotten (the label, not the hint)
    prior, channel, table = known_game
    wrong = datasets.survey_label_given_s(0.8, 3)
    success, _, advantage = (float(v) for v in leakage.bayes_advantage((prior[:, None] * wrong)[:, None, :]))
    with pytest.raises(ClaimViolation):
        claims.bayes_within_intervals(success, advantage, table)


def test_bayes_advantage_negative_raises(known_game):
    # planted: a baseline computed from the posterior instead of the prior gives advantage < 0
    with pytest.raises(ClaimViolation):
        claims.bayes_within_intervals(0.75, -0.01, known_game[2])


def test_beats_baseline():
    assert claims.beats_baseline(0.1, (0.05, 0.15)).direction == "above"
    with pytest.raises(ClaimViolation):  # planted: a weakened attack whose interval reaches 0
        claims.beats_baseline(0.01, (-0.02, 0.04))


def test_training_exceeds_distributional():
    claims.training_exceeds_distributional([0.3, 0.25, 0.35, 0.28], [0.02, 0.0, 0.04, -0.01])
    with pytest.raises(ClaimViolation):  # planted: a pruned tree, no memorisation
        claims.training_exceeds_distributional([0.03, 0.0, 0.05, 0.01], [0.02, 0.03, 0.0, 0.02])


# --- leakage ------------------------------------------------------------------------------------

def random_channels(n=200, seed=0):
    rng = np.random.default_rng(seed)
    p_sa = leakage.random_joint((2, 2), n, rng, concentration=0.3)
    channel = leakage.random_channel(4, 3, n, rng, concentration=0.3)
    p_xo = p_sa.reshape(n, -1)[:, :, None] * channel
    p_sao = p_xo.reshape(n, 2, 2, 3)
    success, _, advantage = leakage.bayes_advantage(p_sao)
    return pd.DataFrame({"advantage": advantage, "success": success,
                         "cmi": leakage.conditional_mutual_information(p_sao),
                         "mi_x": leakage.mutual_information(p_xo)})


def test_pinsker_holds():
    assert sum(claims.pinsker_holds(random_channels(), min_rows=100).values()) == 0


def test_pinsker_understated_mi_raises():
    # planted: leaky channels whose information is under-stated by a factor of 10
    t = random_channels()
    with pytest.raises(ClaimViolation):
        claims.pinsker_holds(t.assign(cmi=t.cmi / 10, mi_x=t.mi_x / 10))
    with pytest.raises(ClaimViolation):  # too few channels
        claims.pinsker_holds(t.head(10), min_rows=1000)


@pytest.fixture(scope="module")
def noisy_iwpc():
    task = datasets.make_pharmacogenetic(3000, random_state=0).with_encoding(drop_first=True)
    X, y = task.encode(), task.y(scaled=True)
    model = GaussianNoiseRegressor(mi_cap=0.05, random_state=0).fit(X, y)
    return task, X, model


def test_gaussian_bound_holds(noisy_iwpc):
    task, X, m = noisy_iwpc
    r = leakage.gaussian_output_leakage(m.predict_mean(X), m.noise_scale_, task.frame[task.sensitive].to_numpy())
    claims.gaussian_bound_holds(r["mi_x"], m.information_bound(X))
    # planted: the Gaussian bound evaluated with 3 times the noise (under-states the information)
    with pytest.raises(ClaimViolation):
        claims.gaussian_bound_holds(r["mi_x"], leakage.linear_gaussian_mi(
            m.coef_, np.cov(X, rowvar=False), 3 * m.noise_scale_))


def test_quadrature_agrees(noisy_iwpc):
    task, X, m = noisy_iwpc
    means = m.predict_mean(X)
    quad = leakage.gaussian_mixture_mutual_information(means, m.noise_scale_)
    est, se = leakage.gaussian_output_mi(means, m.noise_scale_, n_samples=20000, seed=0, return_se=True)
    claims.quadrature_agrees(quad, est, se)
    # planted: a quadrature run with the wrong noise scale
    wrong = leakage.gaussian_mixture_mutual_information(means, 0.5 * m.noise_scale_)
    with pytest.raises(ClaimViolation):
        claims.quadrature_agrees(wrong, est, se)


# --- DP gap -------------------------------------------------------------------------------------

def test_dp_gap_exact_randomized_response():
    for k in (2, 10, 1000):
        r = dp_gap.randomized_response_game(0.3, k, delta=0.01)
        bound = claims.dp_gap_exact(r["training_success"], r["distributional_success"], 0.3, 0.01)
        assert bound == pytest.approx(r["bound"])
    assert dp_gap.randomized_response_game(0.3, 10_000)["ratio"] > 0.999  # tight


def test_dp_gap_exact_underreported_epsilon_raises():
    # planted: the mechanism runs at eps = 0.5 but reports 0.4
    r = dp_gap.randomized_response_game(0.5, 100)
    with pytest.raises(ClaimViolation):
        claims.dp_gap_exact(r["training_success"], r["distributional_success"], 0.4)
    r = dp_gap.randomized_response_game(0.2, 100, delta=0.05)  # planted: delta dropped
    with pytest.raises(ClaimViolation):
        claims.dp_gap_exact(r["training_success"], r["distributional_success"], 0.2)


def pooled(rows):
    t = pd.DataFrame(rows).groupby("game")[["hits", "targets"]].sum()
    return (int(t.loc["training-set", "hits"]), int(t.loc["training-set", "targets"]),
            int(t.loc["distributional", "hits"]), int(t.loc["distributional", "targets"]))


def test_dp_gap_holds_for_dp_tree():
    rows = dp_gap.run("DP tree", 0.1, 1, n_train=50000, n_aux=1000, n_targets=2000, n_members=1000)
    tr_h, tr_n, di_h, di_n = pooled(rows)
    claims.dp_gap_holds(tr_h, tr_n, di_h, di_n, 2 * 0.1)  # replace-one epsilon
    assert claims.dp_bound_informative(di_h, di_n, 2 * 0.1) < 1


def test_dp_gap_memoriser_claimed_private_raises():
    # planted: the memorising lookup model presented as 0.2-DP
    rows = dp_gap.run("lookup", None, 0, n_train=3000, n_aux=1000, n_targets=2000, n_members=1000)
    with pytest.raises(ClaimViolation):
        claims.dp_gap_holds(*pooled(rows), 0.2)


def test_dp_bound_informative_vacuous_raises():
    # planted: the old configuration, eps = 1 with a success near the prior 0.37
    with pytest.raises(ClaimViolation):
        claims.dp_bound_informative(370, 1000, 1.0)


def test_capped_advantage(noisy_iwpc):
    task, X, m = noisy_iwpc
    r = leakage.gaussian_output_leakage(m.predict_mean(X), m.noise_scale_, task.frame[task.sensitive].to_numpy())
    claims.capped_advantage(r["advantage"], 0.05, cmi=r["cmi"])
    # planted: a leaky model (little noise) whose information is reported as the cap
    leaky = GaussianNoiseRegressor(mi_cap=3.0, random_state=0).fit(X, task.y(scaled=True))
    r2 = leakage.gaussian_output_leakage(leaky.predict_mean(X), leaky.noise_scale_,
                                         task.frame[task.sensitive].to_numpy())
    with pytest.raises(ClaimViolation):
        claims.capped_advantage(r2["advantage"], 0.0005, cmi=r2["cmi"])


def test_dp_converges():
    claims.dp_converges([0.01, -0.02], 0.2)
    with pytest.raises(ClaimViolation):  # planted: noise that does not shrink with n
        claims.dp_converges([0.15, 0.12], 0.2)
    with pytest.raises(ClaimViolation):  # planted: a "DP" learner that never protected
        claims.dp_converges([0.0], 0.01)
