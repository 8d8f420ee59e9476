"""The ``midlib`` command: build the book, check the data, audit a model, run a sweep.

Examples::

    midlib book --profile quick
    midlib data
    midlib audit iwpc --model linear --seeds 5
    midlib audit steak --model mid-tree --strength 0.1
    midlib sweep iwpc --model mid-linear --strengths 0 0.01 0.1 1 --seeds 3 --out lam.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

#: Models the audit knows: name -> (task kind, what --strength sets, factory(strength, seed)).
MODELS = {
    "linear": ("regression", None),
    "mid-linear": ("regression", "lam"),
    "dp-linear": ("regression", "epsilon"),
    "tree": ("classification", None),
    "mid-tree": ("classification", "lam"),
    "dp-tree": ("classification", "epsilon"),
}
TABULAR = {"iwpc": "regression", "steak": "classification", "fair": "classification"}


def make_model(name: str, strength: float | None, seed: int):
    """A fresh, unfitted model of the audit's family ``name`` with defence strength ``strength``."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    param = MODELS[name][1]
    if param is not None and strength is None:
        raise ValueError(f"model {name!r} needs --strength (its {param})")
    if param is None and strength is not None:
        raise ValueError(f"model {name!r} has no defence strength; drop --strength")
    if name == "linear":
        from sklearn.linear_model import LinearRegression
        return LinearRegression()
    if name == "mid-linear":
        from midlib.defenses.mid_linear import MIDLinearRegression
        return MIDLinearRegression(lam=strength, random_state=seed)
    if name == "dp-linear":
        from midlib.defenses.dp_linear import FunctionalMechanismRegression
        return FunctionalMechanismRegression(epsilon=strength, random_state=seed)
    if name == "tree":
        from sklearn.tree import DecisionTreeClassifier
        return DecisionTreeClassifier(random_state=seed)
    if name == "mid-tree":
        from midlib.defenses.mid_tree import MIDDecisionTreeClassifier
        return MIDDecisionTreeClassifier(lam=strength, random_state=seed)
    from midlib.defenses.dp_tree import DPDecisionTreeClassifier
    return DPDecisionTreeClassifier(epsilon=strength, random_state=seed)


def audit(data: str, model: str, strength: float | None = None, seeds=(0, 1, 2),
          test_size: float = 0.3) -> pd.DataFrame:
    """Play the MI game (black-box MAP adversary, knowing the target's other attributes and
    label) against ``model`` trained on the tabular data set ``data``; one row per seed and game.
    """
    from midlib import datasets, game

    if data not in TABULAR:
        raise ValueError(f"audit works on the tabular data sets {', '.join(TABULAR)}, not {data!r}")
    kind = MODELS.get(model, (None,))[0]
    make_model(model, strength, 0)  # validates the model name and strength up front
    if kind != TABULAR[data]:
        raise ValueError(f"{data!r} is a {TABULAR[data]} task; model {model!r} is for "
                         f"{kind}: choose one of "
                         f"{', '.join(m for m, (k, _) in MODELS.items() if k == TABULAR[data])}")
    task = datasets.load(data)
    if kind == "regression":
        def fit(m, t, frame):
            return m.fit(t.encode(frame), t.y(frame, scaled=True))

        def make_adversary():
            return game.RegressionMAPAdversary(target=lambda t, frame: t.y(frame, scaled=True))
    else:
        def fit(m, t, frame):
            return m.fit(t.encode(frame), t.y(frame))

        make_adversary = game.ClassifierMAPAdversary
    res = game.play_seeds(task, lambda seed: make_model(model, strength, seed), make_adversary,
                          seeds=list(seeds), test_size=test_size, fit=fit)
    res.insert(0, "model", model)
    res.insert(1, "strength", strength)
    return res


def _summary(res: pd.DataFrame) -> pd.DataFrame:
    from midlib import game

    by = ["model", "strength", "game"]
    res = res.assign(strength=res["strength"].astype(object).where(res["strength"].notna(), "-"))
    return game.summarize(res, by=by).round(4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="midlib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("book", help="execute the notebooks and build the book")
    p.add_argument("--profile", default="full")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", nargs="+", default=None)
    p.add_argument("--force", action="store_true")
    p.add_argument("--build-dir", type=Path, default=None)

    p = sub.add_parser("data", help="list the data sets and check the real files")
    p.add_argument("--data-dir", default=None)

    for name, help_ in (("audit", "measure a model's leakage with the MI game"),
                        ("sweep", "audit a model over defence strengths, save a CSV")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("data", help=f"one of {', '.join(TABULAR)}")
        p.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}")
        if name == "audit":
            p.add_argument("--strength", type=float, default=None,
                           help="lambda for mid-*, epsilon for dp-*")
        else:
            p.add_argument("--strengths", type=float, nargs="+", required=True)
            p.add_argument("--out", type=Path, required=True, help="CSV file to write")
            p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
        p.add_argument("--seeds", type=int, default=3, help="number of seeds (0, 1, ...)")
        p.add_argument("--test-size", type=float, default=0.3)

    args = parser.parse_args(argv)
    try:
        if args.command == "book":
            from midlib import pipeline
            pipeline.check_profile(args.profile)
            pipeline.build_book(args.profile, args.build_dir, args.seed, args.only, args.force)
        elif args.command == "data":
            from midlib import datasets
            rows = []
            for key, (fname, _, source) in datasets.REAL_FILES.items():
                try:
                    datasets.real_file(key, args.data_dir)
                    status = "ok (checksum verified)"
                except datasets.DataFileError as err:
                    status = type(err).__name__
                rows.append({"data set": key, "file": fname, "status": status, "source": source})
            print(f"data directory: {datasets.data_dir(args.data_dir).resolve()} "
                  f"(set {datasets.DATA_ENV} to change it)")
            print(pd.DataFrame(rows).to_string(index=False))
        else:
            if args.seeds < 1:
                raise ValueError("--seeds must be at least 1")
            seeds = range(args.seeds)
            if args.command == "audit":
                res = audit(args.data, args.model, args.strength, seeds, args.test_size)
            else:
                if args.out.exists() and not args.force:
                    raise ValueError(f"{args.out} exists; choose another --out or pass --force "
                                     "to overwrite it")
                res = pd.concat([audit(args.data, args.model, s, seeds, args.test_size)
                                 for s in args.strengths], ignore_index=True)
                res.to_csv(args.out, index=False)
                print(f"wrote {len(res)} rows to {args.out}")
            print(_summary(res).to_string(index=False))
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"midlib: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
