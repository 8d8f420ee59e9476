"""``midlib.defend``: fit MID and a DP baseline over a strength grid on the user's records, audit
each, draw the utility-leakage frontier and recommend a model within a leakage budget."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from midlib.auditing.core import audit, check_records
from midlib.auditing.loading import MissingColumnError, load_table
from midlib.validation import check_random_state, check_seed

__all__ = ["defend", "DefenseReport", "make_preprocessor", "STRENGTHS", "check_output_path"]

#: The default strength grids: (family, defense) -> strengths (lambda for MID, epsilon for DP).
STRENGTHS = {("linear", "MID"): [0.001, 0.01, 0.03, 0.1, 0.3, 1.0],
             ("linear", "DP"): [0.3, 1.0, 3.0, 10.0, 30.0],
             ("tree", "MID"): [0.01, 0.03, 0.1, 0.3, 1.0],
             ("tree", "DP"): [0.3, 1.0, 3.0, 10.0]}


def check_output_path(path, force: bool, what: str = "--out") -> Path:
    """Check, before any work, that ``path`` can be written: its folder exists, and it does not
    exist unless ``force``.

    Parameters
    ----------
    path : str or pathlib.Path
        The output file.
    force : bool
        Whether an existing file may be overwritten.
    what : str, default="--out"
        The option's name, for the message.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        The folder is missing, or the file exists and ``force`` is False.

    Examples
    --------
    >>> check_output_path("/no/such/folder/m.skops", False)
    Traceback (most recent call last):
    ...
    ValueError: the folder of --out, /no/such/folder, does not exist: create it first
    """
    path = Path(path)
    if not path.parent.exists():
        raise ValueError(f"the folder of {what}, {path.parent}, does not exist: create it first")
    if path.exists() and not force:
        raise ValueError(f"{path} exists; choose another {what} or pass --force to overwrite it")
    return path


def make_preprocessor(frame: pd.DataFrame, columns):
    """One-hot encode the text/boolean columns and scale the numeric ones to [0, 1] (clipped).

    The DP mechanisms need every feature in [0, 1].

    Parameters
    ----------
    frame : pandas.DataFrame
        Records (to tell numeric columns from categorical ones).
    columns : list of str
        The model's input columns.

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Unfitted.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, 3.0], "b": ["x", "y"]})
    >>> make_preprocessor(frame, ["a", "b"]).fit_transform(frame).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import MinMaxScaler, OneHotEncoder

    num = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])
           and not pd.api.types.is_bool_dtype(frame[c])]
    cat = [c for c in columns if c not in num]
    return ColumnTransformer([("num", MinMaxScaler(clip=True), num),
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                               cat)])


def _model(family, defense, strength, pre, seed):
    from sklearn.base import clone
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler

    from midlib.defenses import create_defense

    params = {"max_depth": 4} if family == "tree" and defense == "DP" else (
        {"min_samples_leaf": 5} if family == "tree" else {})
    est = create_defense(family, defense, strength, random_state=seed, **params)
    if family == "linear":
        est = TransformedTargetRegressor(regressor=est, transformer=MinMaxScaler())
    return Pipeline([("encode", clone(pre)), ("model", est)])


@dataclass
class DefenseReport:
    """What :func:`midlib.defend` found: the frontier, the recommendation and its model.

    Parameters
    ----------
    frontier : pandas.DataFrame
        One row per model: ``defense, strength, utility, utility_loss, advantage,
        advantage_lo, advantage_hi, meets_budget``.
    budget : float
        The largest acceptable advantage (its upper confidence limit).
    recommended : dict or None
        The row of the recommended model; None when no model meets the budget.
    model : object or None
        The recommended fitted model (a Pipeline taking the raw records).
    info : dict
        Family, columns, utility measure, record counts.

    Examples
    --------
    >>> r = DefenseReport(pd.DataFrame(), 0.05, None, None, {"utility": "accuracy"})
    >>> r.recommended is None
    True
    """

    frontier: pd.DataFrame
    budget: float
    recommended: dict | None
    model: object
    info: dict = field(default_factory=dict)

    def to_text(self) -> str:
        """The frontier and the recommendation as text.

        Returns
        -------
        str
            The text.

        Examples
        --------
        >>> r = DefenseReport(pd.DataFrame(), 0.05, None, None, {"utility": "accuracy"})
        >>> "no model" in r.to_text()
        True
        """
        lines = [f"midlib defend: utility = {self.info.get('utility')} on held-out records; "
                 f"budget: advantage upper limit <= {self.budget}", ""]
        if len(self.frontier):
            lines.append(self.frontier.round(4).to_string(index=False))
        if self.recommended is None:
            lines += ["", "no model meets the budget: every advantage upper limit is above "
                          f"{self.budget}. Try a larger budget, stronger defences or more records"]
        else:
            r = self.recommended
            lines += ["", f"recommended: {r['defense']} at strength {r['strength']} (utility "
                          f"{r['utility']:.4f}, loss {r['utility_loss']:.4f}; advantage "
                          f"{r['advantage']:+.3f}, upper limit {r['advantage_hi']:+.3f})"]
        return "\n".join(lines)

    def plot(self, ax=None):
        """Draw the utility-leakage frontier (advantage upper limit against utility).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, default=None
            Where to draw; None makes a new figure.

        Returns
        -------
        matplotlib.axes.Axes
            The axes.

        Examples
        --------
        >>> callable(DefenseReport.plot)
        True
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        for defense, grp in self.frontier.groupby("defense", sort=False):
            ax.errorbar(grp["utility"], grp["advantage"],
                        yerr=[grp["advantage"] - grp["advantage_lo"],
                              grp["advantage_hi"] - grp["advantage"]],
                        marker="o", capsize=3, label=defense)
        ax.axhline(self.budget, color="black", ls="--", lw=1, label=f"budget {self.budget}")
        if self.recommended is not None:
            ax.scatter([self.recommended["utility"]], [self.recommended["advantage"]], s=250,
                       facecolors="none", edgecolors="green", linewidths=2, label="recommended")
        ax.set_xlabel(f"utility ({self.info.get('utility')}, held-out records)")
        ax.set_ylabel("attack advantage (95% CI)")
        ax.set_title("Utility-leakage frontier")
        ax.legend()
        return ax

    def to_html(self) -> str:
        """A self-contained HTML page: the frontier figure and table, the recommendation.

        Returns
        -------
        str
            The page.

        Examples
        --------
        >>> callable(DefenseReport.to_html)
        True
        """
        import html

        import matplotlib.pyplot as plt

        from midlib.auditing.render import figure_png, page

        fig, ax = plt.subplots(figsize=(7, 4.5))
        self.plot(ax)
        text = self.to_text().split("\n")[-1]
        body = (f"<h1>midlib defend</h1><p class='headline'>{html.escape(text)}</p>"
                f"<img alt='frontier' src='{figure_png(fig)}'>"
                + self.frontier.round(4).to_html(index=False, border=0))
        return page("midlib defend", body)

    def save(self, path, force: bool = False) -> Path:
        """Save the recommended model with skops.

        Parameters
        ----------
        path : str or pathlib.Path
            A ``.skops`` file.
        force : bool, default=False
            Overwrite an existing file.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        ValueError
            No model was recommended, the folder is missing or the file exists.

        Examples
        --------
        >>> r = DefenseReport(pd.DataFrame(), 0.05, None, None, {})
        >>> r.save("m.skops")
        Traceback (most recent call last):
        ...
        ValueError: no model met the budget: nothing to save
        """
        import skops.io as sio

        if self.model is None:
            raise ValueError("no model met the budget: nothing to save")
        path = check_output_path(path, force)
        sio.dump(self.model, path)
        return path


def defend(data, sensitive: str, target: str, family: str = "linear", budget: float = 0.05, *,
           strengths: dict | None = None, exclude=(), test_size: float = 0.3,
           random_state: int = 0, confidence: float = 0.95) -> DefenseReport:
    """Fit MID and the DP baseline of ``family`` over a strength grid, audit each model, and
    recommend the one with the least utility loss whose advantage upper limit meets ``budget``.

    The records are split into training records (members) and held-out ones (utility and the
    distributional game); every column but ``target`` is an input (text columns one-hot
    encoded, numeric ones scaled to [0, 1]). Each model is a Pipeline that takes the raw
    records. The undefended model of the family is fitted too (least squares; a
    scikit-learn tree with ``min_samples_leaf=5``, the base tree MID prunes); if it already
    meets the budget it is recommended. The DP trees are complete trees of depth 4.

    Parameters
    ----------
    data : str, pathlib.Path or pandas.DataFrame
        The records (CSV, Parquet or a DataFrame).
    sensitive : str
        The discrete sensitive column.
    target : str
        The label: numeric for ``"linear"`` (regression), discrete for ``"tree"``.
    family : {"linear", "tree"}, default="linear"
        Linear regression (MID: :class:`~midlib.defenses.MIDLinearRegression`, DP: the
        functional mechanism) or decision trees (MID and DP trees).
    budget : float, default=0.05
        The largest acceptable advantage (upper confidence limit of the headline advantage).
    strengths : dict, default=None
        ``{"MID": [...], "DP": [...]}``; None uses :data:`STRENGTHS`.
    exclude : sequence of str, default=()
        Columns that are not inputs (e.g. a membership column); they are dropped.
    test_size : float, default=0.3
        Share of held-out records.
    random_state : int, default=0
        Seeds the split, the models and the audits.
    confidence : float, default=0.95
        Confidence level of the audits' intervals.

    Returns
    -------
    DefenseReport
        The frontier, the recommendation and the recommended fitted model.

    Raises
    ------
    ValueError
        Bad records or arguments.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"s": rng.choice(["a", "b"], 300), "x": rng.normal(size=300)})
    >>> frame["y"] = (frame["s"] == "a") * 2.0 + frame["x"] + rng.normal(0, 0.5, 300)
    >>> report = defend(frame, "s", "y", strengths={"MID": [0.1, 1.0], "DP": [1.0]})
    >>> sorted(report.frontier["defense"].unique())
    ['DP', 'MID', 'none']
    """
    seed = check_seed(random_state)
    if family not in ("linear", "tree"):
        raise ValueError(f"family must be 'linear' or 'tree', got {family!r}")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
    frame = load_table(data)
    gone = [c for c in exclude if c not in frame.columns]
    if gone:
        raise MissingColumnError(f"columns to exclude {gone} are not in the data; available "
                                 f"columns: {list(frame.columns)}")
    frame = frame.drop(columns=list(exclude))
    for c in (sensitive, target):
        if c not in frame.columns:
            raise MissingColumnError(f"column {c!r} is not in the data; available columns: "
                                     f"{list(frame.columns)}")
    columns = [c for c in frame.columns if c != target]
    kind = "regression" if family == "linear" else "classification"
    if family == "linear" and not pd.api.types.is_numeric_dtype(frame[target]):
        raise ValueError(f"family 'linear' is regression but {target!r} is not numeric: use "
                         "--family tree for a discrete label")
    classes = None if family == "linear" else np.sort(frame[target].unique())
    check_records({"data": frame}, columns, sensitive, target, kind, classes)
    idx = check_random_state(seed).permutation(len(frame))
    cut = int(round(test_size * len(frame)))
    train = frame.iloc[idx[cut:]].reset_index(drop=True)
    test = frame.iloc[idx[:cut]].reset_index(drop=True)
    pre = make_preprocessor(frame, columns)
    grid = [("none", None)] + [(d, s) for d in ("MID", "DP")
                               for s in (strengths or {}).get(d, STRENGTHS[(family, d)])]
    rows, models = [], []
    for defense, strength in grid:
        model = _model(family, defense, strength, pre, seed).fit(train[columns], train[target])
        pred = model.predict(test[columns])
        if family == "linear":
            y = test[target].to_numpy(dtype=float)
            utility = 1 - np.mean((y - pred) ** 2) / max(np.var(y), 1e-12)
        else:
            utility = float(np.mean(pred == test[target].to_numpy()))
        rep = audit(model, sensitive=sensitive, target=target, members=train, nonmembers=test,
                    random_state=seed, confidence=confidence)
        h = rep.headline
        rows.append(dict(defense=defense, strength=np.nan if strength is None else strength,
                         utility=float(utility), advantage=h["advantage"],
                         advantage_lo=h["advantage_lo"], advantage_hi=h["advantage_hi"],
                         attack=h["attack"]))
        models.append(model)
    front = pd.DataFrame(rows)
    front.insert(3, "utility_loss", front["utility"].iloc[0] - front["utility"])
    front["meets_budget"] = front["advantage_hi"] <= budget
    ok = front[front["meets_budget"]]
    recommended, model = None, None
    if len(ok):
        best = ok["utility_loss"].idxmin()
        recommended, model = front.loc[best].to_dict(), models[best]
    info = dict(family=family, utility="R^2" if family == "linear" else "accuracy",
                n_train=len(train), n_test=len(test), sensitive=sensitive, target=target,
                inputs=columns)
    return DefenseReport(front, budget, recommended, model, info)
