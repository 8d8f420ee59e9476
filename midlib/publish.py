"""What the book's chapters share to show numbers: glue that stores plain Python values, and
results tables with readable headers, even rounding, no index and an explicit mark for "not
applicable".

A chapter run by papermill alone (``papermill X.ipynb out.ipynb -p seed 3``) stores exactly what
the book's build stores, because the conversion happens here and not in the builder.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

__all__ = ["plain", "glue", "table", "figure_style", "NOT_APPLICABLE"]

#: What a results table shows where a quantity does not apply (e.g. a DP epsilon for MID).
NOT_APPLICABLE = "–"


def plain(value):
    """``value`` as a plain Python object: numpy scalars and 0-d arrays become ``int``, ``float``,
    ``bool`` or ``str``; lists and tuples are converted element by element.

    Parameters
    ----------
    value : object

    Returns
    -------
    object

    Raises
    ------
    TypeError
        ``value`` is an array with more than one element (glue one number at a time).

    Examples
    --------
    >>> plain(np.float64(0.25)), type(plain(np.int64(3))).__name__, plain(np.bool_(True))
    (0.25, 'int', True)
    >>> plain([np.float32(0.5), "a"])
    [0.5, 'a']
    """
    if isinstance(value, np.ndarray):
        if value.ndim == 0 or value.size == 1:
            return value.reshape(()).item()
        raise TypeError(f"cannot glue an array of shape {value.shape}: glue one number at a time")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def glue(name: str, value, display: bool = False):
    """``myst_nb.glue`` of :func:`plain` ``(value)``, hidden from the cell's output by default.

    Parameters
    ----------
    name : str
        The key the page refers to (``{glue:text}`name:.3f```).
    value : object
        A number, a string, a figure or a table.
    display : bool, default=False
        Also show the value where the cell runs.

    Returns
    -------
    None
        Nothing, so that a cell ending in a glue call shows nothing.

    Examples
    --------
    >>> glue("example", np.float64(0.5))
    """
    from myst_nb import glue as myst_glue

    myst_glue(name, plain(value), display=display)


def _format_cell(value, digits: int):
    if value is None or (isinstance(value, numbers.Real) and np.isnan(float(value))):
        return NOT_APPLICABLE
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.{digits}f}"
    return str(value)


def table(df: pd.DataFrame, columns: dict[str, str] | None = None, digits: int | dict = 3,
          caption: str | None = None):
    """A results table as the book shows it: the chosen columns under readable headers, numbers
    rounded evenly, missing values shown as :data:`NOT_APPLICABLE`, and no index column.

    Parameters
    ----------
    df : pandas.DataFrame
        The tidy results (index ignored).
    columns : dict of str to str, default=None
        Column -> header, in the order to show; None keeps every column under its own name.
    digits : int or dict of str to int, default=3
        Decimals for real numbers, for all columns or per column (others get 3).
    caption : str, default=None

    Returns
    -------
    pandas.io.formats.style.Styler
        Renders as an HTML table in the book.

    Raises
    ------
    KeyError
        A column of ``columns`` is not in ``df``.

    Examples
    --------
    >>> df = pd.DataFrame({"eps": [0.5, np.nan], "acc": [0.91234, 0.5]})
    >>> t = table(df, {"eps": "ε", "acc": "accuracy"}, digits={"eps": 1})
    >>> t.data.to_dict("list")
    {'ε': ['0.5', '–'], 'accuracy': ['0.912', '0.500']}
    """
    columns = dict(columns) if columns is not None else {c: str(c) for c in df.columns}
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"table: columns {missing} are not in the frame (it has {list(df.columns)})")
    out = pd.DataFrame({
        header: [_format_cell(v, digits.get(col, 3) if isinstance(digits, dict) else digits)
                 for v in df[col].tolist()]
        for col, header in columns.items()})
    # the class lets the book's style sheet space the cells; the inline styles do it elsewhere
    styler = (out.style.hide(axis="index")
              .set_table_attributes('class="midlib-table"')
              .set_table_styles([{"selector": "th, td",
                                  "props": [("padding", "0.25em 0.75em"), ("text-align", "left")]}]))
    if caption:
        styler = styler.set_caption(caption)
    return styler


def figure_style() -> None:
    """The book's figure style: seaborn's white grid, fonts of at least 10 pt, 150 dpi images.

    Call once in a chapter's set-up cell, before the first figure.

    Returns
    -------
    None

    Examples
    --------
    >>> figure_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["figure.dpi"]
    150.0
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=1.05)
    mpl.rcParams.update({"figure.dpi": 150, "savefig.dpi": 150, "font.size": 11,
                         "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
                         "xtick.labelsize": 10, "ytick.labelsize": 10})
