"""Scoring an audit's guesses, and the :class:`AuditReport` (terminal table, JSON, HTML)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from midlib.stats import summarize

__all__ = ["AuditReport", "summarize_seeds", "per_value_table", "unpaired_difference_interval",
           "SCHEMA", "GATE_EXIT"]

#: The ``schema`` key of :meth:`AuditReport.to_dict`; it changes when the keys change.
SCHEMA = "midlib.audit/2"
#: The command line's exit status for each gate decision.
GATE_EXIT = {"PASS": 0, "FAIL": 3, "INCONCLUSIVE": 4}


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
    """What :func:`midlib.audit` measured: attacks, baselines, the ladder and the headline.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per game, attack and knowledge (see :class:`midlib.game.GameResult`), plus
        ``seeds``.
    baselines : pandas.DataFrame
        One row per game and no-model baseline: ``success`` with its Wilson interval.
    per_value : pandas.DataFrame
        Per game, attack, knowledge and sensitive value: support, precision, recall.
    leakage : dict
        Per game: the plug-in I(sensitive; output | other columns, label) (``cmi_nats``), its
        bound sqrt(I / 2) on the output observer's advantage, and that advantage.
    gap : pandas.DataFrame
        Per attack: training-set minus distributional success, with Newcombe's interval.
    headline : dict
        The worst case over the access levels: the largest advantage, in the training-set
        game, of the attack chosen on held-out auxiliary records at each access level, over
        the strongest no-model baseline with the same knowledge.
    info : dict
        The model, task, columns, record counts, seeds, confidence, notes, seconds.
    per_seed : pandas.DataFrame, default=None
        The rows of ``results`` for each seed.
    best : pandas.DataFrame, default=None
        Per game, access and knowledge: the attack chosen on held-out auxiliary records.
    ladder : pandas.DataFrame, default=None
        Per game: prior <= imputation <= best attack <= plug-in Bayes value <= ceiling.

    Examples
    --------
    >>> report = AuditReport(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), {}, pd.DataFrame(),
    ...                      {"advantage": 0.0, "advantage_lo": -0.01, "advantage_hi": 0.02,
    ...                       "n": 1000}, {})
    >>> report.gate(0.05)["decision"]
    'PASS'
    """

    results: pd.DataFrame
    baselines: pd.DataFrame
    per_value: pd.DataFrame
    leakage: dict
    gap: pd.DataFrame
    headline: dict
    info: dict
    per_seed: pd.DataFrame | None = field(default=None, repr=False)
    best: pd.DataFrame | None = field(default=None, repr=False)
    ladder: pd.DataFrame | None = field(default=None, repr=False)

    def gate(self, budget: float) -> dict:
        """Decide whether the headline advantage is within ``budget``: PASS, FAIL or INCONCLUSIVE.

        PASS when the whole interval lies at or below the budget, FAIL when it lies above,
        INCONCLUSIVE when it straddles the budget; then ``records_needed`` is about how many
        members would narrow the interval enough to decide (the half-width shrinks as
        1/sqrt(n)).

        Parameters
        ----------
        budget : float
            The largest acceptable advantage, in [0, 1].

        Returns
        -------
        dict
            ``decision, budget, advantage, advantage_lo, advantage_hi, reason,
            records_needed`` (None unless INCONCLUSIVE), ``exit_status`` (0, 3 or 4).

        Raises
        ------
        ValueError
            ``budget`` is not a number in [0, 1].

        Examples
        --------
        >>> r = AuditReport(*[pd.DataFrame()] * 3, {}, pd.DataFrame(), {"advantage": 0.05,
        ...     "advantage_lo": 0.02, "advantage_hi": 0.08, "n": 1000}, {})
        >>> g = r.gate(0.05)
        >>> g["decision"], g["exit_status"], g["records_needed"] is None
        ('INCONCLUSIVE', 4, True)
        >>> r.gate(0.01)["decision"], r.gate(0.1)["decision"]
        ('FAIL', 'PASS')
        """
        if isinstance(budget, bool) or not isinstance(budget, (int, float, np.floating)) \
                or not np.isfinite(budget) or not 0 <= budget <= 1:
            raise ValueError(f"the budget is an advantage, a number in [0, 1]; got {budget!r}")
        h = self.headline
        adv, lo, hi = (float(h.get(k, 0.0)) for k in ("advantage", "advantage_lo", "advantage_hi"))
        need = None
        if hi <= budget:
            decision = "PASS"
            reason = (f"the upper limit {hi:+.3f} of the advantage is within the budget {budget}")
            if any("does not read the sensitive column" in n for n in self.info.get("notes", [])):
                reason += "; the model does not read the sensitive column"
        elif lo > budget:
            decision, reason = "FAIL", f"the lower limit {lo:+.3f} is above the budget {budget}"
        else:
            decision = "INCONCLUSIVE"
            reason = (f"the interval [{lo:+.3f}, {hi:+.3f}] straddles the budget {budget}")
            half, gap = (hi - lo) / 2, abs(adv - budget)
            if gap > 1e-9 and h.get("n"):
                need = int(np.ceil(int(h["n"]) * (half / gap) ** 2))
                reason += f": about {need} member records would decide it"
            else:
                reason += ": the estimate sits on the budget; no sample size decides it"
        return dict(decision=decision, budget=float(budget), advantage=adv, advantage_lo=lo,
                    advantage_hi=hi, reason=reason, records_needed=need,
                    exit_status=GATE_EXIT[decision])

    def exceeds(self, budget: float) -> bool:
        """Whether the gate at ``budget`` does not pass (FAIL or INCONCLUSIVE).

        Parameters
        ----------
        budget : float
            The largest acceptable advantage.

        Returns
        -------
        bool
            True unless :meth:`gate` says PASS.

        Examples
        --------
        >>> r = AuditReport(*[pd.DataFrame()] * 3, {}, pd.DataFrame(), {"advantage": 0.1,
        ...     "advantage_lo": 0.08, "advantage_hi": 0.12, "n": 100}, {})
        >>> r.exceeds(0.05)
        True
        """
        return self.gate(budget)["decision"] != "PASS"

    def to_dict(self) -> dict:
        """The report as plain JSON-ready values with stable keys (NaN becomes None).

        Returns
        -------
        dict
            Keys ``schema, headline, ladder, best, results, baselines, per_value, leakage,
            gap, info``.

        Examples
        --------
        >>> r = AuditReport(*[pd.DataFrame()] * 3, {}, pd.DataFrame(), {}, {})
        >>> sorted(r.to_dict())
        ['baselines', 'best', 'gap', 'headline', 'info', 'ladder', 'leakage', 'per_value', 'results', 'schema']
        """
        return {"schema": SCHEMA, "headline": _clean(self.headline),
                "ladder": _records(self.ladder), "best": _records(self.best),
                "results": _records(self.results), "baselines": _records(self.baselines),
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
        'midlib.audit/2'
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
