"""The audit report as a terminal table and as a self-contained HTML page (PNG figures inline)."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from midlib.game import BASELINES

__all__ = ["audit_text", "audit_html", "figure_png", "page"]


def _ci(x, lo, hi):
    return f"{x:+.3f} [{lo:+.3f}, {hi:+.3f}]"


def _pct(x, lo, hi):
    return f"{x:.3f} [{lo:.3f}, {hi:.3f}]"


def _results_table(report, rows=None) -> pd.DataFrame:
    r = report.results if rows is None else rows
    return pd.DataFrame({
        "game": r["game"], "attack": r["label"], "access": r["access"],
        "knowledge": r["knowledge"], "n": r["n"],
        "success [CI]": [_pct(*v) for v in zip(r["success"], r["success_lo"], r["success_hi"])],
        "strongest baseline": [f"{b:.3f} ({n})" for b, n in zip(r["baseline"], r["baseline_name"])],
        "advantage [CI]": [_ci(*v) for v in zip(r["advantage"], r["advantage_lo"],
                                                  r["advantage_hi"])],
        "vs prior only [CI]": [_ci(*v) for v in zip(r["prior_advantage"], r["prior_advantage_lo"],
                                                      r["prior_advantage_hi"])]})


def _baseline_table(report) -> pd.DataFrame:
    b = report.baselines
    return pd.DataFrame({"game": b["game"], "baseline": [BASELINES[x][0] for x in b["baseline"]],
                         "knowledge": b["knowledge"],
                         "success [CI]": [_pct(*v) for v in zip(b["success"], b["success_lo"],
                                                                  b["success_hi"])]})


def _ladder_table(report) -> pd.DataFrame:
    d = report.ladder
    return pd.DataFrame({"game": d["game"], "rung": d["rung"],
                         "success [CI]": [_pct(*v) for v in zip(d["success"], d["success_lo"],
                                                                  d["success_hi"])],
                         "what it is": d["note"]})


def _headline_line(report) -> str:
    h = report.headline
    return (f"HEADLINE advantage {_ci(h['advantage'], h['advantage_lo'], h['advantage_hi'])} "
            f"of {h['label']} (access {h['access']}; the worst case over the access levels) "
            f"over the strongest no-model baseline with the same knowledge "
            f"({BASELINES[h['baseline_name']][0]}), {h['game']} game; over the prior guess only: "
            f"{_ci(h['prior_advantage'], h['prior_advantage_lo'], h['prior_advantage_hi'])}")


def _gate_line(report) -> str | None:
    budget = report.info.get("budget")
    if budget is None:
        return None
    g = report.gate(budget)
    return f"GATE {g['decision']} at budget {budget}: {g['reason']}"


def _leak_lines(report) -> list[str]:
    out = []
    for game, d in report.leakage.items():
        out.append(f"{game}: plug-in I(sensitive; output | other columns, label) = "
                   f"{d['cmi_nats']:.4f} nats, bound sqrt(I/2) = {d['bound']:.3f} on the output "
                   f"observer's advantage; measured {d['measured_advantage']:+.3f}")
    return out


def audit_text(report) -> str:
    """The report as text for a terminal.

    Parameters
    ----------
    report : AuditReport
        The audit's report.

    Returns
    -------
    str
        The headline, the attacks, the baselines, the leakage, the gap and per-value recall.

    Examples
    --------
    >>> callable(audit_text)
    True
    """
    i = report.info
    conf = int(round(100 * i["confidence"]))
    lines = [f"midlib audit: {i['model']} ({i['kind']}); sensitive {i['sensitive']!r} "
             f"({len(i['values'])} values), target {i['target']!r}",
             f"records: {i['n_members']} members, {i['n_nonmembers']} non-members, {i['n_aux']} "
             f"auxiliary; {i['n_seeds']} seed(s); {conf}% intervals; {i['seconds']:.1f} s",
             "", _headline_line(report)]
    if _gate_line(report):
        lines += [_gate_line(report)]
    lines += ["", "the ladder (prior <= imputation <= best attack <= Bayes value <= ceiling):",
              _ladder_table(report).to_string(index=False), "",
              "the attack chosen at each access level and knowledge (on held-out auxiliary "
              "records):", _results_table(report, report.best).to_string(index=False), "",
              "every attack:", _results_table(report).to_string(index=False), "",
              "no-model baselines:", _baseline_table(report).to_string(index=False), "",
              "leakage (the bound holds for an adversary who sees the output on the true record):"]
    lines += ["  " + s for s in _leak_lines(report)]
    if len(report.gap):
        lines += ["", "members minus non-members (success):"]
        lines += [f"  {r.label}: {_ci(r.gap, r.gap_lo, r.gap_hi)}"
                  for r in report.gap.itertuples()]
    pv = _headline_values(report)
    lines += ["", f"per sensitive value ({report.headline['label']}):",
              pv.drop(columns=["attack", "knowledge"]).round(3).to_string(index=False)]
    if i["ignored_columns"]:
        lines += ["", f"columns the model does not read (ignored): {i['ignored_columns']}"]
    lines += [f"note: {n}" for n in i["notes"]]
    return "\n".join(lines)


def _headline_values(report) -> pd.DataFrame:
    pv = report.per_value
    return pv[(pv["attack"] == report.headline["attack"]) & (pv["knowledge"] == "aux+label")]


def figure_png(fig) -> str:
    """A matplotlib figure as a base64 PNG ``data:`` URI (the figure is closed).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    str
        ``data:image/png;base64,...``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> figure_png(plt.figure(figsize=(1, 1))).startswith("data:image/png;base64,")
    True
    """
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figures(report) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    out = []
    # the ladder, per game
    lad = report.ladder
    games = list(dict.fromkeys(lad["game"]))
    fig, axes = plt.subplots(1, len(games), figsize=(5.5 * len(games), 4), squeeze=False,
                             sharey=True)
    for ax, game in zip(axes[0], games):
        d = lad[lad["game"] == game]
        x = np.arange(len(d))
        ax.bar(x, d["success"], yerr=[d["success"] - d["success_lo"],
                                      d["success_hi"] - d["success"]], capsize=3,
               color=["#999999", "#666666"] + ["#c0392b"] * (len(d) - 2))
        ax.set_xticks(x, d["rung"], rotation=30, ha="right")
        ax.set_ylim(0, 1)
        ax.set_title(f"{game} game")
    axes[0][0].set_ylabel("success (95% CI)")
    fig.suptitle("The ladder: prior, imputation, best attack, Bayes value, ceiling")
    out.append(("The ladder", figure_png(fig)))
    # recall by sensitive value, headline attack
    pv = _headline_values(report)
    fig, ax = plt.subplots(figsize=(8, 3.5))
    sns.barplot(data=pv.assign(value=pv["value"].astype(str)), x="value", y="recall", hue="game",
                ax=ax)
    ax.set_ylim(0, 1)
    ax.set_title(f"Recall by sensitive value: {report.headline['label']}")
    out.append(("By sensitive value", figure_png(fig)))
    # the bound beside the measurement
    games = list(report.leakage)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    x = np.arange(len(games))
    best = [report.best[(report.best["game"] == g) & (report.best["access"] == "output")
                        & (report.best["knowledge"] == "aux+label")].iloc[0] for g in games]
    ax.bar(x - 0.2, [b["advantage"] for b in best], 0.4, label="measured advantage (output observer)",
           yerr=[[b["advantage"] - b["advantage_lo"] for b in best],
                 [b["advantage_hi"] - b["advantage"] for b in best]], color="#c0392b")
    ax.bar(x + 0.2, [report.leakage[g]["bound"] for g in games], 0.4,
           label="bound sqrt(I/2) from the plug-in I", color="#2c7fb8")
    ax.set_xticks(x, games)
    ax.axhline(0, color="black", lw=0.8)
    ax.legend()
    ax.set_title("The information bound beside the measured advantage")
    out.append(("Bound and measurement", figure_png(fig)))
    return out


def page(title: str, body: str) -> str:
    """A self-contained HTML page (inline style, no external resources).

    Parameters
    ----------
    title : str
        The page title.
    body : str
        The HTML body.

    Returns
    -------
    str
        The page.

    Examples
    --------
    >>> "<title>t</title>" in page("t", "<p>x</p>")
    True
    """
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:4px 8px;text-align:left}th{background:#f2f2f2}.headline{font-size:1.2em;"
             "padding:1em;border-left:6px solid #c0392b;background:#fbeeee}img{max-width:100%}")
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>"
            f"{html.escape(title)}</title><style>{style}</style></head><body>{body}</body></html>\n")


def audit_html(report) -> str:
    """The report as a self-contained HTML page with tables and embedded PNG figures.

    Parameters
    ----------
    report : AuditReport
        The audit's report.

    Returns
    -------
    str
        The page.

    Examples
    --------
    >>> callable(audit_html)
    True
    """
    i = report.info
    esc = html.escape
    parts = [f"<h1>midlib audit: {esc(i['model'])}</h1>",
             f"<p>Sensitive column <b>{esc(i['sensitive'])}</b> ({len(i['values'])} values), "
             f"target <b>{esc(i['target'])}</b> ({esc(i['kind'])}); {i['n_members']} members, "
             f"{i['n_nonmembers']} non-members, {i['n_aux']} auxiliary records; "
             f"{i['n_seeds']} seed(s).</p>",
             f"<p class='headline' id='headline'>{esc(_headline_line(report))}</p>"]
    if _gate_line(report):
        parts.append(f"<p class='headline' id='gate'>{esc(_gate_line(report))}</p>")
    parts += ["<h2>The ladder</h2>", _ladder_table(report).to_html(index=False, border=0,
                                                                   table_id="ladder"),
             "<h2>The attack chosen at each access level</h2>",
             _results_table(report, report.best).to_html(index=False, border=0, table_id="best"),
             "<h2>Every attack</h2>", _results_table(report).to_html(index=False, border=0,
                                                                     table_id="results"),
             "<h2>No-model baselines</h2>", _baseline_table(report).to_html(index=False, border=0),
             "<h2>Leakage</h2><ul>" + "".join(f"<li>{esc(s)}</li>" for s in _leak_lines(report))
             + "</ul>"]
    if len(report.gap):
        parts += ["<h2>Members minus non-members</h2>",
                  report.gap.round(3).to_html(index=False, border=0)]
    parts += ["<h2>Per sensitive value</h2>", report.per_value.round(3).to_html(
        index=False, border=0, na_rep="-")]
    for title, uri in _figures(report):
        parts.append(f"<h2>{esc(title)}</h2><img alt='{esc(title)}' src='{uri}'>")
    notes = i["notes"] + ([f"columns the model does not read: {i['ignored_columns']}"]
                          if i["ignored_columns"] else [])
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    return page(f"midlib audit: {i['model']}", "\n".join(parts))
