"""``midlib.audit``: measure what a user's own model leaks about a sensitive column."""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from midlib.auditing.loading import MissingColumnError, load_model, load_table
from midlib.auditing.report import (AuditReport, per_value_table, summarize_seeds,
                                    unpaired_difference_interval)
from midlib.data.task import MAX_SENSITIVE_VALUES
from midlib.game import play_batched, wrap_model
from midlib.game.engine import ACCESS_LEVELS, select_best
from midlib.validation import check_positive_int, check_random_state, check_seed

__all__ = ["audit", "check_records", "membership_mask"]

#: Above this many model queries (records x candidate values) a progress bar is shown.
LONG_RUN_QUERIES = 2_000_000


def membership_mask(column: pd.Series) -> np.ndarray:
    """Read a membership column: booleans, 0/1, or the words true/false, yes/no, member/non-member.

    Parameters
    ----------
    column : pandas.Series
        One entry per record: was it in the model's training data?

    Returns
    -------
    ndarray of bool
        True for members.

    Raises
    ------
    ValueError
        Other values, or missing ones.

    Examples
    --------
    >>> membership_mask(pd.Series(["yes", "no", "Yes"])).tolist()
    [True, False, True]
    """
    words = {"true": True, "1": True, "yes": True, "member": True, "train": True,
             "false": False, "0": False, "no": False, "non-member": False, "nonmember": False,
             "holdout": False, "test": False}
    if column.isna().any():
        raise ValueError(f"the membership column {column.name!r} has missing values")
    text = column.astype(str).str.strip().str.lower().str.replace(r"\.0$", "", regex=True)
    bad = sorted(set(text) - set(words))
    if bad:
        raise ValueError(f"the membership column {column.name!r} must hold true/false (or 1/0, "
                         f"yes/no), got {bad[:5]}")
    return text.map(words).to_numpy(dtype=bool)


def check_records(frames: dict, features, sensitive: str, target: str, kind: str,
                  classes) -> np.ndarray:
    """Check the records for the audit and return the candidate sensitive values.

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        The record sets by name (``members``, ``non-members``, ``auxiliary``).
    features : list of str
        The columns the model reads.
    sensitive : str
        The sensitive column.
    target : str
        The label column.
    kind : {"regression", "classification"}
        What the model predicts.
    classes : array-like or None
        The model's classes (classification).

    Returns
    -------
    ndarray of shape (k,)
        The sorted distinct sensitive values of all records.

    Raises
    ------
    MissingColumnError
        A column the model or the audit needs is missing (the message lists the available
        ones).
    ValueError
        The sensitive column is not among the model's inputs, has missing values, is not
        discrete or has too many values; the target has missing values or labels the model
        does not know; a numeric feature is infinite.

    Examples
    --------
    >>> frame = pd.DataFrame({"s": ["a", "b", "a", "b"], "y": [0.0, 1.0, 0.5, 1.5]})
    >>> check_records({"members": frame}, ["s"], "s", "y", "regression", None).tolist()
    ['a', 'b']
    """
    for name, frame in frames.items():
        missing = [c for c in dict.fromkeys(list(features) + [sensitive, target])
                   if c not in frame.columns]
        if missing:
            raise MissingColumnError(f"the {name} records lack the columns {missing}; available "
                                     f"columns: {list(frame.columns)}")
    allrec = pd.concat(list(frames.values()), ignore_index=True)
    s, y = allrec[sensitive], allrec[target]
    if s.isna().any():
        raise ValueError(f"the sensitive column {sensitive!r} has {int(s.isna().sum())} missing "
                         "values (None/NaN): drop those records or give them a category of their "
                         "own such as 'unknown'")
    values = np.sort(pd.unique(s.to_numpy()))
    if pd.api.types.is_float_dtype(s) and not np.all(values == np.round(values)):
        raise ValueError(f"the sensitive column {sensitive!r} is continuous: bin it into a few "
                         "categories first, e.g. pd.cut(column, bins=4)")
    if len(values) > MAX_SENSITIVE_VALUES or (len(values) == len(allrec) and len(allrec) > 2):
        raise ValueError(f"the sensitive column {sensitive!r} has {len(values)} distinct values "
                         f"for {len(allrec)} records (at most {MAX_SENSITIVE_VALUES}): it looks "
                         "continuous or like an identifier. Bin it into a few categories first")
    if len(values) < 2:
        raise ValueError(f"the sensitive column {sensitive!r} takes a single value {values.tolist()}: "
                         "there is nothing to infer")
    if y.isna().any():
        raise ValueError(f"the target column {target!r} has {int(y.isna().sum())} missing values: "
                         "drop those records")
    for c in features:
        col = allrec[c]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col) \
                and np.isinf(col.to_numpy(dtype=float)).any():
            raise ValueError(f"column {c!r} has infinite values: replace or drop them first")
    if kind == "classification":
        known = pd.Index(classes).get_indexer(y.to_numpy()) >= 0
        if not known.any():
            raise ValueError(
                f"none of the labels of {target!r} ({sorted(map(str, y.unique()))[:5]}) is a class "
                f"of the model ({[str(c) for c in list(classes)[:5]]}): was it fitted on other "
                "labels (e.g. integer codes instead of strings)? Give the labels it was fitted on")
    elif not pd.api.types.is_numeric_dtype(y):
        raise ValueError(f"the model is a regressor but the target {target!r} is not numeric")
    return values


def _split_records(members, nonmembers, data):
    """(members, nonmembers) from the audit's arguments."""
    if data is not None:
        frame = load_table(data, "data")
        if isinstance(members, str):
            if members not in frame.columns:
                raise MissingColumnError(f"the membership column {members!r} is not in the data; "
                                         f"available columns: {list(frame.columns)}")
            mask = membership_mask(frame[members])
            frame = frame.drop(columns=members)
        elif members is None:
            mask = np.ones(len(frame), dtype=bool)
        else:
            mask = np.asarray(members, dtype=bool)
            if mask.shape != (len(frame),):
                raise ValueError(f"members must be a column name or {len(frame)} booleans")
        mem = frame[mask].reset_index(drop=True)
        non = frame[~mask].reset_index(drop=True)
        if nonmembers is not None:
            non = pd.concat([non, load_table(nonmembers, "nonmembers")], ignore_index=True)
    else:
        if members is None:
            raise ValueError("give data (with a members column or mask) or members= and "
                             "nonmembers= record sets")
        mem = load_table(members, "members")
        non = load_table(nonmembers, "nonmembers") if nonmembers is not None else mem.iloc[:0]
    if len(mem) == 0:
        raise ValueError("no member records: mark the model's training records (members column, "
                         "--members-column or --train)")
    return mem, (non if len(non) else None)


def audit(model, data=None, *, sensitive: str, target: str, members=None, nonmembers=None,
          aux=None, attacks="auto", access="all", n_seeds: int = 1, random_state: int = 0,
          confidence: float = 0.95, aux_fraction: float = 0.5, task: str = "auto",
          classes=None, trust_types: bool = False, trust_pickle: bool = False) -> AuditReport:
    """Audit a fitted model: how well can attacks infer a sensitive column of its records?

    The adversary knows each target record's other columns and its label (knowledge
    ``"aux+label"``; the output observer is also played knowing the other columns only) and
    has auxiliary records (``aux``; by default a random ``aux_fraction`` of the non-members,
    the rest being the non-member targets; without non-members, of the members). The game
    engine (:func:`midlib.game.play_batched`) plays every attack the model allows at every
    allowed access level: the released output on the target (the output observer), label-only
    and score queries, white-box; each attack starts from the same-knowledge imputation
    posterior, and its weight and the best attack of each access level are chosen on a
    held-out half of the auxiliary records. Each is scored on the members (the training-set
    game) and the non-members (the distributional game, the control) against the strongest
    no-model baseline with the same knowledge, with the prior-only figure beside it; the
    report's ladder adds the plug-in Bayes value and the information ceiling.

    Parameters
    ----------
    model : estimator, Pipeline, callable, torch.nn.Module, str or pathlib.Path
        The fitted model, or its file (see :func:`~midlib.auditing.loading.load_model`). A
        Pipeline may take the raw records (e.g. with a ColumnTransformer).
    data : str, pathlib.Path or pandas.DataFrame, default=None
        All records (CSV, Parquet or a DataFrame); ``members`` marks the training records.
    sensitive : str
        The discrete sensitive column.
    target : str
        The label column.
    members : str, array-like of bool, str path or DataFrame, default=None
        With ``data``: the membership column's name, or a mask (None: all records are
        members). Without ``data``: the training records.
    nonmembers : str path or DataFrame, default=None
        Held-out records (added to ``data``'s non-members).
    aux : str path or DataFrame, default=None
        The adversary's auxiliary records (not audited); None draws them as described above.
    attacks : "auto" or list of str, default="auto"
        Keys of :data:`midlib.attacks.tabular.TABLE_ATTACKS`; "auto" plays all the model allows.
    access : "all" or list of str, default="all"
        The access levels the deployment allows, of ``"output"`` (the released prediction on
        the target), ``"label-only"``, ``"black-box"`` (score queries), ``"white-box"``; the
        headline and the gate take the worst case over them.
    n_seeds : int, default=1
        How many random draws of the auxiliary records to average (the number of seeds, not
        a seed value). With one seed the intervals are that draw's Wilson and Newcombe
        intervals; with several, the wider of the t-interval over the seeds and the average
        per-seed interval.
    random_state : int, default=0
        The first seed; seeds ``random_state, ..., random_state + n_seeds - 1``.
    confidence : float, default=0.95
        Confidence level of the intervals.
    aux_fraction : float, default=0.5
        Share of the non-members (or members) drawn as auxiliary records.
    task : {"auto", "regression", "classification"}, default="auto"
        For callables and torch modules: what the model predicts.
    classes : array-like, default=None
        For callables and torch modules returning probabilities: the class labels.
    trust_types : bool, default=False
        Load a ``.skops`` model file with types skops does not trust by default.
    trust_pickle : bool, default=False
        Load a pickle / joblib model file (it can run code).

    Returns
    -------
    AuditReport
        Results, baselines, per-value precision and recall, leakage and the headline.

    Raises
    ------
    ValueError
        Bad records, model or arguments (the message says what to do).

    Notes
    -----
    Refused with a message: a sensitive column with missing values, a continuous one, one with
    more than :data:`~midlib.data.task.MAX_SENSITIVE_VALUES` values or as many values as
    records, a sensitive column the model does not read, a missing target value, an infinite
    feature, labels that are not the model's classes, columns the model needs but the records
    lack (:class:`~midlib.auditing.loading.MissingColumnError`, listing the available ones),
    an unfitted model. Passed to the model as they are: missing values in other columns and
    categories it never saw (a pipeline's imputer or ``OneHotEncoder(handle_unknown="ignore")``
    handles them; otherwise the model's error is re-raised with that hint). Ignored and
    listed in ``info["ignored_columns"]``: columns the model does not read.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"s": rng.integers(0, 2, 400), "x": rng.normal(size=400)})
    >>> frame["y"] = 2 * frame["s"] + frame["x"] + rng.normal(0, 0.3, 400)
    >>> frame["member"] = np.arange(400) < 200
    >>> model = LinearRegression().fit(frame.loc[:199, ["s", "x"]], frame.loc[:199, "y"])
    >>> report = audit(model, frame, sensitive="s", target="y", members="member")
    >>> h = report.headline
    >>> bool(h["prior_advantage"] > 0.3), h["baseline_name"]   # far above the prior guess ...
    (True, 'aux+label')
    >>> bool(h["advantage_lo"] < 0.05)           # ... not above imputation from x and y
    True
    """
    start = time.perf_counter()
    first = check_seed(random_state)
    check_positive_int(n_seeds, "n_seeds")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    if not 0 < aux_fraction < 1:
        raise ValueError(f"aux_fraction must lie in (0, 1), got {aux_fraction}")
    if isinstance(model, (str, Path)):
        model = load_model(model, trust_types=trust_types, trust_pickle=trust_pickle)
    mem, non = _split_records(members, nonmembers, data)
    aux_given = load_table(aux, "aux") if aux is not None else None
    adapter = wrap_model(model, mem, target=target, task=task, classes=classes)
    frames = {"members": mem, **({"non-members": non} if non is not None else {}),
              **({"auxiliary": aux_given} if aux_given is not None else {})}
    values = check_records(frames, adapter.features, sensitive, target, adapter.kind,
                           adapter.classes)
    if access != "all":
        access = [access] if isinstance(access, str) else list(access)
        bad = [a for a in access if a not in ACCESS_LEVELS]
        if bad or not access:
            raise ValueError(f"access must be 'all' or some of {list(ACCESS_LEVELS)}, got {bad}")
    notes = []
    if adapter.features and sensitive not in adapter.features:
        notes.append(f"the model does not read the sensitive column {sensitive!r}: its output is "
                     "a function of columns the adversary already knows, so no attack that knows "
                     "them can gain from it (the advantage is 0 by construction)")
    if non is None and aux_given is None:
        notes.append("no non-members: the distributional game is not played and the auxiliary "
                     "records are drawn from the members")
    ignored = [c for c in mem.columns if c not in adapter.features and c != target]
    per_seed, base_rows, ladders, guesses = [], [], [], {}
    from midlib.progress import progress

    long_run = (len(mem) + (0 if non is None else len(non))) * len(values) > LONG_RUN_QUERIES
    quiet = {} if long_run else {"disable": True}       # a bar on long runs, in a terminal
    for seed in progress(range(first, first + n_seeds), desc="audit seeds", **quiet):
        rng = check_random_state(seed)
        if aux_given is not None:
            aux_set, mem_t, non_t = aux_given, mem, non
        elif non is not None:
            idx = rng.permutation(len(non))
            cut = max(1, int(round(aux_fraction * len(non))))
            aux_set, mem_t, non_t = non.iloc[idx[:cut]], mem, non.iloc[idx[cut:]]
        else:
            idx = rng.permutation(len(mem))
            cut = max(1, int(round(aux_fraction * len(mem))))
            aux_set, mem_t, non_t = mem.iloc[idx[:cut]], mem.iloc[idx[cut:]], None
        game = play_batched(adapter, members=mem_t.reset_index(drop=True),
                            nonmembers=None if non_t is None else non_t.reset_index(drop=True),
                            aux=aux_set.reset_index(drop=True), sensitive=sensitive,
                            target=target, values=values, attacks=attacks, access=access,
                            confidence=confidence, random_state=seed)
        per_seed.append(game.results.assign(seed=seed))
        base_rows.append(game.baselines.assign(seed=seed))
        ladders.append(game.ladder.assign(seed=seed))
        for key, (t, g) in game.guesses.items():
            prev = guesses.get(key, ([], []))
            guesses[key] = (prev[0] + [t], prev[1] + [g])
        notes += [n for n in game.notes if n not in notes]
    per_seed = pd.concat(per_seed, ignore_index=True)
    results = summarize_seeds(per_seed, ["game", "attack", "knowledge"], confidence)
    baselines = summarize_seeds(pd.concat(base_rows, ignore_index=True), ["game", "baseline"],
                                confidence)
    ladder = summarize_seeds(pd.concat(ladders, ignore_index=True), ["game", "rung"], confidence)
    best = select_best(results)
    per_value = pd.concat([per_value_table(np.concatenate(t), np.concatenate(g), values)
                           .assign(game=game, attack=a, knowledge=lv)
                           for (game, a, lv), (t, g) in guesses.items()], ignore_index=True)
    per_value = per_value[["game", "attack", "knowledge", "value", "support", "guessed",
                           "precision", "recall"]]
    gap = _gap(results[results["knowledge"] == "aux+label"])
    headline = _headline(best)
    leak = {}
    for g, d in ladder[ladder["rung"] == "ceiling (output)"].set_index("game").iterrows():
        out = best[(best["game"] == g) & (best["access"] == "output")
                   & (best["knowledge"] == "aux+label")]
        leak[g] = {"cmi_nats": float(d["information"]), "bound": float(np.sqrt(max(
            d["information"], 0) / 2)), "measured_advantage": float(out["advantage"].max())
            if len(out) else float("nan")}
    info = dict(model=type(model).__name__, kind=adapter.kind, sensitive=sensitive,
                target=target, values=[str(v) for v in values], features=adapter.features,
                ignored_columns=ignored, n_members=len(mem),
                n_nonmembers=0 if non is None else len(non),
                n_aux=len(aux_set), n_seeds=n_seeds, seeds=list(range(first, first + n_seeds)),
                confidence=confidence, attacks=sorted(set(results["attack"])),
                access=sorted(set(results["access"])), notes=notes,
                selection="each attack's weight and the best attack of each access level are "
                          "chosen on a held-out half of the auxiliary records, never on the "
                          "targets; the headline is the worst case over the access levels",
                seconds=round(time.perf_counter() - start, 3))
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return AuditReport(results, baselines, per_value, leak, gap, headline, info, per_seed,
                       best, ladder)


def _headline(best: pd.DataFrame) -> dict:
    """The worst case over the access levels: the largest advantage, among the attacks chosen
    on held-out auxiliary records, in the training-set game at full knowledge."""
    rows = best[(best["game"] == "training-set") & (best["knowledge"] == "aux+label")]
    top = rows.loc[rows["advantage"].idxmax()]
    out = {k: top[k] for k in ("attack", "label", "access", "game", "success", "baseline",
                               "baseline_name", "advantage", "advantage_lo", "advantage_hi",
                               "prior_advantage", "prior_advantage_lo", "prior_advantage_hi")}
    out["n"] = int(top["n"])
    return out


def _gap(results: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for a, grp in results.groupby("attack", sort=False):
        g = grp.set_index("game")
        if not {"training-set", "distributional"} <= set(g.index):
            continue
        m, d = g.loc["training-set"], g.loc["distributional"]
        diff, lo, hi = unpaired_difference_interval(m["success"], m["success_lo"],
                                                    m["success_hi"], d["success"],
                                                    d["success_lo"], d["success_hi"])
        rows.append(dict(attack=a, label=m["label"], members=m["success"],
                         nonmembers=d["success"], gap=diff, gap_lo=lo, gap_hi=hi))
    return pd.DataFrame(rows, columns=["attack", "label", "members", "nonmembers", "gap",
                                       "gap_lo", "gap_hi"])
