"""Utility-privacy sweeps and frontiers: grids of defence strengths and seeds to tidy frames,
Pareto fronts, comparisons at matched utility, and the standard frontier plot. (Summaries over
seeds: :func:`midlib.stats.summarize`; running sweeps on many cores, a Dask cluster or into a
resumable store: :mod:`midlib.sweeps`.)"""

from __future__ import annotations

import itertools
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from midlib.sweeps import ResultStore, SweepError, run_tasks

__all__ = ["sweep", "pareto_front", "at_matched_utility", "plot_frontier", "ResultStore",
           "SweepError"]


def sweep(run: Callable[..., dict | list | pd.DataFrame], grid: dict[str, list],
          seeds: Iterable[int], desc: str = "sweep", *, n_jobs: int | None = None,
          scheduler=None, store=None, tag: str | None = None) -> pd.DataFrame:
    """Call ``run(**params, seed=s)`` at every point of the grid product and every seed.

    ``run`` returns a dict (one row), a list of dicts or a DataFrame; the grid parameters and the
    seed are added as columns (unless ``run`` already returns them). The calls run in this
    process, on local worker processes (``n_jobs``) or on a Dask cluster (``scheduler``), and
    the result is the same, row for row, wherever they ran: each call gets its own seed. With a
    ``store`` every finished call is kept, keyed by its grid point, seed and ``tag``, so that an
    interrupted sweep resumes and a stored configuration is never recomputed. See
    :mod:`midlib.sweeps` for the details (threads per worker, concurrent writers, the CLI).

    Parameters
    ----------
    run : callable
        ``run(**params, seed=s)`` returns a dict (one row), a list of dicts or a DataFrame. For
        worker processes it must be picklable by cloudpickle (closures and lambdas are) and
        must not rely on side effects: state it changes stays in the worker.
    grid : dict of str to list
        Parameter name -> the values to try; the sweep covers the product of the lists.
    seeds : iterable of int
        The seeds, at least one.
    desc : str, default="sweep"
        Label of the progress bar (shown only in a terminal).
    n_jobs : int, default=None
        Local worker processes: 1 runs in this process, -1 on every core; None reads the
        environment variable ``MIDLIB_N_JOBS`` and is 1 when it is not set. With
        ``scheduler``, the number of cluster threads to use (None: all).
    scheduler : str or distributed.Client, default=None
        Run on this existing Dask cluster (``"tcp://host:8786"``) through joblib's dask
        backend; None reads ``MIDLIB_SCHEDULER`` and runs locally when it is not set.
    store : str, os.PathLike or midlib.sweeps.ResultStore, default=None
        An SQLite file (created if missing; its folder must exist) that keeps every finished
        call; None keeps nothing.
    tag : str, default=None
        The version of ``run``, part of each store key: the store trusts it (the code of
        ``run`` is not hashed), so change it when ``run`` changes.

    Returns
    -------
    pandas.DataFrame
        The concatenated tidy frame: the rows of every call, in the order of the grid product
        and then the seeds, with the grid parameters and ``seed`` as columns.

    Raises
    ------
    ValueError
        ``grid`` or ``seeds`` is empty, ``n_jobs`` is 0, or ``store`` is not a result store.
    TypeError
        A grid entry is not a list of values, ``run`` returns something else than a dict,
        a list of dicts or a DataFrame, or a result that cannot be pickled where it has to be
        (a store, worker processes), or a grid value cannot be part of a store key.
    FileNotFoundError
        The folder of ``store`` does not exist (checked before any call).
    midlib.sweeps.SweepError
        A call failed; the message names its grid point and seed.

    Examples
    --------
    >>> def run(lam, seed):
    ...     return {"acc": 1 - lam / 10, "attack": 0.5 + lam / 20 + seed / 100}
    >>> res = sweep(run, {"lam": [1, 2]}, seeds=[0, 1])
    >>> res.columns.tolist()
    ['acc', 'attack', 'lam', 'seed']
    >>> res["lam"].tolist(), res["seed"].tolist()
    ([1, 1, 2, 2], [0, 1, 0, 1])

    A store keeps the finished calls: a larger grid computes only the new points.

    >>> import tempfile
    >>> calls = []
    >>> def counted(lam, seed):
    ...     calls.append(lam)
    ...     return run(lam, seed)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = sweep(counted, {"lam": [1, 2]}, [0], store=f"{folder}/r.sqlite", tag="v1")
    ...     again = sweep(counted, {"lam": [1, 2, 3]}, [0], store=f"{folder}/r.sqlite", tag="v1")
    >>> calls, again["lam"].tolist()
    ([1, 2, 3], [1, 2, 3])
    """
    if not grid:
        raise ValueError("grid is empty: give at least one parameter with a list of values")
    for key, values in grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"grid[{key!r}] must be a list of values, got {values!r}")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty")
    keys = list(grid)
    points = list(itertools.product(*(list(grid[k]) for k in keys)))
    tasks = [(dict(zip(keys, values)), seed) for values, seed in itertools.product(points, seeds)]
    frames = run_tasks(run, tasks, desc, n_jobs=n_jobs, scheduler=scheduler, store=store, tag=tag)
    return pd.concat(frames, ignore_index=True)


def pareto_front(df: pd.DataFrame, x: str, y: str, x_better: str = "lower",
                 y_better: str = "lower") -> pd.DataFrame:
    """Rows of ``df`` not dominated in (x, y), sorted by x.

    A row dominates another when it is at least as good on both and better on one; "better" is
    lower or higher as given for each axis.

    Parameters
    ----------
    df : pandas.DataFrame
        The points, one a row.
    x : str
        The column of the first axis.
    y : str
        The column of the second axis.
    x_better : {"lower", "higher"}, default="lower"
        Which direction is better on ``x``.
    y_better : {"lower", "higher"}, default="lower"
        Which direction is better on ``y``.

    Returns
    -------
    pandas.DataFrame
        The non-dominated rows, sorted by ``x``, index reset.

    Raises
    ------
    ValueError
        ``x_better`` or ``y_better`` is neither "lower" nor "higher".

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"error": [0.1, 0.2, 0.15, 0.3], "attack": [0.9, 0.6, 0.95, 0.5]})
    >>> pareto_front(df, "error", "attack")["error"].tolist()
    [0.1, 0.2, 0.3]
    """
    for name, better in (("x_better", x_better), ("y_better", y_better)):
        if better not in ("lower", "higher"):
            raise ValueError(f"{name} must be 'lower' or 'higher', got {better!r}")
    sx = 1.0 if x_better == "lower" else -1.0
    sy = 1.0 if y_better == "lower" else -1.0
    vals = np.column_stack([sx * df[x].to_numpy(float), sy * df[y].to_numpy(float)])
    order = np.lexsort((vals[:, 1], vals[:, 0]))
    keep, best_y = [], np.inf
    for i in order:
        if vals[i, 1] < best_y:
            keep.append(i)
            best_y = vals[i, 1]
    return df.iloc[keep].sort_values(x).reset_index(drop=True)


def at_matched_utility(df: pd.DataFrame, utility: str, attack: str, levels: list[float],
                       by: str = "method", utility_better: str = "higher") -> pd.DataFrame:
    """Each method's attack success at given utility levels, for comparing defences fairly.

    Within each group of ``by``, the points (mean over any other columns at each distinct
    utility) are reduced to their best-attack envelope: for a required utility u the defender
    picks the setting with utility at least as good as u and the lowest attack. The result is
    NaN where a method never reaches the level.

    Parameters
    ----------
    df : pandas.DataFrame
        The results, e.g. from :func:`sweep`.
    utility : str
        The column of the utility (e.g. accuracy).
    attack : str
        The column of the attack success.
    levels : list of float
        The required utility levels.
    by : str, default="method"
        The column naming the method (defence).
    utility_better : {"higher", "lower"}, default="higher"
        Which direction is better on ``utility`` ("lower" for an error).

    Returns
    -------
    pandas.DataFrame
        One row per method and level, with columns ``by``, ``utility`` (the level) and
        ``attack`` (the lowest attack success at that utility or better; NaN where the method
        never reaches it).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"method": ["dp", "dp", "dp", "tree", "tree"],
    ...                    "acc": [0.9, 0.8, 0.7, 0.85, 0.75],
    ...                    "attack": [0.8, 0.6, 0.5, 0.7, 0.65]})
    >>> res = at_matched_utility(df, "acc", "attack", levels=[0.8, 0.88])
    >>> res["method"].tolist()
    ['dp', 'dp', 'tree', 'tree']
    >>> res["attack"].tolist()
    [0.6, 0.8, 0.7, nan]
    """
    rows = []
    for name, g in df.groupby(by, sort=True):
        pts = g.groupby(utility, as_index=False)[attack].mean()
        u, a = pts[utility].to_numpy(float), pts[attack].to_numpy(float)
        for level in levels:
            ok = u >= level if utility_better == "higher" else u <= level
            rows.append({by: name, utility: level,
                         attack: float(a[ok].min()) if ok.any() else np.nan})
    return pd.DataFrame(rows)


def plot_frontier(df: pd.DataFrame, x: str, y: str, hue: str = "method", style: str | None = "split",
                  setting: str | list[str] | None = None, ax=None, floor: float | None = None, reference: pd.DataFrame | None = None,
                  label_points: bool = True,
                  xlabel: str | None = None, ylabel: str | None = None, title: str | None = None):
    """Plot attack success against utility.

    One line per ``hue`` (and ``style``), mean with error bars (standard errors) over seeds of
    each ``setting`` (the column(s) naming a defence strength, e.g. ``"lam"``; with
    ``setting=None`` every row is drawn as it is); ``floor`` draws the prior-guess level;
    ``reference`` (columns x, y and hue) draws the paper's readings as hollow markers.

    Parameters
    ----------
    df : pandas.DataFrame
        The results, one row per setting and seed (e.g. from :func:`sweep`).
    x : str
        The column of the horizontal axis (the utility).
    y : str
        The column of the vertical axis (the attack success).
    hue : str, default="method"
        The column whose values get one colour (and line) each.
    style : str or None, default="split"
        The column whose values get one marker and line style each; None for a single style.
    setting : str or list of str, default=None
        The column(s) naming a defence strength: rows with the same setting are averaged
        over seeds into one point. None draws every row as it is.
    ax : matplotlib.axes.Axes, default=None
        The axes to draw on; None makes a new figure.
    floor : float, default=None
        Draw a horizontal line at this level (the prior guess); None draws none.
    reference : pandas.DataFrame, default=None
        The paper's readings (columns ``x``, ``y`` and ``hue``), drawn as hollow markers.
    label_points : bool, default=True
        Write each point's ``setting`` value (its lambda, epsilon, ...) beside it.
    xlabel : str, default=None
        Label of the horizontal axis; None means ``x``.
    ylabel : str, default=None
        Label of the vertical axis; None means ``y``.
    title : str, default=None
        Title of the axes; None for none.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Raises
    ------
    KeyError
        A named column is not in ``df``.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> df = pd.DataFrame({"method": ["dp"] * 4, "split": ["train"] * 4, "lam": [1, 1, 2, 2],
    ...                    "acc": [0.9, 0.88, 0.8, 0.82], "attack": [0.7, 0.72, 0.6, 0.58]})
    >>> fig = plot_frontier(df, x="acc", y="attack", setting="lam", floor=0.5,
    ...                     ylabel="attack success")
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
    ('acc', 'attack success')
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
    else:
        fig = ax.figure
    group = [hue] + ([style] if style else [])
    # Each setting is one point: mean and standard error over seeds, on both axes.
    setting_cols = list(dict.fromkeys(group + ([setting] if isinstance(setting, str) else list(setting or []))))
    missing = [c for c in setting_cols + [x, y] if c not in df.columns]
    if missing:
        raise KeyError(f"columns {missing} are not in the frame")
    if setting is None:
        agg = df[setting_cols + [x, y]].rename(columns={x: f"{x}_mean", y: f"{y}_mean"})
        agg[f"{x}_sem"] = 0.0
        agg[f"{y}_sem"] = 0.0
    else:
        agg = df.groupby(setting_cols, dropna=False)[[x, y]].agg(["mean", "sem"]).reset_index()
        agg.columns = [c if isinstance(c, str) else (c[0] if c[1] == "" else f"{c[0]}_{c[1]}")
                       for c in agg.columns]
    palette = dict(zip(sorted(df[hue].unique()), sns.color_palette(n_colors=df[hue].nunique())))
    styles = sorted(df[style].unique()) if style else [None]
    markers = dict(zip(styles, ["o", "s", "^", "D"]))
    lines = dict(zip(styles, ["-", "--", ":", "-."]))
    for (h, *rest), g in agg.groupby(group):
        st = rest[0] if style else None
        g = g.sort_values(f"{x}_mean")
        ax.errorbar(g[f"{x}_mean"], g[f"{y}_mean"], xerr=g[f"{x}_sem"].fillna(0),
                    yerr=g[f"{y}_sem"].fillna(0), color=palette[h], marker=markers[st],
                    linestyle=lines[st], markersize=4, capsize=2,
                    label=f"{h}" + (f" ({st})" if style else ""))
        if isinstance(setting, str) and label_points:   # name each point by its strength
            for _, r in g.iterrows():
                if pd.notna(r[setting]) and str(r[setting]) not in ("None", "nan"):
                    value = r[setting]
                    text = f"{value:g}" if isinstance(value, (int, float, np.floating)) else str(value)
                    ax.annotate(text, (r[f"{x}_mean"], r[f"{y}_mean"]), textcoords="offset points",
                                xytext=(4, 3), fontsize=8, color=palette[h])
    if floor is not None:
        ax.axhline(floor, color="grey", linestyle=":", linewidth=1, label="prior guess")
    if reference is not None and len(reference):
        for h, g in reference.groupby(hue):
            ax.scatter(g[x], g[y], facecolors="none", edgecolors=palette.get(h, "black"),
                       marker="*", s=90, label=f"{h} (paper)")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    sns.despine(ax=ax)
    fig.tight_layout()
    return fig
