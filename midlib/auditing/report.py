"""Scoring an audit's guesses, and the :class:`AuditReport` (terminal table, JSON, HTML)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from midlib.auditing.attacks import ATTACKS, BASELINES
from midlib.leakage import conditional_mutual_information, pinsker_bound
from midlib.stats import paired_difference_interval, summarize, wilson_interval

__all__ = ["AuditReport", "score_game", "knowledge_table", "summarize_seeds", "per_value_table", "plugin_leakage",
           "unpaired_difference_interval", "SCHEMA"]

#: The ``schema`` key of :meth:`AuditReport.to_dict`; it changes when the keys change.
SCHEMA = "midlib.audit/1"


def unpaired_difference_interval(p1, lo1, hi1, p2, lo2, hi2) -> tuple[float, float, float]:
    """Newcombe's (1998, method 10) interval of the difference of two independent proportions.

    Parameters
    ----------
    p1, lo1, hi1 : float
        The first proportion and its (Wilson) interval.
    p2, lo2, hi2 : float
        The second proportion and its interval.

    Returns
    -------
    diff, lo, hi : float
        ``p1 - p2`` and its interval, within [-1, 1].

    Examples
    --------
    >>> [round(v, 3) for v in unpaired_difference_interval(0.6, 0.5, 0.7, 0.5, 0.4, 0.6)]
    [0.1, -0.041, 0.241]
    """
    d = p1 - p2
    lo = d - math.sqrt((p1 - lo1) ** 2 + (hi2 - p2) ** 2)
    hi = d + math.sqrt((hi1 - p1) ** 2 + (p2 - lo2) ** 2)
    return float(d), float(max(lo, -1.0)), float(min(hi, 1.0))


def score_game(hits: dict, base_hits: dict, confidence: float = 0.95) -> pd.DataFrame:
    """One row per attack: success, the strongest same-knowledge baseline, the advantage.

    Parameters
    ----------
    hits : dict of str to ndarray of bool
        Per attack (keys of :data:`~midlib.auditing.attacks.ATTACKS`): whether each target's
        guess is right.
    base_hits : dict of str to ndarray of bool
        The same for the no-model baselines (keys of
        :data:`~midlib.auditing.attacks.BASELINES`).
    confidence : float, default=0.95
        Confidence level of the Wilson and Newcombe intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``attack, knowledge, access, n, success, success_lo, success_hi, baseline,
        baseline_name, advantage, advantage_lo, advantage_hi, prior_baseline,
        prior_advantage, prior_advantage_lo, prior_advantage_hi``.

    Examples
    --------
    >>> hits = {"map": np.array([1, 1, 1, 0], bool)}
    >>> base = {"prior": np.array([1, 0, 0, 0], bool), "aux": np.array([1, 1, 0, 0], bool)}
    >>> row = score_game(hits, base).iloc[0]
    >>> row["baseline_name"], row["advantage"], row["prior_advantage"]
    ('aux', np.float64(0.25), np.float64(0.5))
    """
    rank = {"prior": 0, "aux": 1, "aux+label": 2}
    rows = []
    for name, h in hits.items():
        _, knowledge, access = ATTACKS[name]
        allowed = {b: v for b, v in base_hits.items() if rank[BASELINES[b][1]] <= rank[knowledge]}
        best = max(allowed, key=lambda b: allowed[b].mean())
        n = len(h)
        lo, hi = wilson_interval(int(h.sum()), n, confidence)
        adv, alo, ahi = paired_difference_interval(h, allowed[best], confidence)
        padv, plo, phi = paired_difference_interval(h, base_hits["prior"], confidence)
        rows.append(dict(attack=name, knowledge=knowledge, access=access, n=n,
                         success=h.mean(), success_lo=lo, success_hi=hi,
                         baseline=allowed[best].mean(), baseline_name=best,
                         advantage=adv, advantage_lo=alo, advantage_hi=ahi,
                         prior_baseline=base_hits["prior"].mean(), prior_advantage=padv,
                         prior_advantage_lo=plo, prior_advantage_hi=phi))
    return pd.DataFrame(rows)


def knowledge_table(hits: dict, base_hits: dict, confidence: float = 0.95) -> pd.DataFrame:
    """Each attack's advantage over the strongest no-model baseline at each knowledge level.

    The baseline at level ``"aux"`` is the better of the prior and the imputation from the
    other columns; at ``"aux+label"`` the best of all three. The advantage shrinks as the
    baseline knows more; the attacks themselves know ``"aux+label"``.

    Parameters
    ----------
    hits : dict of str to ndarray of bool
        Per attack: whether each target's guess is right.
    base_hits : dict of str to ndarray of bool
        The same for the no-model baselines ``"prior"``, ``"aux"``, ``"aux+label"``.
    confidence : float, default=0.95
        Confidence level of Newcombe's paired intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``attack, knowledge, baseline_name, baseline, advantage, advantage_lo,
        advantage_hi``.

    Examples
    --------
    >>> hits = {"map": np.array([1, 1, 1, 0], bool)}
    >>> base = {"prior": np.array([1, 0, 0, 0], bool), "aux": np.array([1, 1, 0, 0], bool),
    ...         "aux+label": np.array([1, 1, 0, 0], bool)}
    >>> knowledge_table(hits, base)["advantage"].tolist()
    [0.5, 0.25, 0.25]
    """
    levels = ["prior", "aux", "aux+label"]
    rows = []
    for name, h in hits.items():
        for i, level in enumerate(levels):
            allowed = {b: base_hits[b] for b in levels[:i + 1] if b in base_hits}
            best = max(allowed, key=lambda b: allowed[b].mean())
            adv, lo, hi = paired_difference_interval(h, allowed[best], confidence)
            rows.append(dict(attack=name, knowledge=level, baseline_name=best,
                             baseline=allowed[best].mean(), advantage=adv, advantage_lo=lo,
                             advantage_hi=hi))
    return pd.DataFrame(rows)


def summarize_seeds(per_seed: pd.DataFrame, by, confidence: float = 0.95) -> pd.DataFrame:
    """Average per-seed rows; with one seed keep its own (Wilson, Newcombe) intervals.

    With several seeds (which redraw the auxiliary records, not the targets) each interval is
    the wider of the t-interval over the seeds and the average of the per-seed intervals.

    Parameters
    ----------
    per_seed : pandas.DataFrame
        Rows with a ``seed`` column and the ``by`` columns.
    by : list of str
        The grouping columns.
    confidence : float, default=0.95
        Confidence level of the t-intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group, the columns of ``per_seed`` but ``seed``, plus ``seeds``.

    Examples
    --------
    >>> df = pd.DataFrame({"seed": [0], "game": ["g"], "success": [0.5], "success_lo": [0.4],
    ...                    "success_hi": [0.6]})
    >>> summarize_seeds(df, ["game"])["success_lo"].tolist()
    [0.4]
    """
    if per_seed["seed"].nunique() == 1:
        return per_seed.drop(columns="seed").assign(seeds=1).reset_index(drop=True)
    metrics = [c for c in per_seed.columns if pd.api.types.is_float_dtype(per_seed[c])
               and not c.endswith(("_lo", "_hi"))]
    out = summarize(per_seed, by=by, confidence=confidence, metrics=metrics)
    out = out[[c for c in out.columns if not c.endswith(("_std", "_sem"))]]
    # the seeds redraw the auxiliary records, not the targets: keep the targets' own
    # sampling uncertainty (the per-seed intervals, averaged) when it is the wider
    own = [m for m in metrics if f"{m}_lo" in per_seed.columns]
    if own:
        means = per_seed.groupby(by, sort=False)[[f"{m}_{e}" for m in own for e in ("lo", "hi")]]
        means = means.mean().reset_index().rename(columns=lambda c: c if c in by else f"own_{c}")
        out = out.merge(means, on=by, how="left")
        for m in own:
            out[f"{m}_lo"] = np.fmin(out[f"{m}_lo"], out[f"own_{m}_lo"])
            out[f"{m}_hi"] = np.fmax(out[f"{m}_hi"], out[f"own_{m}_hi"])
        out = out.drop(columns=[c for c in out.columns if c.startswith("own_")])
    first = per_seed.drop_duplicates(by)
    keep = [c for c in per_seed.columns if c not in out.columns and c != "seed"
            and not pd.api.types.is_float_dtype(per_seed[c])]
    return out.merge(first[by + [c for c in keep if c not in by]], on=by, how="left")


def per_value_table(truth, guess, values) -> pd.DataFrame:
    """Per sensitive value: how many targets have it, precision and recall of the guesses.

    Parameters
    ----------
    truth : array-like of shape (n,)
        The true values' indices into ``values``.
    guess : array-like of shape (n,)
        The guesses' indices.
    values : array-like of shape (k,)
        The candidate values.

    Returns
    -------
    pandas.DataFrame
        Columns ``value, support, guessed, precision, recall`` (precision NaN for a value
        never guessed).

    Examples
    --------
    >>> per_value_table([0, 0, 1], [0, 1, 1], ["a", "b"])["recall"].tolist()
    [0.5, 1.0]
    """
    truth, guess = np.asarray(truth), np.asarray(guess)
    rows = []
    for j, v in enumerate(values):
        t, g = truth == j, guess == j
        tp = int((t & g).sum())
        rows.append(dict(value=v, support=int(t.sum()), guessed=int(g.sum()),
                         precision=tp / g.sum() if g.any() else np.nan,
                         recall=tp / t.sum() if t.any() else np.nan))
    return pd.DataFrame(rows)


def plugin_leakage(secret, output, label, regression: bool, bins: int = 10) -> dict:
    """Plug-in I(X_s; Yhat | A) with A the label, and its bound sqrt(I / 2) on an advantage.

    Regression outputs and labels are cut into ``bins`` quantile bins. The plug-in estimate
    is biased upwards on small samples; the bound holds for an adversary who sees the model's
    output on the true record and the label (Pinsker), and is shown beside the measured
    advantage of the query attacks for reference.

    Parameters
    ----------
    secret : array-like of shape (n,)
        The sensitive values.
    output : array-like of shape (n,)
        The model's output on the true records.
    label : array-like of shape (n,)
        The true labels.
    regression : bool
        Whether outputs and labels are continuous (then binned).
    bins : int, default=10
        Quantile bins for continuous values.

    Returns
    -------
    dict
        ``cmi_nats`` and ``bound`` (floats), ``bins`` (int or None).

    Examples
    --------
    >>> out = plugin_leakage([0, 1, 0, 1], [0, 1, 0, 1], [0, 0, 0, 0], regression=False)
    >>> round(out["cmi_nats"], 4), round(out["bound"], 3)
    (0.6931, 0.589)
    """
    def codes(x):
        x = np.asarray(x)
        if regression:
            x = pd.qcut(pd.Series(x, dtype=float).rank(method="first"), bins, labels=False,
                        duplicates="drop").to_numpy()
        return pd.factorize(pd.Series(x).astype(str))[0]

    s = pd.factorize(pd.Series(np.asarray(secret)).astype(str))[0]
    o, a = codes(output), codes(label)
    joint = np.zeros((s.max() + 1, a.max() + 1, o.max() + 1))
    np.add.at(joint, (s, a, o), 1.0)
    cmi = float(conditional_mutual_information(joint / joint.sum()))
    return {"cmi_nats": cmi, "bound": float(pinsker_bound(cmi)),
            "bins": bins if regression else None}


def _clean(x):
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.floating, float)):
        return None if not np.isfinite(x) else float(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.ndarray):
        return _clean(x.tolist())
    return x


def _records(df):
    return [] if df is None else _clean(df.to_dict(orient="records"))


@dataclass
class AuditReport:
    """What :func:`midlib.audit` measured: attacks, baselines, leakage and the headline.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per game and attack (see :func:`score_game`), plus ``game`` and ``seeds``.
    baselines : pandas.DataFrame
        One row per game and no-model baseline: ``success`` with its Wilson interval.
    per_value : pandas.DataFrame
        Per game, attack and sensitive value: support, precision, recall (pooled over seeds).
    leakage : dict
        Per game: the plug-in I(X_s; Yhat | label) (``cmi_nats``) and ``bound`` sqrt(I / 2).
    gap : pandas.DataFrame
        Per attack: training-set minus distributional success, with Newcombe's interval.
    headline : dict
        The largest advantage of an attack over the strongest no-model baseline with the same
        knowledge, in the training-set game: ``attack, game, advantage, advantage_lo,
        advantage_hi, baseline_name, prior_advantage``.
    info : dict
        The model, task, columns, record counts, seeds, confidence, warnings, seconds.
    per_seed : pandas.DataFrame, default=None
        The rows of ``results`` for each seed.
    by_knowledge : pandas.DataFrame, default=None
        Per game and attack, the advantage over the strongest baseline at each knowledge level
        (see :func:`knowledge_table`).

    Examples
    --------
    >>> report = AuditReport(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, pd.DataFrame(),
    ...                      {"advantage_hi": 0.02}, {})
    >>> report.exceeds(0.05)
    False
    """

    results: pd.DataFrame
    baselines: pd.DataFrame
    per_value: pd.DataFrame
    leakage: dict
    gap: pd.DataFrame
    headline: dict
    info: dict
    per_seed: pd.DataFrame | None = field(default=None, repr=False)
    by_knowledge: pd.DataFrame | None = field(default=None, repr=False)

    def exceeds(self, budget: float) -> bool:
        """Whether the headline advantage's upper confidence limit is above ``budget``.

        Parameters
        ----------
        budget : float
            The largest acceptable advantage.

        Returns
        -------
        bool
            True if the upper limit exceeds the budget (a CI gate fails).

        Examples
        --------
        >>> r = AuditReport(*[pd.DataFrame()] * 3, {}, pd.DataFrame(), {"advantage_hi": 0.1}, {})
        >>> r.exceeds(0.05)
        True
        """
        return bool(self.headline.get("advantage_hi", 0.0) > budget)

    def to_dict(self) -> dict:
        """The report as plain JSON-ready values with stable keys (NaN becomes None).

        Returns
        -------
        dict
            Keys ``schema, headline, results, baselines, by_knowledge, per_value, leakage,
            gap, info``.

        Examples
        --------
        >>> r = AuditReport(*[pd.DataFrame()] * 3, {}, pd.DataFrame(), {}, {})
        >>> sorted(r.to_dict())
        ['baselines', 'by_knowledge', 'gap', 'headline', 'info', 'leakage', 'per_value', 'results', 'schema']
        """
        return {"schema": SCHEMA, "headline": _clean(self.headline),
                "results": _records(self.results), "baselines": _records(self.baselines),
                "by_knowledge": _records(self.by_knowledge),
                "per_value": _records(self.per_value), "leakage": _clean(self.leakage),
                "gap": _records(self.gap), "info": _clean(self.info)}

    def to_json(self, indent: int = 2) -> str:
        """The report as JSON text (see :meth:`to_dict`).

        Parameters
        ----------
        indent : int, default=2
            Indentation.

        Returns
        -------
        str
            The JSON text.

        Examples
        --------
        >>> r = AuditReport(*[pd.DataFrame()] * 3, {}, pd.DataFrame(), {}, {})
        >>> json.loads(r.to_json())["schema"]
        'midlib.audit/1'
        """
        return json.dumps(self.to_dict(), indent=indent, default=str)

    def to_html(self) -> str:
        """A self-contained HTML page (tables and figures embedded as PNG).

        Returns
        -------
        str
            The page.

        Examples
        --------
        >>> callable(AuditReport.to_html)
        True
        """
        from midlib.auditing.render import audit_html

        return audit_html(self)

    def to_text(self) -> str:
        """The terminal table: the headline, each attack beside its baseline, the leakage.

        Returns
        -------
        str
            The text.

        Examples
        --------
        >>> callable(AuditReport.to_text)
        True
        """
        from midlib.auditing.render import audit_text

        return audit_text(self)

    def __str__(self):
        return self.to_text()
