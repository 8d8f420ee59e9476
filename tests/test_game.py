"""Tests of midlib.game: validation, intervals, exact Bayes values, the advantage under
independence, and the game on real data."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier

from midlib import data as datasets
from midlib import game, leakage, stats
from midlib.defenses import GaussianNoiseRegressor
from midlib.attacks import (AuxiliaryAdversary, BayesAdversary, ClassifierMAP, FredriksonMAP,
                            OutputBayesAdversary)



# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

class ColumnModel:
    """A 'model' whose output is one encoded input column (used to plant a known channel)."""

    def __init__(self, column):
        self.column = column

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.asarray(X)[:, self.column].round().astype(int)


class ChannelModel:
    """A stochastic model: reads the sensitive value from its input and samples its output
    from a known channel row."""

    def __init__(self, channel, column, seed=0):
        self.channel = np.asarray(channel)
        self.column = column
        self.rng = np.random.default_rng(seed)

    def predict(self, X):
        s = np.asarray(X)[:, self.column].round().astype(int)
        u = self.rng.random(len(s))
        cdf = np.cumsum(self.channel, axis=1)[s]
        return (u[:, None] > cdf).sum(axis=1)


def _proba_map():
    return ClassifierMAP(likelihood="proba")


def _raw_map():
    return FredriksonMAP("black-box", target="raw")


def exact_frame(joint, scale):
    """Records whose empirical joint of (s, o) is exactly ``joint`` (entries * scale integers)."""
    counts = np.rint(np.asarray(joint) * scale).astype(int)
    assert np.allclose(counts / scale, joint)
    rows = [(s, o) for s in range(counts.shape[0]) for o in range(counts.shape[1])
            for _ in range(counts[s, o])]
    s, o = np.array(rows).T
    return s, o


# ------------------------------------------------------------------------------------------
# validation
# ------------------------------------------------------------------------------------------

def test_validation_errors():
    task = datasets.make_survey(200, random_state=0)
    m, h = task.split(0.3, 0)
    with pytest.raises(TypeError, match="TabularTask"):
        game.play("not a task", None, game.PriorAdversary(), members=m, nonmembers=h)
    with pytest.raises(TypeError, match="Adversary"):
        game.play(task, None, "adversary", members=m, nonmembers=h)
    with pytest.raises(TypeError, match="integers"):
        game.play_seeds(task, lambda s: DecisionTreeClassifier(), game.PriorAdversary, [0.5])
    with pytest.raises(ValueError, match="lacks"):
        game.play(task, None, game.PriorAdversary(), members=m.drop(columns="hint"), nonmembers=h)
    bad = m.copy()
    bad.loc[0, "sensitive"] = "maybe"
    with pytest.raises(ValueError, match="outside"):
        game.play(task, None, game.PriorAdversary(), members=bad, nonmembers=h)
    with pytest.raises(ValueError, match="no records"):
        game.play(task, None, game.PriorAdversary(), members=m.iloc[:0], nonmembers=h)
    with pytest.raises(ValueError, match="confidence"):
        game.play(task, None, game.PriorAdversary(), members=m, nonmembers=h, confidence=1.5)
    with pytest.raises(RuntimeError, match="not fitted"):
        game.PriorAdversary().guess(None, m)


def test_task_from_arrays_validation_and_play():
    rng = np.random.default_rng(1)
    X = rng.random((300, 3))
    s = (rng.random(300) < 0.3).astype(int)
    y = (X[:, 0] + s + rng.normal(0, 0.1, 300) > 0.8).astype(int)
    with pytest.raises(ValueError, match="shapes"):
        datasets.task_from_arrays(X, y[:-1], s)
    with pytest.raises(ValueError, match="discrete"):
        datasets.task_from_arrays(X, y, s + 0.5)
    with pytest.raises(ValueError, match="two values"):
        datasets.task_from_arrays(X, y, np.zeros(300, dtype=int))
    with pytest.raises(ValueError, match="NaN"):
        datasets.task_from_arrays(np.where(X > 0.99, np.nan, X), y, s)
    task = datasets.task_from_arrays(X, y, s)
    assert task.sensitive_values == [0, 1]
    m, h = task.split(0.3, 0)
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(task.encode(m), task.y(m))
    res = game.play(task, model, ClassifierMAP(likelihood="proba"), members=m.to_numpy(),
                    nonmembers=h)
    assert list(res["game"]) == list(game.GAMES)
    assert res["f1"].notna().all()
    with pytest.raises(ValueError, match="shape"):
        game.play(task, model, ClassifierMAP(likelihood="proba"), members=m.to_numpy()[:, :2],
                  nonmembers=h)


# ------------------------------------------------------------------------------------------
# intervals
# ------------------------------------------------------------------------------------------

def test_wilson_known_value():
    # Wilson 95 % interval of 8/10 (Newcombe 1998, table I: 0.4902-0.9433)
    lo, hi = stats.wilson_interval(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-4) and hi == pytest.approx(0.9433, abs=1e-4)


def test_newcombe_paired_interval_coverage():
    """Simulated coverage of the paired interval at n = 60 is close to the nominal 95 %."""
    rng = np.random.default_rng(0)
    probs = np.array([0.45, 0.25, 0.10, 0.20])  # both, only a, only b, neither
    true = probs[1] - probs[2]
    hits = 0
    reps = 1500
    for _ in range(reps):
        k = rng.choice(4, size=60, p=probs)
        a, b = np.isin(k, [0, 1]), np.isin(k, [0, 2])
        _, lo, hi = stats.paired_difference_interval(a, b)
        hits += lo <= true <= hi
    assert 0.92 <= hits / reps <= 0.99


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_paired_interval_contains_estimate(pairs):
    a, b = np.array(pairs).T
    d, lo, hi = stats.paired_difference_interval(a, b)
    assert -1 <= lo <= d + 1e-12 and d - 1e-12 <= hi <= 1


# ------------------------------------------------------------------------------------------
# exact Bayes values
# ------------------------------------------------------------------------------------------

def test_bayes_success_formulas():
    joint = np.array([[0.3, 0.1], [0.2, 0.4]])
    assert leakage.bayes_success(joint) == pytest.approx(0.7)
    success, base, adv = leakage.bayes_advantage(joint[:, None, :])
    assert success == pytest.approx(0.7) and base == pytest.approx(0.6) and adv == pytest.approx(0.1)
    # an observation independent of S gives no advantage
    indep = np.outer([0.3, 0.7], [0.5, 0.2, 0.3])[:, None, :]
    assert leakage.bayes_advantage(indep)[2] == pytest.approx(0.0)


def test_advantage_equals_exact_bayes_value_on_known_distribution():
    """On records whose empirical joint of (secret, model output) is exactly a known joint, the
    game's measured success and advantage equal the exact Bayes values."""
    joint = np.array([[0.20, 0.10, 0.05], [0.05, 0.25, 0.35]])
    s, o = exact_frame(joint, 200)
    frame = pd.DataFrame({"o": o.astype(float), "s": np.where(s == 1, "yes", "no"), "y": 0})
    task = datasets.TabularTask(name="exact", frame=frame, target="y", sensitive="s",
                                features=["o", "s"], categories={"s": ["no", "yes"]},
                                bounds={"o": (0.0, 1.0)})
    # encoded o is clipped to [0, 1]; encode o / 2 instead through the bounds
    task.bounds["o"] = (0.0, 2.0)
    model = type("Half", (), {"predict": lambda self, X: np.rint(np.asarray(X)[:, 0] * 2).astype(int)})()
    channel = joint / joint.sum(axis=1, keepdims=True)
    prior = joint.sum(axis=1)
    adv = BayesAdversary(channel, outputs=[0, 1, 2], prior=prior)
    res = game.play(task, model, adv, members=frame, nonmembers=frame).set_index("game")
    exact_success, exact_base, exact_adv = leakage.bayes_advantage(joint[:, None, :])
    for g in game.GAMES:
        assert res.loc[g, "success"] == pytest.approx(exact_success)
        assert res.loc[g, "baseline"] == pytest.approx(exact_base)
        assert res.loc[g, "advantage"] == pytest.approx(exact_adv)
    assert adv.success() == pytest.approx(exact_success)


def test_bayes_adversary_stochastic_model_matches_exact_within_interval():
    rng = np.random.default_rng(3)
    n, prior = 6000, np.array([0.7, 0.3])
    channel = np.array([[0.6, 0.3, 0.1], [0.2, 0.3, 0.5]])
    s = (rng.random(n) < prior[1]).astype(int)
    task = datasets.task_from_arrays(rng.random((n, 2)), np.zeros(n), s)
    col = task.sensitive_columns()[0]
    model = ChannelModel(channel, col, seed=4)
    adv = BayesAdversary(channel, outputs=[0, 1, 2], prior=prior)
    # a 99.9 % interval: the check is of the exact value, not of the interval's coverage
    res = game.play(task, model, adv, members=task.frame, nonmembers=task.frame, confidence=0.999)
    exact, base, exact_adv = leakage.bayes_advantage((prior[:, None] * channel)[:, None, :])
    for _, row in res.iterrows():
        assert row.success_lo <= exact <= row.success_hi
        assert row.advantage_lo <= exact_adv <= row.advantage_hi


# ------------------------------------------------------------------------------------------
# the advantage under independence
# ------------------------------------------------------------------------------------------

def test_advantage_interval_covers_zero_for_model_independent_of_secret():
    task = datasets.make_survey(1500, dependence=0.0, p_sensitive=0.3, random_state=0)
    task_cols = task.sensitive_columns()

    class DropSecret:
        def __init__(self, seed):
            self.inner = DecisionTreeClassifier(max_depth=3, random_state=seed)

        def fit(self, X, y):
            self.inner.fit(np.delete(X, task_cols, axis=1), y)
            self.classes_ = self.inner.classes_
            return self

        def predict_proba(self, X):
            return self.inner.predict_proba(np.delete(X, task_cols, axis=1))

    res = game.play_seeds(task, DropSecret, _proba_map, seeds=[0, 1, 2])
    assert (res["advantage_lo"] <= 0).all() and (res["advantage_hi"] >= 0).all()
    assert np.allclose(res["advantage"], 0)
    # a model that does use the secret, on data where the secret is independent of everything:
    # in the distributional game the adversary gains nothing significant (its advantage can be
    # negative: the spurious splits on the secret mislead it)
    res = game.play_seeds(task, lambda seed: DecisionTreeClassifier(max_depth=4, random_state=seed),
                          _proba_map, seeds=[0, 1, 2])
    dist = res[res["game"] == "distributional"]
    assert (dist["advantage_lo"] <= 0).all() and (dist["advantage"] <= 0.02).all(), dist


def test_dependence_gives_advantage_and_is_deterministic():
    task = datasets.make_survey(1500, dependence=0.8, p_sensitive=0.3, random_state=1)
    run = lambda: game.play_seeds(task, lambda s: DecisionTreeClassifier(max_depth=4, random_state=s),
                                  _proba_map, seeds=[0, 1])
    a, b = run(), run()
    pd.testing.assert_frame_equal(a, b)
    assert (a["advantage_lo"] > 0).all()
    summary = stats.summarize(a)
    assert set(summary["game"]) == set(game.GAMES) and (summary["seeds"] == 2).all()


def test_regression_map_on_synthetic_pharmacogenetic():
    sample = lambda n, seed: datasets.make_pharmacogenetic(n, random_state=seed)
    res = game.play_sampled(sample, lambda s: LinearRegression(), _raw_map,
                            n_train=1500, n_test=1000, seeds=[0])
    assert (res["advantage_lo"] > 0).all(), res
    # the no-model baseline with the same knowledge (aux + label) is stronger than the prior
    res_aux = game.play_sampled(sample, lambda s: LinearRegression(), _raw_map,
                                n_train=1500, n_test=1000, seeds=[0],
                                make_baseline=lambda: AuxiliaryAdversary("aux+label"))
    assert (res_aux["baseline"] > res["baseline"]).all()


def test_knowledge_hides_label():
    task = datasets.make_survey(300, random_state=2)

    class Spy(game.Adversary):
        knowledge = "aux"

        def guess(self, model, frame):
            assert frame[self.task.sensitive].isna().all()
            assert frame[self.task.target].isna().all()
            return np.array([self.values_[0]] * len(frame), dtype=object)

    m, h = task.split(0.3, 0)
    res = game.play(task, None, Spy(), members=m, nonmembers=h)
    assert len(res) == 2


# ------------------------------------------------------------------------------------------
# real data
# ------------------------------------------------------------------------------------------

@pytest.mark.skipif(not datasets.available("iwpc"), reason="IWPC data file not available")
def test_iwpc_linear_model_leaks_genotype():
    task = datasets.load_iwpc()
    res = game.play_seeds(task, lambda s: LinearRegression(), _raw_map, [0])
    assert (res["success"] > 0.5).all() and (res["advantage_lo"] > 0.1).all()


@pytest.mark.skipif(not datasets.available("steak"), reason="steak survey file not available")
def test_steak_tree_game_runs():
    task = datasets.load_steak()
    res = game.play_seeds(task, lambda s: DecisionTreeClassifier(random_state=s),
                          _proba_map, [0])
    tr = res.set_index("game").loc["training-set"]
    assert tr["success"] >= tr["baseline"]
    assert 0 <= tr["f1"] <= 1


def test_output_bayes_adversary_respects_information_bound():
    from midlib import leakage

    sample = lambda n, seed: datasets.make_pharmacogenetic(n, random_state=seed)
    cap = 0.05
    res = game.play_sampled(sample, lambda s: GaussianNoiseRegressor(mi_cap=cap, random_state=s),
                            lambda: OutputBayesAdversary(), n_train=3000, n_test=3000, seeds=[0],
                            fit=lambda m, t, f: m.fit(t.encode(f), t.y(f, scaled=True)))
    dist = res[res.game == "distributional"].iloc[0]
    assert dist.advantage_lo <= leakage.pinsker_bound(cap)
    # a deterministic model that uses the genotype leaks far more through its output
    res = game.play_sampled(sample, lambda s: LinearRegression(), lambda: OutputBayesAdversary(),
                            n_train=3000, n_test=3000, seeds=[0],
                            fit=lambda m, t, f: m.fit(t.encode(f), t.y(f, scaled=True)))
    assert res[res.game == "distributional"].iloc[0].advantage_lo > leakage.pinsker_bound(cap)
    with pytest.raises(TypeError, match="prediction\\+white-box"):
        OutputBayesAdversary().fit(datasets.make_pharmacogenetic(50), datasets.make_pharmacogenetic(50).frame).scores(None, None)
