"""midlib.audit on a user's own model: the attacks, the baselines, the report."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

import midlib
from midlib.auditing import AuditReport, TorchModel, UntrustedModelError, load_model, load_table


def regression_frame(n=600, effect=2.0, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"group": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                          "x": rng.normal(size=n)})
    frame["y"] = effect * frame["group"].map({"a": 0.0, "b": 1.0, "c": 2.0}) + frame["x"] \
        + rng.normal(0, 0.3, n)
    frame["member"] = np.arange(n) < n // 2
    return frame


def linear_pipeline(frame):
    pipe = Pipeline([("encode", ColumnTransformer([("cat", OneHotEncoder(), ["group"])],
                                                  remainder="passthrough")),
                     ("model", LinearRegression())])
    train = frame[frame["member"]]
    return pipe.fit(train[["group", "x"]], train["y"])


def survey_frame(n=800, seed=0):
    """Labels mostly noise: a tree that memorises its members leaks their sensitive value."""
    rng = np.random.default_rng(seed)
    s = rng.choice(["no", "yes"], n, p=[0.6, 0.4])
    x = rng.normal(size=n)
    y = np.where(rng.random(n) < 0.2, np.where(s == "yes", "high", "low"),
                 rng.choice(["low", "high"], n))
    return pd.DataFrame({"s": s, "x": x, "y": y, "member": np.arange(n) < n // 2})


def tree_pipeline(frame, depth=None):
    pipe = Pipeline([("encode", ColumnTransformer([("cat", OneHotEncoder(), ["s"])],
                                                  remainder="passthrough")),
                     ("tree", DecisionTreeClassifier(max_depth=depth, random_state=0))])
    train = frame[frame["member"]]
    return pipe.fit(train[["s", "x"]], train["y"])


def test_a_well_specified_model_is_no_better_than_imputation():
    """Jayaraman & Evans: black-box inference often does no better than imputation."""
    frame = regression_frame()
    report = midlib.audit(linear_pipeline(frame), frame, sensitive="group", target="y",
                          members="member")
    h = report.headline
    assert h["prior_advantage_lo"] > 0.3                  # far better than the prior guess ...
    assert h["advantage_lo"] < 0.05 < h["prior_advantage_lo"]   # ... not than imputation


def test_a_memorising_regressor_leaks_its_members_and_report_is_complete():
    from sklearn.tree import DecisionTreeRegressor

    frame = regression_frame(effect=0.2)
    frame["y"] += np.random.default_rng(5).normal(0, 2.0, len(frame))   # mostly noise
    train = frame[frame["member"]]
    model = Pipeline([("encode", ColumnTransformer([("cat", OneHotEncoder(), ["group"])],
                                                   remainder="passthrough")),
                      ("model", DecisionTreeRegressor(random_state=0))]).fit(
        train[["group", "x"]], train["y"])
    report = midlib.audit(model, frame, sensitive="group", target="y", members="member")
    assert isinstance(report, AuditReport)
    h = report.headline
    assert h["game"] == "training-set" and h["advantage_lo"] > 0.2
    assert h["advantage_lo"] <= h["advantage"] <= h["advantage_hi"]
    gap = report.gap.set_index("attack").loc["csmia_rule"]   # the published rule, on members
    assert gap["gap_lo"] > 0.2                           # members leak more than non-members
    assert set(report.results["game"]) == {"training-set", "distributional"}
    cols = ["success_lo", "success_hi", "advantage_lo", "advantage_hi"]
    assert report.results[cols].notna().all().all()          # one seed: never NaN
    assert set(report.leakage) == {"training-set", "distributional"}
    assert report.leakage["training-set"]["bound"] >= 0
    assert report.info["values"] == ["a", "b", "c"]
    d = json.loads(report.to_json())
    assert list(d) == ["schema", "headline", "ladder", "best", "results", "baselines",
                       "per_value", "leakage", "gap", "info"]
    rungs = report.ladder.query("game == 'training-set'")["rung"].tolist()
    assert rungs == ["prior", "imputation", "best attack (output)", "best attack (any access)",
                     "Bayes (output)", "ceiling (output)"]
    lad = report.ladder.query("game == 'training-set'").set_index("rung")["success"]
    assert lad["prior"] <= lad["imputation"] <= lad["best attack (any access)"] + 1e-9
    assert lad["best attack (output)"] <= lad["ceiling (output)"] + 1e-9
    text = report.to_text()
    assert "HEADLINE" in text and "prior guess only" in text and "imputation" in text
    assert "ladder" in text


def test_headline_is_against_the_strongest_same_knowledge_baseline():
    """When the other columns reveal the sensitive value, imputation is the baseline to beat."""
    rng = np.random.default_rng(1)
    n = 800
    s = rng.choice(["p", "q"], n)
    proxy = np.where(rng.random(n) < 0.9, s, np.where(s == "p", "q", "p"))  # a 90 % proxy
    frame = pd.DataFrame({"s": s, "proxy": proxy, "x": rng.normal(size=n)})
    frame["y"] = (frame["s"] == "q") * 1.0 + frame["x"] + rng.normal(0, 0.5, n)
    members = frame.iloc[:400]
    model = Pipeline([("e", ColumnTransformer([("c", OneHotEncoder(), ["s", "proxy"])],
                                              remainder="passthrough")),
                      ("m", LinearRegression())]).fit(members[["s", "proxy", "x"]], members["y"])
    report = midlib.audit(model, members=members, nonmembers=frame.iloc[400:], sensitive="s",
                          target="y")
    row = report.results.query("game == 'training-set'").iloc[0]
    assert row["baseline_name"] in ("aux", "aux+label")
    assert row["baseline"] > 0.8                       # imputation from the proxy
    assert row["advantage"] < row["prior_advantage"] - 0.2


def test_model_without_dependence_shows_no_advantage():
    """Query access to a model whose label does not depend on the value gains nothing (its
    exact released output still reveals the tiny fitted coefficient: not played here)."""
    frame = regression_frame(effect=0.0)
    report = midlib.audit(linear_pipeline(frame), frame, sensitive="group", target="y",
                          members="member", access=["label-only", "black-box", "white-box"])
    assert set(report.results["access"]) <= {"label-only", "black-box", "white-box"}
    assert report.headline["advantage_lo"] < 0.02 < report.headline["advantage_hi"] + 0.02
    assert not report.exceeds(0.2)


def test_classifier_gets_all_attacks_and_one_batched_query():
    frame = survey_frame()
    pipe = tree_pipeline(frame)
    calls = []
    report = midlib.audit(pipe, frame, sensitive="s", target="y", members="member")
    assert set(report.results["attack"].str.replace("_rule", "")) == {"output", "output_label", "map", "lomia",
                                             "likelihood", "csmia", "whitebox_tree", "learned",
                                             "learned_output"}
    assert report.headline["advantage"] > 0.05
    # a callable sees one query over all records x candidates and one over the true records
    proba = pipe.predict_proba

    def model(X):
        calls.append(len(X))
        return proba(X)

    report = midlib.audit(model, frame, sensitive="s", target="y", members="member",
                          classes=pipe.classes_)
    n_rows = report.info["n_members"] + report.info["n_nonmembers"]   # aux records included
    calls = [c for c in calls if c > 1]          # (and one probe record: labels or probabilities?)
    assert sorted(calls) == [n_rows, 2 * n_rows]
    assert "csmia" in set(report.results["attack"])


def test_forest_white_box_and_per_value_table():
    from sklearn.ensemble import RandomForestClassifier

    frame = survey_frame()
    frame["s01"] = (frame["s"] == "yes").astype(int)
    train = frame[frame["member"]]
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(
        train[["s01", "x"]], train["y"])
    report = midlib.audit(forest, frame.drop(columns="s"), sensitive="s01", target="y",
                          members="member")
    assert "whitebox_tree" in set(report.results["attack"])
    pv = report.per_value
    assert set(pv["value"]) == {0, 1} and pv["recall"].between(0, 1).all()


def test_torch_module_through_the_adapter():
    torch = pytest.importorskip("torch")
    frame = regression_frame()
    frame["g"] = frame["group"].map({"a": 0, "b": 1, "c": 2})
    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight[:] = torch.tensor([[2.0, 1.0]])
        net.bias[:] = 0.0
    model = TorchModel(net, ["g", "x"])
    report = midlib.audit(model, frame.drop(columns="group"), sensitive="g", target="y",
                          members="member")
    assert report.info["kind"] == "regression" and report.headline["prior_advantage_lo"] > 0.3
    raw = midlib.audit(net, frame[["g", "x", "y", "member"]], sensitive="g", target="y",
                       members="member")                   # a bare module is wrapped too
    assert raw.headline["prior_advantage"] == report.headline["prior_advantage"]


def test_several_seeds_and_members_only(recwarn):
    frame = regression_frame(n=300)
    pipe = linear_pipeline(frame)
    report = midlib.audit(pipe, frame, sensitive="group", target="y", members="member",
                          n_seeds=2)
    assert report.results["seeds"].eq(2).all() and len(report.per_seed) == 2 * len(report.results)
    # the seeds redraw the auxiliary records, not the targets: never a zero-width interval
    assert (report.results["success_hi"] - report.results["success_lo"] > 0.01).all()
    assert "HEADLINE" in report.to_text() and "<img" in report.to_html()
    only = midlib.audit(pipe, frame[frame["member"]], sensitive="group", target="y")
    assert set(only.results["game"]) == {"training-set"} and only.info["notes"]


def test_model_files_are_loaded_safely(tmp_path):
    import skops.io as sio

    from midlib.defenses import MIDLinearRegression

    frame = regression_frame(n=200)
    path = tmp_path / "m.skops"
    sio.dump(linear_pipeline(frame), path)
    assert load_model(path).predict(frame[["group", "x"]].head(2)).shape == (2,)
    sio.dump(MIDLinearRegression(0.1).fit(np.eye(3), [0.0, 1.0, 2.0]), tmp_path / "mid.skops")
    assert load_model(tmp_path / "mid.skops").lam == 0.1       # midlib's own types are trusted

    class Custom(LinearRegression):
        pass

    import sys
    sys.modules[__name__].Custom = Custom
    Custom.__module__, Custom.__qualname__ = __name__, "Custom"
    sio.dump(Custom().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path / "c.skops")
    with pytest.raises(UntrustedModelError, match="--trust-types") as err:
        load_model(tmp_path / "c.skops")
    assert "Custom" in str(err.value)
    assert load_model(tmp_path / "c.skops", trust_types=True).coef_[0] == pytest.approx(1.0)
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(LinearRegression()))
    with pytest.raises(ValueError, match="runs any code"):
        load_model(tmp_path / "m.pkl")
    with pytest.warns(UserWarning, match="pickle"):
        load_model(tmp_path / "m.pkl", trust_pickle=True)
    (tmp_path / "m.onnx").write_text("x")
    with pytest.raises(ValueError, match="unknown model file type"):
        load_model(tmp_path / "m.onnx")


def test_tables_csv_and_parquet(tmp_path):
    frame = regression_frame(n=20)
    frame.to_csv(tmp_path / "r.csv", index=False)
    assert load_table(tmp_path / "r.csv").shape == frame.shape
    (tmp_path / "r.parquet").write_bytes(b"PAR1")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pyarrow"):
            load_table(tmp_path / "r.parquet")
    with pytest.raises(FileNotFoundError):
        load_table(tmp_path / "missing.csv")


def test_a_label_only_callable_gets_map_and_lomia():
    frame = survey_frame()
    clf = tree_pipeline(frame)

    def predict_labels(X):  # a callable that gives labels only
        return clf.predict(X)

    report = midlib.audit(predict_labels, frame, sensitive="s", target="y", members="member",
                          task="classification")
    assert set(report.results["attack"].str.replace("_rule", "")) == {"output_label", "map", "lomia", "learned",
                                             "learned_output"}
    assert report.headline["advantage"] > 0.05


def test_defend_linear_frontier_and_an_unmet_budget(tmp_path):
    frame = regression_frame(n=300).drop(columns="member")
    report = midlib.defend(frame, "group", "y", family="linear", budget=-1.0,
                           strengths={"MID": [0.1], "DP": [1.0]})
    assert report.frontier["defense"].tolist() == ["none", "MID", "DP"]
    assert report.recommended is None and "no model meets the budget" in report.to_text()
    with pytest.raises(ValueError, match="nothing to save"):
        report.save(tmp_path / "m.skops")
    ok = midlib.defend(frame, "group", "y", family="linear", budget=1.0,
                       strengths={"MID": [0.1], "DP": [1.0]})
    assert ok.recommended["defense"] == "none"            # already within the budget
    path = ok.save(tmp_path / "m.skops")
    assert load_model(path).predict(frame.head(3).drop(columns="y")).shape == (3,)
    with pytest.raises(ValueError, match="--force"):
        ok.save(path)
    assert "<img" in ok.to_html()
    with pytest.raises(ValueError, match="not numeric"):
        midlib.defend(frame.assign(y=frame["group"]), "group", "y", family="linear")


# ------------------------------------------------------------------------------------------
# Known answers on real covariates (statsmodels' Spector / scikit-learn's breast cancer data)
# with synthetic sensitive columns: the engine's measure is neither too low nor too high.
# ------------------------------------------------------------------------------------------

def cancer_records(seed=0, n_values=3):
    """Real covariates (breast cancer, 569 records), a synthetic sensitive value."""
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer(as_frame=True).frame.iloc[:, :6]
    d.columns = [f"c{i}" for i in range(6)]
    rng = np.random.default_rng(seed)
    d["s"] = rng.integers(0, n_values, len(d))
    d["member"] = rng.random(len(d)) < 0.5
    return d, rng


def test_a_pipeline_that_drops_the_sensitive_column_reports_zero_and_passes():
    from sklearn.ensemble import HistGradientBoostingClassifier

    d, rng = cancer_records()
    d["y"] = (d["c0"] > d["c0"].median()).astype(int)
    train = d[d["member"]]
    pipe = Pipeline([("drop", ColumnTransformer([("keep", "passthrough", ["c0", "c1", "c2"])])),
                     ("m", HistGradientBoostingClassifier(max_iter=30, random_state=0))])
    pipe.fit(train[["c0", "c1", "c2", "s"]], train["y"])        # reads s, then drops it
    report = midlib.audit(pipe, d[["c0", "c1", "c2", "s", "y", "member"]], sensitive="s",
                          target="y", members="member")
    assert abs(report.headline["advantage"]) < 1e-9
    assert report.gate(0.05)["decision"] == "PASS"
    assert any("does not change with the sensitive value" in n for n in report.info["notes"])


def test_the_output_observer_flags_a_label_driven_by_the_sensitive_value():
    """What ART's black-box attack finds and the old audit missed: the released prediction."""
    from sklearn.linear_model import LogisticRegression

    d, rng = cancer_records(1, n_values=2)
    d["y"] = ((d["s"] == 1) ^ (rng.random(len(d)) < 0.3)).astype(int)
    cols = ["c0", "c1", "s"]
    train = d[d["member"]]
    model = LogisticRegression(max_iter=1000).fit(train[cols], train["y"])
    report = midlib.audit(model, d[cols + ["y", "member"]], sensitive="s", target="y",
                          members="member", access=["output"])
    h = report.headline
    assert h["access"] == "output" and h["advantage_lo"] > 0.05
    assert report.gate(0.05)["decision"] == "FAIL"


def test_an_imputable_column_the_model_ignores_is_about_zero_not_negative():
    from sklearn.ensemble import RandomForestClassifier

    d, rng = cancer_records(2)
    d["s"] = pd.qcut(d["c3"], 3, labels=False)             # 3 bins of a real column: imputable
    d["y"] = (d["c0"] > d["c0"].median()).astype(int)
    train = d[d["member"]]
    cols = ["c0", "c1", "c3", "s"]
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(
        train[["c0", "c1", "c3"]].assign(s=0), train["y"])        # s constant in training
    report = midlib.audit(forest, d[cols + ["y", "member"]], sensitive="s", target="y",
                          members="member")
    best = report.best.query("knowledge == 'aux+label'")
    assert (best["baseline"] > 0.7).all()                  # the other columns give it away
    assert (best["advantage"].abs() < 0.03).all()          # and the model adds nothing


def test_a_forest_that_memorises_a_noise_column_leaks_its_members_only():
    from sklearn.ensemble import RandomForestClassifier

    d, rng = cancer_records(3, n_values=4)
    d["y"] = rng.integers(0, 2, len(d))                    # labels are noise: memorised
    train = d[d["member"]]
    cols = ["c0", "c1", "s"]
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(train[cols], train["y"])
    report = midlib.audit(forest, d[cols + ["y", "member"]], sensitive="s", target="y",
                          members="member", access=["white-box", "black-box", "label-only"])
    r = report.results.set_index(["game", "attack", "knowledge"])["advantage"]
    members = r.loc[("training-set", "whitebox_tree_rule", "aux+label")]
    nonmembers = r.loc[("distributional", "whitebox_tree_rule", "aux+label")]
    assert members > 0.2 and abs(nonmembers) < 0.1
    gap = report.gap.set_index("attack").loc["whitebox_tree_rule"]
    assert gap["gap_lo"] > 0.1


def test_singleton_and_absent_values_never_crash():
    from sklearn.ensemble import HistGradientBoostingClassifier

    d, rng = cancer_records(4, n_values=3)
    d.loc[d.index[:2], "s"] = [7, 8]                        # two values with one record each
    d["y"] = (d["c0"] > d["c0"].median()).astype(int)
    train = d[d["member"]]
    cols = ["c0", "c1", "s"]
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(train[cols],
                                                                            train["y"])
    aux = d[~d["member"]].iloc[:60]
    aux = aux[~aux["s"].isin([7, 8])]                         # values absent from the aux records
    report = midlib.audit(model, members=d[d["member"]][cols + ["y"]],
                          nonmembers=d[~d["member"]].iloc[60:][cols + ["y"]],
                          aux=aux[cols + ["y"]], sensitive="s", target="y")
    assert "7" in report.info["values"] and len(report.results) and len(report.ladder)
