"""Load a user's model and records safely, and wrap any model behind one batched interface.

- :func:`load_model`: a ``.skops`` file (refusing types skops does not trust unless told to),
  or, only with ``trust_pickle=True``, a pickle / joblib file;
- :func:`load_table`: a CSV or Parquet file, or a DataFrame;
- :class:`TorchModel`: a small adapter that lets a torch module read a DataFrame;
- :func:`wrap_model`: any fitted scikit-learn estimator or Pipeline, a callable or a torch module
  as a :class:`ModelAdapter`, whose :meth:`ModelAdapter.outputs` queries the model once for a
  whole batch of records.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from midlib.game.model import REGRESSION_MIN_VALUES, ModelAdapter, TorchModel, wrap_model

__all__ = ["load_model", "load_table", "TorchModel", "ModelAdapter", "wrap_model",
           "UntrustedModelError", "MissingColumnError"]

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
#: Types of these packages in a .skops file are trusted (their estimators and the data types
#: they hold, such as scikit-learn's ``Tree``); functions they reference are not.
TRUSTED_PREFIXES = ("sklearn.", "midlib.")


class UntrustedModelError(ValueError):
    """A ``.skops`` file holds types that skops does not trust by default.

    Examples
    --------
    >>> isinstance(UntrustedModelError("x"), ValueError)
    True
    """


class MissingColumnError(KeyError, ValueError):
    """Columns the model or the audit needs are not in the records (a KeyError and a ValueError).

    Its message lists the missing columns and the available ones.

    Examples
    --------
    >>> str(MissingColumnError("the records lack the columns ['x']"))
    "the records lack the columns ['x']"
    """

    def __str__(self):
        return str(self.args[0]) if self.args else ""


def load_model(path, *, trust_types: bool = False, trust_pickle: bool = False):
    """Load a fitted model from a ``.skops`` file or (only if trusted) a pickle / joblib file.

    ``.skops`` files are read with ``skops.io.load``. Types outside skops' default trusted set
    are refused with a message listing them, unless ``trust_types`` is True; the types of
    scikit-learn and midlib (modules ``sklearn.*``, ``midlib.*``) are trusted. Pickle and joblib files (``.pkl``,
    ``.pickle``, ``.joblib``) run any code they contain when loaded, so they are refused unless
    ``trust_pickle`` is True (and then loaded with a warning).

    Parameters
    ----------
    path : str or pathlib.Path
        The model file.
    trust_types : bool, default=False
        Load a ``.skops`` file even if it holds types skops does not trust by default.
    trust_pickle : bool, default=False
        Load a pickle / joblib file (it can run arbitrary code: only for files you made).

    Returns
    -------
    object
        The fitted model.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    UntrustedModelError
        The ``.skops`` file holds untrusted types and ``trust_types`` is False.
    ValueError
        A pickle without ``trust_pickle``, or an unknown file type.

    Examples
    --------
    >>> import tempfile, skops.io
    >>> from sklearn.linear_model import LinearRegression
    >>> path = Path(tempfile.mkdtemp()) / "m.skops"
    >>> skops.io.dump(LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0]), path)
    >>> load_model(path).coef_.round(3).tolist()
    [2.0]
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".skops":
        import skops.io as sio

        untrusted = sio.get_untrusted_types(file=path)
        unknown = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
        if unknown and not trust_types:
            raise UntrustedModelError(
                f"{path} holds types that skops does not trust by default: {unknown}. Loading "
                "them may run their code. If you trust the file's origin, pass --trust-types "
                "(Python: trust_types=True)")
        return sio.load(path, trusted=untrusted)
    if suffix in PICKLE_SUFFIXES:
        if not trust_pickle:
            raise ValueError(
                f"{path} is a pickle/joblib file: loading it runs any code it contains. Save the "
                "model with skops.io.dump(model, 'model.skops') instead, or pass --trust-pickle "
                "(Python: trust_pickle=True) for a file you made yourself")
        warnings.warn(f"loading {path} as a pickle: pickles run any code they contain; only do "
                      "this for files you made yourself", UserWarning, stacklevel=2)
        import joblib

        return joblib.load(path)
    raise ValueError(f"unknown model file type {suffix!r} ({path}): give a .skops file "
                     "(skops.io.dump) or, with --trust-pickle, a .pkl/.joblib file")


def load_table(data, name: str = "data") -> pd.DataFrame:
    """Records from a CSV or Parquet file, or a copy of a DataFrame.

    Parameters
    ----------
    data : str, pathlib.Path or pandas.DataFrame
        A ``.csv`` file, a ``.parquet`` file (needs pyarrow) or a DataFrame.
    name : str, default="data"
        What to call the records in error messages.

    Returns
    -------
    pandas.DataFrame
        The records, index reset.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ImportError
        A Parquet file without pyarrow installed.
    ValueError
        An unknown file type, or no records.
    TypeError
        ``data`` is neither a path nor a DataFrame.

    Examples
    --------
    >>> load_table(pd.DataFrame({"a": [1, 2]})).shape
    (2, 1)
    """
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    elif isinstance(data, (str, Path)):
        path = Path(data)
        if not path.exists():
            raise FileNotFoundError(f"{name} file {path} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            if importlib.util.find_spec("pyarrow") is None:
                raise ImportError(f"reading {path} needs pyarrow: pip install pyarrow "
                                  "(or save the records as CSV)")
            frame = pd.read_parquet(path)
        else:
            raise ValueError(f"unknown {name} file type {suffix!r} ({path}): give a .csv or "
                             ".parquet file")
    else:
        raise TypeError(f"{name} must be a DataFrame or the path of a CSV or Parquet file, got "
                        f"{type(data).__name__}")
    if len(frame) == 0:
        raise ValueError(f"{name} has no records")
    return frame.reset_index(drop=True)
