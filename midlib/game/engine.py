"""The batched game engine: one model query for every record x candidate value, every attack
scored against the strongest no-model adversary with the same knowledge, the ladder.

:func:`play_batched` plays the MI game of the book's definition on a wrapped model
(:func:`midlib.game.wrap_model`) at every access level the deployment allows:

1. the auxiliary records are split in two halves, *fit* and *selection*;
2. the same-knowledge imputation posteriors are cross-fitted on them (knowledge ``"aux"`` and
   ``"aux+label"``), and averaged for the targets;
3. the model is asked once about every record (fit, selection, targets) completed with every
   candidate value, and once about the true records (the *released output*; for a stochastic
   model one draw, and the table is averaged over ``n_queries`` queries);
4. each attack of :data:`midlib.attacks.tabular.TABLE_ATTACKS` that applies fits on the fit half
   and returns its evidence; the weight of the evidence against the imputation posterior, and
   the best attack of each access level, are chosen on the selection half, never on the targets;
5. every (attack, knowledge) is scored on the members (training-set game) and the non-members
   (distributional game) against the strongest no-model baseline at its knowledge, with
   Wilson and Newcombe intervals; the ladder adds the plug-in Bayes value and information
   ceiling of the output observer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from midlib.game.knowledge import cross_fit, smoothed_prior
from midlib.leakage import entropy
from midlib.stats import mean_interval, paired_difference_interval, wilson_interval

__all__ = ["play_batched", "GameResult", "expand", "WEIGHTS", "BASELINES", "ACCESS_LEVELS", "select_best",
           "score_hits"]

#: The access levels, from the narrowest (the same tuple as :mod:`midlib.attacks.tabular`'s).
ACCESS_LEVELS = ("output", "label-only", "black-box", "white-box")
#: Weights of an attack's evidence against the imputation posterior, tried on the selection
#: records (0: the imputation guess itself).
WEIGHTS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1e4)
#: The suffix and weight of an attack's own rule (its evidence, the posterior breaking ties).
RULE, RULE_WEIGHT = "_rule", 1e6
#: The no-model baselines: name -> (label, knowledge).
BASELINES = {"prior": ("most frequent value", "prior"),
             "aux": ("imputation from the other columns", "aux"),
             "aux+label": ("imputation from the other columns and the label", "aux+label")}
_RANK = {"prior": 0, "aux": 1, "aux+label": 2}
#: The learned attacks train on at most this many records.
MAX_LEARNED_RECORDS = 10_000
#: Below this many auxiliary (target) records the plug-in rungs of the ladder are flagged.
FEW_RECORDS = 300


def expand(frame: pd.DataFrame, features, sensitive: str, values) -> pd.DataFrame:
    """Repeat each record once per candidate value: row ``i k + j`` is record i with value j.

    Parameters
    ----------
    frame : pandas.DataFrame
        The records.
    features : list of str
        The columns the model reads.
    sensitive : str
        The sensitive column (set to each candidate in turn).
    values : array-like of shape (k,)
        The candidate values.

    Returns
    -------
    pandas.DataFrame
        ``len(frame) * k`` rows.

    Examples
    --------
    >>> expand(pd.DataFrame({"s": [0], "x": [5]}), ["s", "x"], "s", [0, 1])["s"].tolist()
    [0, 1]
    """
    values = np.asarray(values)
    n, k = len(frame), len(values)
    cols = list(dict.fromkeys(list(features) + ([sensitive] if sensitive in frame else [])))
    out = frame[cols].iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    out[sensitive] = np.tile(values, n)
    return out


@dataclass
class GameResult:
    """What :func:`play_batched` measured.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per game, attack and knowledge: ``game, attack, label, access, knowledge, n,
        success, success_lo, success_hi, baseline, baseline_name, advantage, advantage_lo,
        advantage_hi, prior_baseline, prior_advantage, prior_advantage_lo, prior_advantage_hi,
        weight, selection_success``.
    best : pandas.DataFrame
        Per game, access and knowledge: the row of the attack chosen on the selection records.
    ladder : pandas.DataFrame
        Per game: ``rung, success, success_lo, success_hi, note``.
    baselines : pandas.DataFrame
        Per game and no-model baseline: its success with a Wilson interval.
    guesses : dict
        ``(game, attack, knowledge) -> (truth, guess)`` as value indices.
    notes : list of str
        Attacks that did not run and why; other caveats.
    info : dict
        ``values, n_aux, n_fit, n_selection, selection, stochastic, constant``.

    Examples
    --------
    >>> GameResult(*[pd.DataFrame()] * 4, {}, [], {}).notes
    []
    """

    results: pd.DataFrame
    best: pd.DataFrame
    ladder: pd.DataFrame
    baselines: pd.DataFrame
    guesses: dict = field(repr=False)
    notes: list
    info: dict


def _trees(est):
    if est is None or getattr(est, "classes_", None) is None:
        return []
    if hasattr(est, "tree_"):
        return [est]
    sub = getattr(est, "estimators_", None)
    if isinstance(sub, list) and sub and all(hasattr(t, "tree_") for t in sub):
        return sub
    return []


def _softmax(logits):
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _query(adapter, rows, sensitive, values, codes, n_queries, notes):
    """The table (and the released output) for ``rows``."""
    from midlib.attacks.tabular import TableView
    from midlib.defenses.tree_base import node_counts

    n, k = len(rows), len(values)
    big = expand(rows, adapter.features, sensitive, values)
    pred, proba, Xt = adapter.outputs(big)
    obs, obs_proba, _ = adapter.outputs(rows)
    pred, obs = np.asarray(pred).reshape(n, k), np.asarray(obs)
    proba = None if proba is None else np.asarray(proba, dtype=float).reshape(n, k, -1)
    at = pred[np.arange(n), np.maximum(codes, 0)]
    if adapter.kind == "regression":
        stochastic = not np.allclose(at.astype(float), obs.astype(float), rtol=1e-7, atol=1e-12)
    else:
        stochastic = bool(np.any(at != obs))
    if stochastic and n_queries > 1:   # an adversary who may query repeatedly averages
        for _ in range(n_queries - 1):
            p2, q2, _ = adapter.outputs(big)
            if adapter.kind == "regression":
                pred = pred + np.asarray(p2, dtype=float).reshape(n, k)
            elif proba is not None:
                proba = proba + np.asarray(q2, dtype=float).reshape(n, k, -1)
        if adapter.kind == "regression":
            pred = pred / n_queries
        elif proba is not None:
            proba = proba / n_queries
        notes.append(f"the model's output is random: the query attacks average {n_queries} "
                     "queries; the output observer sees one draw")
    view = TableView(kind=adapter.kind, pred=pred.astype(float) if adapter.kind == "regression"
                     else pred, proba=proba, observed=obs, observed_proba=None if obs_proba is None
                     else np.asarray(obs_proba, dtype=float), labels=None, stochastic=stochastic)
    if adapter.kind == "classification":
        index = pd.Index(adapter.classes)
        view.pred_codes = index.get_indexer(pred.ravel()).reshape(n, k)
        view.observed_codes = index.get_indexer(obs)
        view.n_classes = len(index)
    if adapter.mean_outputs is not None:
        view.pred_mean = np.asarray(adapter.mean_outputs(big), dtype=float).reshape(n, k)
    trees = _trees(adapter.final) if Xt is not None else []
    if trees:
        try:
            leaves = np.asarray(adapter.final.apply(Xt)).reshape(n * k, -1)
            counts = np.zeros((n * k, len(adapter.classes)))
            for t, tree in enumerate(trees):
                counts += node_counts(tree.tree_)[leaves[:, t]]
            view.leaf_counts = counts.reshape(n, k, -1)
        except Exception as err:  # a tree the white-box attack cannot read
            notes.append(f"the white-box tree attack did not run: {type(err).__name__}: {err}")
    return view


def _slice(view, sl):
    from dataclasses import replace

    def cut(a):
        return None if a is None else a[sl]
    out = replace(view, pred=view.pred[sl], proba=cut(view.proba), observed=view.observed[sl],
                  observed_proba=cut(view.observed_proba), labels=cut(view.labels),
                  pred_codes=cut(view.pred_codes), observed_codes=cut(view.observed_codes),
                  leaf_counts=cut(view.leaf_counts), pred_mean=cut(view.pred_mean))
    return out


def _argmax(scores):
    return np.argmax(scores, axis=1)


def _learn(features_fit, truth_fit, k, random_state):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    if len(np.unique(truth_fit)) < 2:
        raise ValueError("the fit records hold a single sensitive value")
    if len(truth_fit) > MAX_LEARNED_RECORDS:
        pick = np.random.default_rng(random_state).choice(len(truth_fit), MAX_LEARNED_RECORDS,
                                                          replace=False)
        features_fit, truth_fit = features_fit[pick], truth_fit[pick]
    model = HistGradientBoostingClassifier(max_iter=30, learning_rate=0.15, max_leaf_nodes=15,
                                           min_samples_leaf=10, early_stopping=False,
                                           random_state=random_state)
    with threadpool_limits(1):
        model.fit(features_fit, truth_fit)

    def scores(features):
        with threadpool_limits(1):
            p = model.predict_proba(features)
        out = np.full((len(features), k), 1e-9)
        out[:, model.classes_.astype(int)] += p
        return np.log(out)
    return scores


def select_best(rows: pd.DataFrame) -> pd.DataFrame:
    """Per game, access and knowledge, the attack with the best selection-record success.

    Examples
    --------
    >>> rows = pd.DataFrame({"game": "g", "access": "output", "knowledge": "aux",
    ...                      "attack": ["a", "b"], "selection_success": [0.5, 0.6]})
    >>> select_best(rows)["attack"].tolist()
    ['b']
    """
    order = rows.sort_values("selection_success", ascending=False, kind="stable")
    return order.drop_duplicates(["game", "access", "knowledge"]).reset_index(drop=True)


def score_hits(hit, base_hits: dict, knowledge: str, confidence: float = 0.95) -> dict:
    """Success, the strongest no-model baseline at ``knowledge``, the advantage, with intervals.

    ``base_hits`` maps baseline names (keys of :data:`BASELINES`; a name outside them, such as
    a caller's own baseline, is always allowed) to their hits on the same targets; the prior
    baseline, if present, gives the prior-only figure.

    Parameters
    ----------
    hit : ndarray of bool
        Whether each target's guess is right.
    base_hits : dict of str to ndarray of bool
        The no-model baselines' hits on the same targets.
    knowledge : {"prior", "aux", "aux+label"}
        The attack's knowledge: the baselines it is measured against.
    confidence : float, default=0.95
        Confidence level of the Wilson and Newcombe intervals.

    Returns
    -------
    dict
        ``n, success, success_lo, success_hi, baseline, baseline_name, advantage,
        advantage_lo, advantage_hi, prior_baseline, prior_advantage, prior_advantage_lo,
        prior_advantage_hi``.

    Examples
    --------
    >>> hit = np.array([1, 1, 1, 0], bool)
    >>> base = {"prior": np.array([1, 0, 0, 0], bool), "aux": np.array([1, 1, 0, 0], bool)}
    >>> row = score_hits(hit, base, "aux+label")
    >>> row["baseline_name"], row["advantage"], row["prior_advantage"]
    ('aux', 0.25, 0.5)
    """
    allowed = {b: h for b, h in base_hits.items()
               if b not in BASELINES or _RANK[BASELINES[b][1]] <= _RANK[knowledge]}
    best = max(allowed, key=lambda b: allowed[b].mean())
    n = len(hit)
    lo, hi = wilson_interval(int(hit.sum()), n, confidence)
    adv, alo, ahi = paired_difference_interval(hit, allowed[best], confidence)
    prior = base_hits.get("prior", allowed[best])
    padv, plo, phi = paired_difference_interval(hit, prior, confidence)
    return dict(n=n, success=float(hit.mean()), success_lo=lo, success_hi=hi,
                baseline=float(allowed[best].mean()), baseline_name=best, advantage=adv,
                advantage_lo=alo, advantage_hi=ahi, prior_baseline=float(prior.mean()),
                prior_advantage=padv, prior_advantage_lo=plo, prior_advantage_hi=phi)


def play_batched(adapter, *, members: pd.DataFrame, nonmembers: pd.DataFrame | None,
                 aux: pd.DataFrame, sensitive: str, target: str, values=None, attacks="auto",
                 access="all", confidence: float = 0.95, random_state: int = 0,
                 n_queries: int = 8) -> GameResult:
    """Play every attack the model allows, at every allowed access level, in both games.

    Parameters
    ----------
    adapter : ModelAdapter
        The wrapped model (:func:`midlib.game.wrap_model` or
        :func:`midlib.game.wrap_task_model`).
    members : pandas.DataFrame
        The model's training records: the training-set game's targets.
    nonmembers : pandas.DataFrame or None
        Held-out records, never seen by the adversary: the distributional game's targets.
    aux : pandas.DataFrame
        The adversary's auxiliary records (with their sensitive values), disjoint from both.
    sensitive, target : str
        The sensitive column and the label column.
    values : array-like, default=None
        The candidate sensitive values; None takes the sorted values of all records.
    attacks : "auto" or list of str, default="auto"
        Keys of :data:`midlib.attacks.tabular.TABLE_ATTACKS`; "auto" plays all that apply.
    access : "all" or list of str, default="all"
        The access levels the deployment allows (of ``"output"``, ``"label-only"``,
        ``"black-box"``, ``"white-box"``).
    confidence : float, default=0.95
        Confidence level of the intervals.
    random_state : int, default=0
        Seeds the auxiliary split and the learned models.
    n_queries : int, default=8
        For a stochastic model: queries averaged by the query attacks.

    Returns
    -------
    GameResult

    Raises
    ------
    ValueError
        An unknown attack or access level, or auxiliary records without two values.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from midlib.game import wrap_model
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"s": rng.integers(0, 2, 900), "x": rng.normal(size=900)})
    >>> frame["y"] = (frame["s"] + rng.normal(0, 0.5, 900) > 0.5).astype(int)
    >>> model = LogisticRegression().fit(frame.loc[:299, ["s", "x"]], frame.loc[:299, "y"])
    >>> res = play_batched(wrap_model(model, frame, target="y"), members=frame[:300],
    ...                    nonmembers=frame[300:600], aux=frame[600:], sensitive="s", target="y")
    >>> best = res.best.set_index(["game", "access", "knowledge"])
    >>> bool(best.loc[("distributional", "output", "aux"), "advantage"] > 0.1)
    True
    """
    from midlib.attacks.tabular import TABLE_ATTACKS, attack_access, available_table_attacks

    allowed = list(ACCESS_LEVELS) if access == "all" else list(access)
    bad = [a for a in allowed if a not in ACCESS_LEVELS]
    if bad:
        raise ValueError(f"unknown access levels {bad}; choose from {list(ACCESS_LEVELS)}")
    notes = []
    frames = {"training-set": members, **({"distributional": nonmembers}
                                           if nonmembers is not None and len(nonmembers) else {})}
    if values is None:
        values = np.sort(pd.unique(pd.concat([f[sensitive] for f in [aux, *frames.values()]])))
    values = np.asarray(values)
    k = len(values)
    rng = np.random.default_rng(random_state)
    aux = aux.reset_index(drop=True)
    if len(aux) >= 40:
        perm = rng.permutation(len(aux))
        fit_rec, sel_rec = aux.iloc[perm[: len(aux) // 2]], aux.iloc[perm[len(aux) // 2:]]
        selection = "held-out half of the auxiliary records"
    else:
        fit_rec = sel_rec = aux
        selection = "the auxiliary records themselves (too few to hold some out)"
        notes.append(f"only {len(aux)} auxiliary records: attacks are tuned and chosen on the "
                     "records they were fitted on")
    targets = pd.concat(list(frames.values()), ignore_index=True)
    parts = [fit_rec] + ([] if sel_rec is fit_rec else [sel_rec])
    codes = lambda f: pd.Index(values).get_indexer(f[sensitive].to_numpy())  # noqa: E731
    part_codes = [codes(p) for p in parts]
    known = [c for c in adapter.features if c != sensitive]
    post = {}
    for level, cols in (("aux", known), ("aux+label", known + [target])):
        folds, tpost = cross_fit(parts, part_codes, cols, k, targets, random_state)
        post[level] = {"fit": folds[0], "sel": folds[-1], "targets": tpost}
    prior = smoothed_prior(np.concatenate(part_codes), k)
    post["prior"] = {name: np.tile(prior, (len(p), 1)) for name, p in
                     (("fit", fit_rec), ("sel", sel_rec), ("targets", targets))}

    rows_all = pd.concat(parts + [targets], ignore_index=True)
    truth_all = codes(rows_all)
    view = _query(adapter, rows_all, sensitive, values, truth_all, n_queries, notes)
    labels = adapter.labels(rows_all, target)
    if adapter.kind == "classification":
        labels = pd.Index(adapter.classes).get_indexer(labels)
    view.labels = labels if adapter.kind == "classification" else labels.astype(float)
    nf, ns = len(fit_rec), (0 if sel_rec is fit_rec else len(sel_rec))
    views = {"fit": _slice(view, slice(0, nf)),
             "sel": _slice(view, slice(0, nf) if ns == 0 else slice(nf, nf + ns)),
             "targets": _slice(view, slice(nf + ns, None))}
    truth = {"fit": part_codes[0], "sel": part_codes[-1], "targets": codes(targets)}
    constant = bool(np.all(view.pred == view.pred[:, :1])) and (
        view.proba is None or bool(np.allclose(view.proba, view.proba[:, :1])))
    if constant:
        notes.append("the model's output does not change with the sensitive value on any "
                     "audited record: no attack can beat the no-model guess")

    names = available_table_attacks(adapter.kind, adapter.has_proba, view.leaf_counts is not None)
    if adapter.mean_outputs is not None and adapter.kind == "regression":
        names.insert(names.index("csmia"), "map_mean")
    if attacks != "auto":
        unknown = [a for a in attacks if a not in names]
        if unknown:
            raise ValueError(f"attacks {unknown} do not apply to this model; choose from {names}")
        names = list(attacks)
    names = [a for a in names if attack_access(a, adapter.kind) in allowed]

    evidence, scores = {}, {}
    for name in names:
        spec = TABLE_ATTACKS[name]
        if spec.learned:
            continue
        try:
            v = {s: (_mean_view(views[s]) if name == "map_mean" else views[s]) for s in views}
            params = spec.fit(v["fit"], truth["fit"])
            evidence[name] = {s: np.nan_to_num(spec.evidence(v[s], params), nan=0.0,
                                               neginf=-1e12) for s in views}
        except Exception as err:  # an attack that cannot run on these data says so
            notes.append(f"{spec.label} did not run: {type(err).__name__}: {err}")
    weights = {}
    for name, ev in evidence.items():
        for level in TABLE_ATTACKS[name].knowledge:
            logp = {s: np.log(post[level][s]) for s in ("sel", "targets")}
            acc = [np.mean(_argmax(logp["sel"] + w * ev["sel"]) == truth["sel"]) for w in WEIGHTS]
            w = WEIGHTS[int(np.argmax(acc))]
            weights[(name, level)] = (w, float(max(acc)))
            scores[(name, level)] = {s: logp[s] + w * ev[s] for s in ("sel", "targets")}
            # the published rule itself (the posterior only breaks its ties): it shows what
            # the attack finds on members that held-out records cannot tune it for
            rule = {s: logp[s] + RULE_WEIGHT * ev[s] for s in ("sel", "targets")}
            weights[(f"{name}{RULE}", level)] = (
                RULE_WEIGHT, float(np.mean(_argmax(rule["sel"]) == truth["sel"])))
            scores[(f"{name}{RULE}", level)] = rule
    for name in [n for n in names if TABLE_ATTACKS[n].learned]:
        use = [a for a in evidence if (TABLE_ATTACKS[a].access != "output" or name ==
                                       "learned_output")
               and attack_access(a, adapter.kind) != "white-box"]
        if name == "learned_output" and not any(TABLE_ATTACKS[a].access == "output" for a in use):
            continue
        try:
            feats = {s: np.column_stack([np.log(post["aux+label"][s])] +
                                        [np.clip(evidence[a][s], -50, 50) for a in use])
                     for s in views}
            learned = _learn(feats["fit"], truth["fit"], k, random_state)
            scores[(name, "aux+label")] = {s: learned(feats[s]) for s in ("sel", "targets")}
        except Exception as err:
            notes.append(f"{TABLE_ATTACKS[name].label} did not run: {type(err).__name__}: {err}")
    for key, sc in scores.items():
        if key not in weights:
            weights[key] = (np.nan, float(np.mean(_argmax(sc["sel"]) == truth["sel"])))

    imputed = {b: _argmax(post[b]["targets"]) for b in BASELINES}
    offsets, start = {}, 0
    for game, f in frames.items():
        offsets[game] = slice(start, start + len(f))
        start += len(f)
    results, base_rows, guesses = [], [], {}
    for game, sl in offsets.items():
        t = truth["targets"][sl]
        base_hits = {b: imputed[b][sl] == t for b in BASELINES}
        for b, h in base_hits.items():
            lo, hi = wilson_interval(int(h.sum()), len(h), confidence)
            base_rows.append(dict(game=game, baseline=b, label=BASELINES[b][0],
                                  knowledge=BASELINES[b][1], n=len(h), success=float(h.mean()),
                                  success_lo=lo, success_hi=hi))
        for (name, level), sc in scores.items():
            if constant:   # nothing to learn from the model: the strongest no-model guess
                ok = [b for b in BASELINES if _RANK[BASELINES[b][1]] <= _RANK[level]]
                g = imputed[max(ok, key=lambda b: base_hits[b].mean())][sl]
            else:
                g = _argmax(sc["targets"][sl])
            guesses[(game, name, level)] = (t, g)
            base_name = name[: -len(RULE)] if name.endswith(RULE) else name
            spec = TABLE_ATTACKS[base_name]
            label = spec.label + (" (its own rule)" if name.endswith(RULE) else "")
            results.append(dict(game=game, attack=name, label=label,
                                access=attack_access(base_name, adapter.kind), knowledge=level,
                                **score_hits(g == t, base_hits, level, confidence),
                                weight=weights[(name, level)][0],
                                selection_success=weights[(name, level)][1]))
    results = pd.DataFrame(results)
    if results.empty:
        raise ValueError("no attack could be played on this model and these records: "
                         + "; ".join(notes))
    best = select_best(results)
    ladder = _ladder(results, best, pd.DataFrame(base_rows), evidence, post, truth, offsets,
                     confidence, len(aux))
    info = dict(values=values.tolist(), n_aux=len(aux), n_fit=len(fit_rec),
                n_selection=len(sel_rec), selection=selection, stochastic=view.stochastic,
                constant=constant, attacks=names)
    return GameResult(results, best, ladder, pd.DataFrame(base_rows), guesses, notes, info)


def _mean_view(view):
    from dataclasses import replace

    return replace(view, pred=view.pred_mean)


def _ladder(results, best, baselines, evidence, post, truth, offsets, confidence, n_aux):
    """prior <= imputation <= best attack <= plug-in Bayes value <= information ceiling."""
    rows = []
    out_ev = evidence.get("output", evidence.get("output_label"))
    for game, sl in offsets.items():
        b = baselines[baselines["game"] == game].set_index("baseline")
        r = results[(results["game"] == game) & (results["knowledge"] == "aux+label")]
        few = n_aux < FEW_RECORDS or (sl.stop - sl.start) < FEW_RECORDS
        flag = " (plug-in estimate from few records: read with care)" if few else " (plug-in)"

        def add(rung, s, lo, hi, note, information=np.nan):
            rows.append(dict(game=game, rung=rung, success=float(s), success_lo=float(lo),
                             success_hi=float(hi), information=float(information), note=note))
        add("prior", *b.loc["prior", ["success", "success_lo", "success_hi"]],
            "the most frequent value")
        imp = r["baseline"].max() if len(r) else b.loc["aux+label", "success"]
        bi = b.loc[b["success"].idxmax()]
        add("imputation", bi["success"], bi["success_lo"], bi["success_hi"],
            "the strongest no-model guess with the same knowledge")
        sel = best[(best["game"] == game) & (best["knowledge"] == "aux+label")]
        for access in ("output", None):
            pick = sel[sel["access"] == "output"] if access else sel
            if not len(pick):
                continue
            top = pick.loc[pick["advantage"].idxmax()]
            add("best attack (output)" if access else "best attack (any access)", top["success"],
                top["success_lo"], top["success_hi"], f"{top['label']}, chosen on held-out "
                "auxiliary records" + ("" if access else f"; access {top['access']}"))
        if out_ev is not None:
            p = _softmax(np.log(post["aux+label"]["targets"][sl]) + out_ev["targets"][sl])
            add("Bayes (output)", *mean_interval(p.max(axis=1), confidence),
                "expected success of the Bayes rule under the imputation posterior and the "
                "output's likelihood" + flag)
            info = entropy(post["aux+label"]["targets"][sl]) - entropy(p)
            m, lo, hi = mean_interval(np.maximum(info, 0), confidence)
            s = lambda i: float(min(1.0, imp + np.sqrt(max(i, 0) / 2)))  # noqa: E731
            add("ceiling (output)", s(m), s(lo), s(hi), f"imputation + sqrt(I/2), I(s; output "
                f"| other columns, label) = {m:.4f} nats" + flag, information=m)
    return pd.DataFrame(rows)
