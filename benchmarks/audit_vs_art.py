"""midlib's vectorised attribute-inference attacks against the Adversarial Robustness Toolbox's.

The same scikit-learn decision tree, the same auxiliary and target records, the same candidate
values: midlib's white-box tree attack (Fredrikson et al. 2015) against ART's
``AttributeInferenceWhiteBoxDecisionTree``, and midlib's black-box attacks (MAP with the
confusion matrix, CSMIA) against ART's ``AttributeInferenceBlackBox`` (a random-forest attack
model trained on the auxiliary records with the model's predictions and the true labels), plus
the whole ``midlib.audit`` (every attack, the imputation baselines, both games, the report) on
the tree and on a logistic regression.

Run: ``.venv/bin/python benchmarks/audit_vs_art.py [--n 100000] [--k 10]``. It prints one
table (times in seconds, accuracy on the targets) and the time ratios.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from midlib import audit
from midlib.auditing.attacks import attack_guesses, fit_aux, query
from midlib.auditing.loading import wrap_model


def make_data(n: int, k: int, seed: int = 0) -> pd.DataFrame:
    """Records: a sensitive value s in 0..k-1 (skewed prior), 5 numeric columns, a 0/1 label."""
    rng = np.random.default_rng(seed)
    prior = np.arange(k, 0, -1, dtype=float)
    s = rng.choice(k, n, p=prior / prior.sum())
    x = rng.normal(size=(n, 5)) + 0.3 * s[:, None] / k
    logit = 1.5 * np.sin(s) + x[:, 0] - x[:, 1] + rng.normal(0, 1.0, n)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(5)])
    frame.insert(0, "s", s)          # ART refuses the last column as its attack feature
    frame["y"] = (logit > 0).astype(int)
    return frame


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="target records (members)")
    parser.add_argument("--k", type=int, default=10, help="candidate sensitive values")
    parser.add_argument("--n-aux", type=int, default=20_000, help="auxiliary records")
    parser.add_argument("--art-n", type=int, default=5_000,
                        help="targets for ART's white-box attack (it takes ~3 ms a record); "
                             "its time is scaled to --n records")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    from art.attacks.inference.attribute_inference import (
        AttributeInferenceBlackBox, AttributeInferenceWhiteBoxDecisionTree)
    from art.estimators.classification.scikitlearn import ScikitlearnDecisionTreeClassifier

    frame = make_data(args.n + 2 * args.n_aux, args.k)
    members = frame.iloc[:args.n].reset_index(drop=True)
    aux = frame.iloc[args.n:args.n + args.n_aux].reset_index(drop=True)
    holdout = frame.iloc[args.n + args.n_aux:].reset_index(drop=True)
    cols = [c for c in frame.columns if c != "y"]
    tree = DecisionTreeClassifier(min_samples_leaf=5, random_state=0).fit(members[cols],
                                                                         members["y"])
    values = np.arange(args.k)
    truth = members["s"].to_numpy()
    rows = []

    # midlib: one batched query over n x k records, then the attacks
    adapter = wrap_model(tree, members, target="y")
    know, t_aux = timed(lambda: fit_aux(adapter, aux, "s", "y", values))
    q, t_query = timed(lambda: query(adapter, members, "s", values))
    for name in ("whitebox_tree", "map", "csmia"):
        g, t = timed(lambda: attack_guesses(name, q, know, adapter, members, "y"))
        rows.append(dict(tool="midlib", attack=name, seconds=t_query + t, measured_on=args.n,
                         accuracy=float(np.mean(values[g] == truth))))
    # ART: white-box decision tree attack (true label as the prediction proxy, as ART documents)
    X = members[cols].to_numpy(dtype=float)
    x_rest = np.delete(X, 0, axis=1)
    prior = np.bincount(aux["s"], minlength=args.k) / len(aux)
    art_tree = ScikitlearnDecisionTreeClassifier(model=tree)
    wb = AttributeInferenceWhiteBoxDecisionTree(art_tree, attack_feature=0)
    m = min(args.art_n, args.n)
    g, t = timed(lambda: wb.infer(x_rest[:m], members["y"].to_numpy()[:m],
                                  values=list(values.astype(float)), priors=list(prior)))
    rows.append(dict(tool="ART", attack="AttributeInferenceWhiteBoxDecisionTree",
                     seconds=t * args.n / m, measured_on=m,
                     accuracy=float(np.mean(np.asarray(g, dtype=float) == truth[:m]))))
    mine = float(np.mean(values[attack_guesses(
        "whitebox_tree", q, know, adapter, members, "y")][:m] == truth[:m]))
    # ART: black-box attack model (random forest) on the auxiliary records
    bb = AttributeInferenceBlackBox(art_tree, attack_model_type="rf", attack_feature=0)

    def art_black_box():
        bb.fit(aux[cols].to_numpy(dtype=float), aux["y"].to_numpy())
        pred = tree.predict(members[cols]).reshape(-1, 1)
        return bb.infer(x_rest, y=members["y"].to_numpy(), pred=pred,
                        values=list(values.astype(float)))

    g, t = timed(art_black_box)
    rows.append(dict(tool="ART", attack="AttributeInferenceBlackBox (rf)", seconds=t,
                     measured_on=args.n,
                     accuracy=float(np.mean(np.asarray(g, dtype=float).ravel() == truth))))
    # the whole midlib.audit: every attack, imputation baselines, both games, the report
    rep, t = timed(lambda: audit(tree, members=members, nonmembers=holdout, aux=aux,
                                 sensitive="s", target="y"))
    train = rep.results.set_index(["game", "attack"]).loc["training-set"]
    rows.append(dict(tool="midlib", attack="audit() end to end", seconds=t, measured_on=args.n,
                     accuracy=float(train["success"].max())))
    # the same on a linear model (logistic regression): MAP, CSMIA, LOMIA, baselines, report
    from sklearn.linear_model import LogisticRegression

    logistic = LogisticRegression(max_iter=1000).fit(members[cols], members["y"])
    rep, t = timed(lambda: audit(logistic, members=members, nonmembers=holdout, aux=aux,
                                 sensitive="s", target="y"))
    train = rep.results.set_index(["game", "attack"]).loc["training-set"]
    rows.append(dict(tool="midlib", attack="audit() end to end, logistic regression", seconds=t,
                     measured_on=args.n, accuracy=float(train["success"].max())))
    out = pd.DataFrame(rows)
    print(f"{args.n} target records x {args.k} candidate values; {args.n_aux} auxiliary records; "
          f"decision tree with {tree.tree_.node_count} nodes; midlib's aux fit {t_aux:.2f} s, "
          f"batched query {t_query:.2f} s")
    print(out.round(4).to_string(index=False))
    base = rep.baselines.set_index(["game", "baseline"]).loc["training-set", "success"]
    print("no-model baselines (training-set game):", base.round(4).to_dict())
    sec = out.set_index("attack")["seconds"]
    print(f"white-box: ART / midlib time = "
          f"{sec['AttributeInferenceWhiteBoxDecisionTree'] / sec['whitebox_tree']:.1f}x "
          f"(ART timed on {m} records, scaled to {args.n}; midlib's accuracy on those {m}: "
          f"{mine:.4f})")
    print(f"black-box: ART / midlib (csmia) time = "
          f"{sec['AttributeInferenceBlackBox (rf)'] / sec['csmia']:.1f}x")


if __name__ == "__main__":
    main()
