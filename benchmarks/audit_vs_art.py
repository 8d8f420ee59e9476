"""midlib's batched game engine: its speed, and its accuracy against the Adversarial Robustness
Toolbox's black-box attribute-inference attack.

Two measurements, both through the public engine only (:func:`midlib.game.wrap_model` and
:func:`midlib.game.play_batched`):

1. **Speed.** The whole engine run (every attack at every access level, the cross-fitted
   imputation baselines, the selection of the best attack on held-out auxiliary records, the
   ladder) on synthetic records: 100,000 members (the targets, no non-members) x 10 candidate
   sensitive values, 20,000 auxiliary records, for a decision tree, a 50-tree random forest,
   histogram gradient boosting and a logistic regression. Beside it, the time of ONE batched
   prediction, ``model.predict_proba`` on the 1,000,000-row frame of every member completed
   with every candidate (:func:`midlib.game.expand`), and the ratio engine / prediction. The
   budget goals are an engine run of at most 10 s and at most 3x that one prediction.
2. **Accuracy against ART.** On two real data sets that ship inside installed packages
   (statsmodels' RAND Health Insurance Experiment, sensitive: self-rated health, 4 values;
   scikit-learn's diabetes data, sensitive: sex), for four model types: ART's
   ``AttributeInferenceBlackBox`` (its attack model sees the other features, the target
   model's predicted label on the true record and the true label), with a random-forest
   (``rf``) and with its default neural-network (``nn``, 100 epochs, torch on one thread)
   attack model, trained on the same auxiliary records midlib uses; against midlib's attack
   chosen on held-out auxiliary records for *output* access at knowledge ``aux+label`` (the
   row of ``GameResult.best``), the worst case over access levels, and midlib's attack on the
   released *label* alone (``output_label``: what ART's attack sees; midlib's output access
   also sees the released scores). Accuracy is the share of the members' sensitive values
   guessed right, with a Wilson interval; two no-model references (a random forest and a
   logistic regression imputing the sensitive value from the other columns and the label, on
   all the auxiliary records) show how much a plain imputation gets. Times are like for
   like: ART's attack-model fit and inference (with the model's predictions it needs) on the
   members and non-members, against the whole ``play_batched`` call on the same records
   (which includes its auxiliary fits). Members, non-members and auxiliary records are a
   seeded 50/25/25 split; RAND HIE's rows (person-years) are split by feature profile so that
   no person is in two parts.

Run: ``.venv/bin/python benchmarks/audit_vs_art.py [--quick]`` (``--quick``: small sizes, under
a minute). It prints both tables as markdown and writes them as CSV to
``benchmarks/results/speed.csv`` and ``benchmarks/results/accuracy_vs_art.csv`` (``--quick``:
``*_quick.csv``). Everything is seeded; the times depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from midlib.game import expand, play_batched, wrap_model
from midlib.stats import wilson_interval

RESULTS = Path(__file__).resolve().parent / "results"


def timed(f):
    """``(f(), seconds)``."""
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


# ------------------------------------------------------------------------------------------
# 1. speed on synthetic records
# ------------------------------------------------------------------------------------------

def make_synthetic(n: int, k: int, seed: int = 0) -> pd.DataFrame:
    """Records: a sensitive value s in 0..k-1 (skewed prior), 5 numeric columns, a 0/1 label."""
    rng = np.random.default_rng(seed)
    prior = np.arange(k, 0, -1, dtype=float)
    s = rng.choice(k, n, p=prior / prior.sum())
    x = rng.normal(size=(n, 5)) + 0.3 * s[:, None] / k
    logit = 1.5 * np.sin(s) + x[:, 0] - x[:, 1] + rng.normal(0, 1.0, n)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(5)])
    frame.insert(0, "s", s)
    frame["y"] = (logit > 0).astype(int)
    return frame


def speed_models(n_trees: int) -> dict:
    return {
        "decision tree (min_samples_leaf=5)":
            DecisionTreeClassifier(min_samples_leaf=5, random_state=0),
        f"random forest ({n_trees} trees, min_samples_leaf=5, n_jobs=2)":
            RandomForestClassifier(n_estimators=n_trees, min_samples_leaf=5, n_jobs=2,
                                   random_state=0),
        "histogram gradient boosting (defaults)": HistGradientBoostingClassifier(random_state=0),
        "logistic regression": LogisticRegression(max_iter=1000),
    }


def speed_table(n: int, k: int, n_aux: int, n_trees: int) -> pd.DataFrame:
    frame = make_synthetic(n + n_aux, k)
    members = frame.iloc[:n].reset_index(drop=True)
    aux = frame.iloc[n:].reset_index(drop=True)
    features = [c for c in frame.columns if c != "y"]
    values = np.arange(k)
    rows = []
    for name, model in speed_models(n_trees).items():
        model.fit(members[features], members["y"])
        adapter = wrap_model(model, members, target="y")
        res, t_engine = timed(lambda: play_batched(
            adapter, members=members, nonmembers=None, aux=aux, sensitive="s", target="y",
            values=values, access="all", random_state=0))
        big = expand(members, adapter.features, "s", values)
        _, t_pred = timed(lambda: model.predict_proba(big[adapter.features]))
        best = res.best.set_index(["game", "access", "knowledge"]).loc[
            ("training-set", "output", "aux+label")]
        rows.append({"model": name, "members": n, "k": k, "aux": n_aux,
                     "table_rows": len(big), "engine_s": t_engine, "batched_predict_s": t_pred,
                     "ratio": t_engine / t_pred,
                     "within_10s": t_engine <= 10, "within_3x": t_engine <= 3 * t_pred,
                     "best_output_attack": best["attack"], "best_output_success": best["success"],
                     "notes": " | ".join(res.notes)})
        print(f"  {name}: engine {t_engine:.2f} s, one batched predict_proba {t_pred:.2f} s",
              flush=True)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# 2. accuracy against ART on real data sets
# ------------------------------------------------------------------------------------------

def load_randhie() -> tuple[pd.DataFrame, str, str, str, list]:
    """statsmodels' RAND Health Insurance Experiment (20,190 person-years).

    Sensitive: self-rated health (0 excellent, 1 good, 2 fair, 3 poor, from the dummies
    hlthg/hlthf/hlthp). Label: outpatient doctor visits in the year, 0 / 1-3 / 4 or more.
    Features: the plan (lncoins, idp, lpi, fmde), physical limitation and chronic disease.
    The rows are person-years and repeat people (2,300 distinct feature profiles): the groups
    returned (one profile each) keep a profile out of two parts of the split.
    """
    import statsmodels.api as sm

    d = sm.datasets.randhie.load_pandas().data
    frame = pd.DataFrame({
        "health": (d["hlthg"] + 2 * d["hlthf"] + 3 * d["hlthp"]).astype(int),
        **{c: d[c].astype(float) for c in ("lncoins", "idp", "lpi", "fmde", "physlm", "disea")},
        "visits": np.digitize(d["mdvis"], [1, 4]).astype(int),
    })
    profile = [c for c in frame.columns if c not in ("health", "visits")]
    groups = frame[profile].round(6).astype(str).agg("/".join, axis=1).tolist()
    return frame, "health", "visits", "RAND HIE (statsmodels randhie)", groups


def load_diabetes_sex() -> tuple[pd.DataFrame, str, str, str, None]:
    """scikit-learn's diabetes data (442 patients), unscaled.

    Sensitive: sex (two values). Label: disease progression after a year above its median.
    Features: age, BMI, blood pressure and six blood serum measurements.
    """
    from sklearn.datasets import load_diabetes

    d = load_diabetes(as_frame=True, scaled=False).frame
    frame = d.drop(columns="target")
    frame = frame[["sex"] + [c for c in frame.columns if c != "sex"]]
    frame["sex"] = frame["sex"].astype(int)
    frame["progression"] = (d["target"] > d["target"].median()).astype(int)
    return frame, "sex", "progression", "diabetes (scikit-learn)", None


def accuracy_models() -> dict:
    return {
        "gradient boosting": HistGradientBoostingClassifier(random_state=0),
        "random forest": RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0),
        "logistic regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "decision tree": DecisionTreeClassifier(random_state=0),
    }


def split(frame: pd.DataFrame, shares, seed: int = 0, groups=None):
    """Disjoint members / non-members / auxiliary records drawn at random (``shares`` of the
    records, summing to at most 1); with ``groups`` (one key per record) whole groups go to one
    part, the parts' sizes then being close to the shares."""
    rng = np.random.default_rng(seed)
    if groups is None:
        perm = rng.permutation(len(frame))
    else:
        keys = pd.factorize(pd.Series(list(groups)))[0]
        order = rng.permutation(keys.max() + 1)
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        perm = np.argsort(rank[keys], kind="stable")   # the records of the groups in turn
    cuts = np.cumsum([int(round(s * len(frame))) for s in shares])
    if groups is not None:   # move each cut to the next group boundary
        g = np.asarray(keys)[perm]
        bounds = np.flatnonzero(np.diff(g)) + 1
        cuts = np.array([bounds[np.searchsorted(bounds, c)] if c < len(frame) else c
                         for c in cuts])
    parts = np.split(perm, cuts)[:len(shares)]
    return [frame.iloc[p].reset_index(drop=True) for p in parts]


def art_black_box(model, features, sensitive, target, aux, targets, values, attack_model_type,
                  epochs):
    """ART's ``AttributeInferenceBlackBox`` trained on ``aux``: guesses for ``targets``."""
    from art.attacks.inference.attribute_inference import AttributeInferenceBlackBox
    from art.estimators.classification import SklearnClassifier

    j = features.index(sensitive)
    np.random.seed(0)   # ART's default attack models take no seed: seed the global state
    if attack_model_type == "nn":
        import torch

        torch.manual_seed(0)
    classifier = SklearnClassifier(model=model)
    attack = AttributeInferenceBlackBox(classifier, attack_model_type=attack_model_type,
                                        attack_feature=j, nn_model_epochs=epochs)
    x_aux = aux[features].to_numpy(dtype=float)
    x_t = targets[features].to_numpy(dtype=float)
    attack.fit(x_aux, aux[target].to_numpy())
    pred = np.argmax(classifier.predict(x_t), axis=1).reshape(-1, 1)
    guess = attack.infer(np.delete(x_t, j, axis=1), y=targets[target].to_numpy(), pred=pred,
                         values=[float(v) for v in values])
    return np.asarray(guess, dtype=float).ravel()


def hits_summary(hit) -> tuple[float, float, float]:
    lo, hi = wilson_interval(int(np.sum(hit)), len(hit))
    return float(np.mean(hit)), lo, hi


def accuracy_table(quick: bool, epochs: int) -> pd.DataFrame:
    torch_threads()
    datasets = [load_randhie(), load_diabetes_sex()]
    rows = []
    for frame, sensitive, target, dname, groups in datasets:
        if quick and len(frame) > 2000:
            pick = np.random.default_rng(0).choice(len(frame), 2000, replace=False)
            frame = frame.iloc[pick].reset_index(drop=True)
            groups = None if groups is None else [groups[i] for i in pick]
        # half the records train the model, a quarter are held out, a quarter are the
        # adversary's auxiliary records
        members, nonmembers, aux = split(frame, (0.5, 0.25, 0.25), seed=0, groups=groups)
        values = np.sort(frame[sensitive].unique())
        if set(aux[sensitive].unique()) != set(values):
            raise ValueError(f"{dname}: the auxiliary records lack some sensitive value")
        targets = pd.concat([members, nonmembers], ignore_index=True)
        is_member = np.arange(len(targets)) < len(members)
        truth = targets[sensitive].to_numpy()
        features = [c for c in frame.columns if c != target]
        for mname, model in accuracy_models().items():
            model.fit(members[features], members[target])
            train_acc = float(np.mean(model.predict(members[features]) == members[target]))
            test_acc = float(np.mean(model.predict(nonmembers[features]) == nonmembers[target]))
            adapter = wrap_model(model, members, target=target)
            res, t_mid = timed(lambda: play_batched(
                adapter, members=members, nonmembers=nonmembers, aux=aux, sensitive=sensitive,
                target=target, values=values, access="all", random_state=0))
            r = res.results
            best = res.best[(res.best["game"] == "training-set")
                            & (res.best["knowledge"] == "aux+label")].set_index("access")
            out = best.loc["output"]
            worst = best.loc[best["success"].idxmax()]
            lab = r[(r["game"] == "training-set") & (r["attack"] == "output_label")
                    & (r["knowledge"] == "aux+label")].iloc[0]
            dist = res.best[(res.best["game"] == "distributional")
                            & (res.best["knowledge"] == "aux+label")
                            & (res.best["access"] == "output")].iloc[0]
            row = {"dataset": dname, "sensitive": sensitive, "k": len(values), "model": mname,
                   "members": len(members), "nonmembers": len(nonmembers), "aux": len(aux),
                   "train_acc": train_acc, "test_acc": test_acc,
                   "prior": out["prior_baseline"], "imputation": out["baseline"],
                   "midlib_attack": out["attack"], "midlib": out["success"],
                   "midlib_lo": out["success_lo"], "midlib_hi": out["success_hi"],
                   "midlib_label_release": lab["success"],
                   "midlib_worst_access": worst.name, "midlib_worst_attack": worst["attack"],
                   "midlib_worst": worst["success"],
                   "midlib_nonmembers": dist["success"], "midlib_s": t_mid}
            # no-model references: ART's rf attack model without the model's prediction, and
            # a logistic regression, on all the auxiliary records (other columns + label)
            known = [c for c in features if c != sensitive] + [target]
            for ref, est in (("rf", RandomForestClassifier(n_estimators=100, n_jobs=2,
                                                           random_state=0)),
                             ("lr", make_pipeline(StandardScaler(),
                                                  LogisticRegression(max_iter=1000)))):
                est.fit(aux[known], aux[sensitive])
                row[f"{ref}_imputation"] = float(np.mean(est.predict(members[known])
                                                         == members[sensitive]))
            for kind in ("rf", "nn"):
                guess, t = timed(lambda: art_black_box(model, features, sensitive, target, aux,
                                                       targets, values, kind, epochs))
                hit = guess == truth
                acc, lo, hi = hits_summary(hit[is_member])
                row.update({f"art_{kind}": acc, f"art_{kind}_lo": lo, f"art_{kind}_hi": hi,
                            f"art_{kind}_nonmembers": float(np.mean(hit[~is_member])),
                            f"art_{kind}_s": t})
            strong = "rf" if row["art_rf"] >= row["art_nn"] else "nn"
            row.update({"art_best": strong, "acc_ratio": row["midlib"] / row[f"art_{strong}"],
                        "label_acc_ratio": row["midlib_label_release"] / row[f"art_{strong}"],
                        "time_ratio": t_mid / row[f"art_{strong}_s"],
                        "midlib_loses": bool(row["midlib"] < row[f"art_{strong}"]),
                        "midlib_label_loses": bool(row["midlib_label_release"]
                                                   < row[f"art_{strong}"]),
                        "notes": " | ".join(res.notes)})
            rows.append(row)
            print(f"  {dname}, {mname}: midlib {row['midlib']:.3f} ({t_mid:.1f} s), ART rf "
                  f"{row['art_rf']:.3f} ({row['art_rf_s']:.1f} s), nn {row['art_nn']:.3f} "
                  f"({row['art_nn_s']:.1f} s)", flush=True)
    return pd.DataFrame(rows)


def torch_threads():
    try:
        import torch

        torch.set_num_threads(1)   # small batches: two threads only contend on 2 cores
        torch.nn.Linear(2, 2)(torch.zeros(1, 2)).sum().backward()   # warm up (one-off cost)
        import art.attacks.inference.attribute_inference  # noqa: F401
    except ImportError:  # ART's nn attack model needs torch
        pass


# ------------------------------------------------------------------------------------------
# reporting
# ------------------------------------------------------------------------------------------

def markdown(df: pd.DataFrame) -> str:
    """A pipe table of ``df`` (cells as given)."""
    head = "| " + " | ".join(df.columns) + " |"
    rule = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---"
                          for c in df.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def ci(p, lo, hi):
    return f"{p:.3f} [{lo:.3f}, {hi:.3f}]"


def speed_markdown(s: pd.DataFrame) -> str:
    return markdown(pd.DataFrame({
        "model": s["model"],
        "engine (s)": s["engine_s"].map("{:.2f}".format),
        "one batched predict_proba (s)": s["batched_predict_s"].map("{:.2f}".format),
        "ratio": s["ratio"].map("{:.1f}x".format),
        "<= 10 s": s["within_10s"].map({True: "yes", False: "**no**"}),
        "<= 3x": s["within_3x"].map({True: "yes", False: "**no**"}),
    }))


def accuracy_markdown(a: pd.DataFrame) -> str:
    art = [ci(r[f"art_{r['art_best']}"], r[f"art_{r['art_best']}_lo"],
              r[f"art_{r['art_best']}_hi"]) + f" ({r['art_best']})" for _, r in a.iterrows()]
    return markdown(pd.DataFrame({
        "data set (sensitive, k)": a["dataset"] + " (" + a["sensitive"] + ", "
                                   + a["k"].astype(str) + ")",
        "model": a["model"],
        "members / aux": a["members"].astype(str) + " / " + a["aux"].astype(str),
        "prior / imputation (midlib; RF; LR)": a["prior"].map("{:.3f}".format) + " / "
                                               + a["imputation"].map("{:.3f}".format) + "; "
                                               + a["rf_imputation"].map("{:.3f}".format) + "; "
                                               + a["lr_imputation"].map("{:.3f}".format),
        "midlib, output access": [ci(r.midlib, r.midlib_lo, r.midlib_hi) + f" ({r.midlib_attack})"
                                  for r in a.itertuples()],
        "midlib, released label": a["midlib_label_release"].map("{:.3f}".format),
        "midlib, worst access": a["midlib_worst"].map("{:.3f}".format) + " ("
                                + a["midlib_worst_access"] + ": " + a["midlib_worst_attack"] + ")",
        "ART rf / nn": a["art_rf"].map("{:.3f}".format) + " / " + a["art_nn"].map("{:.3f}".format),
        "ART, stronger": art,
        "acc. midlib/ART (output; label)": a["acc_ratio"].map("{:.2f}".format) + "; "
                                           + a["label_acc_ratio"].map("{:.2f}".format),
        "midlib (s)": a["midlib_s"].map("{:.1f}".format),
        "ART rf / nn (s)": a["art_rf_s"].map("{:.1f}".format) + " / "
                           + a["art_nn_s"].map("{:.1f}".format),
        "time midlib/ART": a["time_ratio"].map("{:.2f}".format),
    }))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (under a minute)")
    parser.add_argument("--skip-speed", action="store_true", help="only the accuracy table")
    parser.add_argument("--skip-accuracy", action="store_true", help="only the speed table")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    n, n_aux, n_trees, epochs = (5_000, 1_000, 10, 10) if args.quick else \
        (100_000, 20_000, 50, 100)
    k = 10
    RESULTS.mkdir(exist_ok=True)
    # the engine's attacks import torch (midlib.attacks): a one-off cost, paid before timing
    _, t_import = timed(lambda: __import__("midlib.attacks.tabular"))
    suffix = "_quick" if args.quick else ""
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
          f"importing midlib.attacks took {t_import:.1f} s (not timed below)")
    if not args.skip_speed:
        print(f"\n## Speed: {n:,} members x {k} values, {n_aux:,} auxiliary records", flush=True)
        s = speed_table(n, k, n_aux, n_trees)
        s["load_avg_1min_end"] = os.getloadavg()[0]
        s.to_csv(RESULTS / f"speed{suffix}.csv", index=False)
        print(speed_markdown(s))
        print(f"load average {os.getloadavg()[0]:.2f}")
    if not args.skip_accuracy:
        print(f"\n## Accuracy against ART (ART nn attack model: {epochs} epochs)", flush=True)
        a = accuracy_table(args.quick, epochs)
        a["load_avg_1min_end"] = os.getloadavg()[0]
        a.to_csv(RESULTS / f"accuracy_vs_art{suffix}.csv", index=False)
        print(accuracy_markdown(a))
        for r in a.itertuples():
            art = getattr(r, "art_" + r.art_best)
            if r.midlib < art:
                print(f"midlib below ART: {r.dataset}, {r.model}: output access {r.midlib:.3f} "
                      f"({r.midlib_attack}) against {art:.3f} (ART {r.art_best})")
            if r.midlib_label_release < art:
                print(f"midlib below ART, released label only (like for like): {r.dataset}, "
                      f"{r.model}: {r.midlib_label_release:.3f} against {art:.3f} "
                      f"(ART {r.art_best})")
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
