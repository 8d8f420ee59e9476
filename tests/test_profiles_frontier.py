import numpy as np
import pandas as pd
import pytest

from midlib import frontier, stats
from midlib.profiles import settings

TABLE = {"quick": {"n": 10, "seeds": 2}, "full": {"n": 1000, "seeds": 10}}


def test_settings_pick_profile_and_overrides():
    assert settings("quick", TABLE) == {"n": 10, "seeds": 2}
    assert settings("full", TABLE, {"seeds": 3}) == {"n": 1000, "seeds": 3}


def test_settings_errors():
    with pytest.raises(ValueError, match="unknown profile 'fast'.*quick, full"):
        settings("fast", TABLE)
    with pytest.raises(ValueError, match="unknown setting 'm'"):
        settings("quick", TABLE, {"m": 1})
    with pytest.raises(ValueError, match="different settings"):
        settings("quick", {"quick": {"n": 1}, "full": {"m": 2}})


def _run(lam, method, seed):
    rng = np.random.default_rng(seed)
    return [{"split": s, "mse": lam + rng.normal(0, 0.001), "attack": 0.6 - lam}
            for s in ("training", "held-out")]


def test_sweep_is_tidy_and_deterministic():
    df = frontier.sweep(_run, {"lam": [0.0, 0.1], "method": ["MID"]}, seeds=[0, 1, 2])
    assert len(df) == 2 * 3 * 2
    assert set(df.columns) == {"split", "mse", "attack", "lam", "method", "seed"}
    pd.testing.assert_frame_equal(df, frontier.sweep(_run, {"lam": [0.0, 0.1], "method": ["MID"]}, seeds=[0, 1, 2]))
    with pytest.raises(ValueError, match="grid is empty"):
        frontier.sweep(_run, {}, seeds=[0])
    with pytest.raises(TypeError, match="list of values"):
        frontier.sweep(_run, {"lam": 0.1}, seeds=[0])


def test_summarise_and_pareto():
    df = frontier.sweep(_run, {"lam": [0.0, 0.1, 0.2], "method": ["MID"]}, seeds=[0, 1])
    s = stats.summarize(df, ["lam", "split"], metrics=["attack"])
    assert (s["seeds"] == 2).all() and {"attack_std", "attack_sem", "attack_lo"} <= set(s.columns)
    pts = pd.DataFrame({"mse": [0.1, 0.2, 0.15, 0.3], "attack": [0.5, 0.3, 0.6, 0.35]})
    front = frontier.pareto_front(pts, "mse", "attack")
    assert front["mse"].tolist() == [0.1, 0.2]  # (0.15, 0.6) and (0.3, 0.35) are dominated


def test_at_matched_utility_takes_best_setting_that_reaches_the_level():
    df = pd.DataFrame({"method": ["A"] * 3 + ["B"] * 2,
                       "acc": [0.9, 0.8, 0.7, 0.9, 0.6],
                       "attack": [0.5, 0.3, 0.1, 0.4, 0.2]})
    out = frontier.at_matched_utility(df, "acc", "attack", [0.8, 0.95])
    got = {(r.method, r.acc): r.attack for r in out.itertuples()}
    assert got[("A", 0.8)] == 0.3 and got[("B", 0.8)] == 0.4
    assert np.isnan(got[("A", 0.95)])


def test_plot_frontier_returns_figure():
    df = frontier.sweep(_run, {"lam": [0.0, 0.1], "method": ["MID", "DP"]}, seeds=[0, 1])
    ref = pd.DataFrame({"mse": [0.05], "attack": [0.5], "method": ["MID"]})
    fig = frontier.plot_frontier(df, "mse", "attack", setting="lam", floor=0.35, reference=ref)
    ax = fig.axes[0]
    assert len(ax.get_lines()) >= 5  # 4 curves + the floor
    with pytest.raises(KeyError):
        frontier.plot_frontier(df, "nope", "attack")


def test_sweep_keeps_its_old_call_and_adds_keywords():
    old = frontier.sweep(_run, {"lam": [0.0, 0.1], "method": ["MID"]}, [0, 1], "label")
    new = frontier.sweep(_run, {"lam": [0.0, 0.1], "method": ["MID"]}, [0, 1], desc="label",
                         n_jobs=1, scheduler=None, store=None, tag=None)
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(frontier.SweepError, match=r"run\(lam=0.0, method='MID', seed=0\) failed"):
        frontier.sweep(lambda lam, method, seed: 1 / 0, {"lam": [0.0], "method": ["MID"]}, [0])
