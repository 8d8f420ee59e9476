"""Running a sweep's grid: serially, on local cores or on a Dask cluster, into a resumable store.

:func:`midlib.frontier.sweep` is the face; this module holds what it runs on. Every call
``run(**params, seed=s)`` is one task. The tasks run through joblib: serially in this process
(``n_jobs=1``), on local worker processes (joblib's loky backend, which pickles ``run`` with
cloudpickle, so closures and lambdas defined in a notebook work), or on an existing Dask
cluster (``scheduler="tcp://host:8786"`` or a ``distributed.Client``, through joblib's dask
backend). Each task gets its own seed and nothing depends on the worker, so the rows, and their
order, are those of the serial run. Inside worker processes BLAS and torch use one thread each,
so that n workers do not start n x cores threads.

Where the work runs
-------------------
``n_jobs`` counts local worker processes: ``1`` runs in this process (the default, see
:func:`resolve_n_jobs`; the book's notebooks keep state in their ``run`` closures, which a worker
process would not send back), ``-1`` uses every local core, and the environment variable
``MIDLIB_N_JOBS`` sets the default without touching the code. ``scheduler`` (or the environment
variable ``MIDLIB_SCHEDULER``) sends the tasks to a running Dask scheduler instead; its workers
need midlib and the libraries ``run`` uses installed, but not the store.

The result store
----------------
``store="results.sqlite"`` keeps every finished call in an SQLite file (standard library, WAL
mode), one row per configuration keyed by :func:`config_key`: the hash of the grid point, the
seed and the ``tag``. Rows are written by the process that called ``sweep`` as each call
finishes, so a sweep that is interrupted (killed, a failing point, a lost cluster) resumes where
it stopped when it is run again, and a configuration already in the store is never recomputed.
Two sweeps may write the same store at once: each row is one transaction (``INSERT OR IGNORE``,
with a busy timeout), and the first result of a configuration is the one kept.

The store trusts the tag: the code of ``run`` is not part of the key (hashing a notebook
closure's bytecode would miss the functions and data it calls, and would change with the Python
version), so change ``tag`` (e.g. ``"iwpc-v1"`` to ``"iwpc-v2"``) when ``run`` changes, and give
two different run functions that share a store and a grid different tags. The frames are
pickled: open only stores you wrote, and keep the pandas version while a store is in use.

From a book chapter or the command line
---------------------------------------
A chapter calls ``frontier.sweep(run, grid, seeds, desc=..., n_jobs=-1, store="iwpc.sqlite",
tag="iwpc-v1")``; without editing it, ``MIDLIB_N_JOBS=4`` or
``MIDLIB_SCHEDULER=tcp://host:8786`` move its sweeps onto 4 local cores or a cluster. The
command line maps ``midlib sweep ... --n-jobs N --scheduler tcp://host:8786 --store
results.sqlite --tag v1`` onto the keywords of the same names (``None`` where an option is not
given); :func:`resolve_n_jobs` and :func:`check_store_path` validate the options before any
work starts, and ``ResultStore(path).frame()`` reads a store back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import pickle
import sqlite3
import sys
import time
from numbers import Integral, Real
from pathlib import Path
from typing import Callable

import joblib
import pandas as pd

from midlib.progress import progress

__all__ = ["ResultStore", "SweepError", "config_key", "resolve_n_jobs", "check_store_path",
           "dumps_result", "run_tasks"]

#: The environment variables that set the defaults of ``n_jobs`` and ``scheduler``.
N_JOBS_ENV, SCHEDULER_ENV = "MIDLIB_N_JOBS", "MIDLIB_SCHEDULER"
_SCHEMA = 1
_PICKLE_PROTOCOL = 5


class SweepError(RuntimeError):
    """A call of a sweep's run function failed; the message names the grid point and seed.

    The original exception is the ``__cause__`` when the call ran in this process; from a
    worker process its type and message are in the message.

    Parameters
    ----------
    message : str
        What failed, with the grid point and the seed.
    params : dict, default=None
        The grid point of the failed call.
    seed : int, default=None
        The seed of the failed call.

    Examples
    --------
    >>> err = SweepError("run(lam=1, seed=0) failed: ValueError: bad", {"lam": 1}, 0)
    >>> err.params, err.seed
    ({'lam': 1}, 0)
    """

    def __init__(self, message: str, params: dict | None = None, seed=None):
        super().__init__(message)
        self.params, self.seed = params, seed

    def __reduce__(self):
        return SweepError, (str(self), self.params, self.seed)


def _label(params: dict, seed) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return f"run({args}{', ' if args else ''}seed={seed!r})"


def _canonical(value, where: str):
    """A JSON-able, stable form of a grid value (numpy scalars as Python ones)."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        value = float(value)
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v, where) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    raise TypeError(f"{where} = {value!r} ({type(value).__name__}) cannot be part of a store key: "
                    "use numbers, strings, None, booleans or lists/tuples/dicts of them")


def config_key(params: dict, seed, tag: str | None = None) -> str:
    """The store key of one call: a SHA-256 of the grid point, the seed and the tag.

    Grid values may be numbers (numpy scalars count as Python ones; ``1`` and ``1.0`` differ),
    strings, None, booleans, and lists, tuples or dicts of them. The key does not depend on the
    order of ``params``.

    Parameters
    ----------
    params : dict
        The grid point, parameter name -> value.
    seed : int
        The seed of the call.
    tag : str, default=None
        A version of the run function; change it to recompute everything.

    Returns
    -------
    str
        64 hexadecimal digits.

    Raises
    ------
    TypeError
        A value is of another type (its ``repr`` would not be stable across runs).

    Examples
    --------
    >>> import numpy as np
    >>> config_key({"lam": 0.1, "method": "MID"}, 0) == config_key({"method": "MID", "lam": np.float64(0.1)}, 0)
    True
    >>> config_key({"lam": 0.1}, 0) == config_key({"lam": 0.1}, 0, tag="v2")
    False
    """
    doc = {"params": _canonical(dict(params), "a grid value"), "seed": _canonical(seed, "seed"),
           "tag": tag}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_store_path(path) -> Path:
    """Check, before any work, that a store can be created or opened at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file; its folder must exist.

    Returns
    -------
    pathlib.Path
        The path.

    Raises
    ------
    TypeError
        ``path`` is not a path.
    FileNotFoundError
        Its folder does not exist.
    IsADirectoryError
        ``path`` is a folder.

    Examples
    --------
    >>> check_store_path("/no/such/folder/results.sqlite")
    Traceback (most recent call last):
    ...
    FileNotFoundError: the store's folder /no/such/folder does not exist (store=/no/such/folder/results.sqlite)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"store must be a file path or a ResultStore, got {type(path).__name__}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"store={path} is a folder: give a file such as {path / 'results.sqlite'}")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the store's folder {path.parent} does not exist (store={path})")
    return path


class ResultStore:
    """A resumable SQLite store of sweep results, one row per configuration key.

    Rows hold the key, the tag, the grid point and seed (JSON) and the pickled result frame.
    Every write is its own transaction; concurrent writers wait up to ``timeout`` seconds for
    the lock, and ``INSERT OR IGNORE`` keeps the first row of a key.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file, created if missing; its folder must exist.
    timeout : float, default=60.0
        Seconds to wait for a lock held by another writer.

    Raises
    ------
    FileNotFoundError
        The folder of ``path`` does not exist.
    ValueError
        The file exists but is not a midlib result store.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> with tempfile.TemporaryDirectory() as d, ResultStore(f"{d}/r.sqlite") as store:
    ...     key = config_key({"lam": 1}, seed=0)
    ...     first = store.put(key, {"lam": 1}, 0, pd.DataFrame({"acc": [0.9]}))
    ...     again = store.put(key, {"lam": 1}, 0, pd.DataFrame({"acc": [0.1]}))
    ...     first, again, len(store), store.load([key])[key]["acc"].tolist()
    (True, False, 1, [0.9])
    """

    def __init__(self, path, timeout: float = 60.0):
        self.path = check_store_path(path)
        try:
            self._con = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._con.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._con.execute("PRAGMA journal_mode = WAL")
            self._con.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, "
                              "tag TEXT, params TEXT NOT NULL, seed TEXT NOT NULL, "
                              "frame BLOB NOT NULL, created REAL NOT NULL)")
            tables = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            cols = [r[1] for r in self._con.execute("PRAGMA table_info(results)")]
            version = self._con.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                self._con.execute(f"PRAGMA user_version = {_SCHEMA}")
        except sqlite3.DatabaseError as e:
            self.close()
            raise ValueError(f"{self.path} is not a midlib result store ({e})") from e
        if tables != {"results"} or cols != ["key", "tag", "params", "seed", "frame", "created"]:
            self.close()
            raise ValueError(f"{self.path} is an SQLite file with other tables: not a midlib result store")
        if version not in (0, _SCHEMA):
            self.close()
            raise ValueError(f"{self.path} is a result store of version {version}; this midlib "
                             f"reads version {_SCHEMA}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the connection (also on leaving a ``with`` block).

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     ResultStore(f"{d}/r.sqlite").close()
        """
        con, self._con = getattr(self, "_con", None), None
        if con is not None:
            con.close()

    def __len__(self) -> int:
        return self._con.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def keys(self) -> set[str]:
        """The keys of the stored configurations.

        Returns
        -------
        set of str
            The keys.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d, ResultStore(f"{d}/r.sqlite") as store:
        ...     store.keys()
        set()
        """
        return {r[0] for r in self._con.execute("SELECT key FROM results")}

    def load(self, keys) -> dict[str, pd.DataFrame]:
        """The stored frames of those of ``keys`` that are in the store.

        Parameters
        ----------
        keys : iterable of str
            The keys wanted.

        Returns
        -------
        dict of str to pandas.DataFrame
            Key -> the result frame, for the keys found.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d, ResultStore(f"{d}/r.sqlite") as store:
        ...     store.load(["nope"])
        {}
        """
        wanted, out = sorted(set(keys)), {}
        for start in range(0, len(wanted), 500):  # SQLite caps the number of ? in a statement
            chunk = wanted[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for key, blob in self._con.execute(f"SELECT key, frame FROM results WHERE key IN ({marks})", chunk):
                out[key] = pickle.loads(blob)
        return out

    def put(self, key: str, params: dict, seed, frame, tag: str | None = None) -> bool:
        """Store one configuration's result, unless its key is already there.

        Parameters
        ----------
        key : str
            The key, from :func:`config_key`.
        params : dict
            The grid point (kept as JSON, to read the store back).
        seed : int
            The seed.
        frame : pandas.DataFrame or bytes
            The result frame, or it already pickled.
        tag : str, default=None
            The tag that went into the key (kept to read the store back).

        Returns
        -------
        bool
            True when the row was written, False when the key was already stored.

        Raises
        ------
        TypeError
            The frame cannot be pickled.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> with tempfile.TemporaryDirectory() as d, ResultStore(f"{d}/r.sqlite") as store:
        ...     store.put("k", {"lam": 1}, 0, pd.DataFrame({"acc": [0.5]}))
        True
        """
        blob = frame if isinstance(frame, bytes) else dumps_result(frame, _label(params, seed))
        row = (key, tag, json.dumps(_canonical(dict(params), "a grid value")),
               json.dumps(_canonical(seed, "seed")), sqlite3.Binary(blob), time.time())
        with self._con:
            cur = self._con.execute("INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?, ?, ?)", row)
        return cur.rowcount == 1

    def frame(self) -> pd.DataFrame:
        """Every stored result, concatenated in the order they were written.

        Returns
        -------
        pandas.DataFrame
            The rows of every stored frame (empty when the store is).

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as d, ResultStore(f"{d}/r.sqlite") as store:
        ...     len(store.frame())
        0
        """
        frames = [pickle.loads(b) for (b,) in self._con.execute("SELECT frame FROM results ORDER BY rowid")]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def resolve_n_jobs(n_jobs: int | None = None) -> int:
    """The number of local worker processes a sweep uses.

    ``None`` reads the environment variable ``MIDLIB_N_JOBS`` and is 1 (this process) when it is
    not set: the book's run functions keep state (caches, reconstructions) in closures, which
    worker processes would not send back. Negative values count back from the cores, as in
    joblib: ``-1`` is every core (``joblib.cpu_count()``, which respects CPU affinity and
    container limits), ``-2`` all but one.

    Parameters
    ----------
    n_jobs : int, default=None
        The number asked for, or None for the environment's default.

    Returns
    -------
    int
        At least 1.

    Raises
    ------
    TypeError
        ``n_jobs`` is not an integer.
    ValueError
        ``n_jobs`` is 0, or ``MIDLIB_N_JOBS`` is not a nonzero integer.

    Examples
    --------
    >>> resolve_n_jobs(2), resolve_n_jobs(-1) >= 1
    (2, True)
    >>> resolve_n_jobs(0)
    Traceback (most recent call last):
    ...
    ValueError: n_jobs must be a nonzero integer (1: this process, -1: every core), got 0
    """
    name = "n_jobs"
    if n_jobs is None:
        env = os.environ.get(N_JOBS_ENV, "").strip()
        if not env:
            return 1
        try:
            n_jobs, name = int(env), N_JOBS_ENV
        except ValueError:
            raise ValueError(f"{N_JOBS_ENV} must be an integer, got {env!r}") from None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral):
        raise TypeError(f"{name} must be an integer or None, got {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError(f"{name} must be a nonzero integer (1: this process, -1: every core), got 0")
    return int(n_jobs) if n_jobs > 0 else max(1, joblib.cpu_count() + 1 + int(n_jobs))


def _as_frame(out, params: dict, seed) -> pd.DataFrame:
    if isinstance(out, dict):
        out = pd.DataFrame([out])
    elif isinstance(out, list):
        out = pd.DataFrame(out)
    elif isinstance(out, pd.DataFrame):
        out = out.copy()
    else:
        raise TypeError(f"{_label(params, seed)} returned {type(out).__name__}: run must return "
                        "a dict, a list of dicts or a DataFrame")
    for k, v in params.items():
        if k not in out.columns:
            out[k] = v
    if "seed" not in out.columns:
        out["seed"] = seed
    return out


def dumps_result(frame: pd.DataFrame, label: str = "run") -> bytes:
    """Pickle a result frame, with an error that names the call when it cannot be.

    Parameters
    ----------
    frame : pandas.DataFrame
        The result of one call.
    label : str, default="run"
        The call, e.g. ``"run(lam=1, seed=0)"``, for the error message.

    Returns
    -------
    bytes
        The pickle (protocol 5).

    Raises
    ------
    TypeError
        The frame holds something that cannot be pickled (a lambda, a lock, a generator).

    Examples
    --------
    >>> import pandas as pd
    >>> len(dumps_result(pd.DataFrame({"acc": [0.5]}))) > 0
    True
    """
    try:
        return pickle.dumps(frame, protocol=_PICKLE_PROTOCOL)
    except Exception as e:  # PicklingError, TypeError, AttributeError, ...
        raise TypeError(f"{label} returned a result that cannot be pickled, which a store or a "
                        f"worker process needs: {type(e).__name__}: {e}") from e


@contextlib.contextmanager
def _one_thread():
    """BLAS, OpenMP and (if loaded) torch limited to one thread, inside a worker process."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(before)


def _call(run: Callable, params: dict, seed, index: int, pack: bool, worker: bool):
    """One task: ``(index, frame)``, the frame pickled when ``pack``; errors name the call."""
    with _one_thread() if worker else contextlib.nullcontext():
        try:
            out = run(**params, seed=seed)
        except Exception as e:
            raise SweepError(f"{_label(params, seed)} failed: {type(e).__name__}: {e}", params, seed) from e
    frame = _as_frame(out, params, seed)
    return index, (dumps_result(frame, _label(params, seed)) if pack else frame)


def _client(scheduler):
    """The Dask client for ``scheduler`` and whether this module opened it (and must close it)."""
    try:
        from distributed import Client
    except ImportError as e:  # pragma: no cover - distributed is pinned in requirements.txt
        raise ImportError("scheduler= needs dask.distributed: pip install distributed") from e
    if isinstance(scheduler, Client):
        return scheduler, False
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise TypeError(f"scheduler must be an address such as 'tcp://host:8786' or a "
                        f"distributed.Client, got {scheduler!r}")
    try:
        return Client(scheduler, set_as_default=False), True
    except (OSError, TimeoutError) as e:
        raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler!r}: {e}") from e


def _execute(run, tasks, todo, workers, n_jobs, scheduler, pack):
    """Yield ``(index, frame or pickle)`` for the tasks in ``todo``, in any order."""
    if not todo:  # everything was in the store: no pool, no cluster connection
        return
    if scheduler is None and (workers == 1 or len(todo) <= 1):
        for i in todo:
            yield _call(run, *tasks[i], i, pack, False)
        return
    calls = (joblib.delayed(_call)(run, *tasks[i], i, True, True) for i in todo)
    if scheduler is None:  # loky, unless the caller chose another backend with parallel_config
        yield from joblib.Parallel(n_jobs=workers, return_as="generator_unordered")(calls)
        return
    client, own = _client(scheduler)
    try:
        with joblib.parallel_config(backend="dask", client=client):
            yield from joblib.Parallel(n_jobs=-1 if n_jobs is None else n_jobs,
                                       return_as="generator_unordered")(calls)
    finally:
        if own:
            client.close()


def run_tasks(run: Callable, tasks: list, desc: str = "sweep", *, n_jobs: int | None = None,
              scheduler=None, store=None, tag: str | None = None) -> list[pd.DataFrame]:
    """Run ``run(**params, seed=seed)`` for each task; the engine of :func:`midlib.frontier.sweep`.

    Parameters
    ----------
    run : callable
        ``run(**params, seed=s)`` returns a dict (one row), a list of dicts or a DataFrame.
    tasks : list of (dict, int)
        The grid points and seeds, in the order of the result.
    desc : str, default="sweep"
        Label of the progress bar (shown only in a terminal).
    n_jobs : int, default=None
        Local worker processes (see :func:`resolve_n_jobs`); with ``scheduler``, the number of
        cluster threads to use (None: all).
    scheduler : str or distributed.Client, default=None
        A Dask scheduler address (``"tcp://host:8786"``) or client; None reads
        ``MIDLIB_SCHEDULER`` and runs locally when it is not set.
    store : str, os.PathLike or ResultStore, default=None
        The result store; None keeps nothing.
    tag : str, default=None
        The version of ``run`` that goes into the store keys.

    Returns
    -------
    list of pandas.DataFrame
        One frame per task, in the order of ``tasks``, with the grid parameters and ``seed``
        added as columns.

    Raises
    ------
    SweepError
        A call failed; the message names its grid point and seed.
    TypeError
        ``run`` is not callable, returns something else than a dict, a list of dicts or a
        DataFrame, or (with a store or worker processes) a result that cannot be pickled.

    Examples
    --------
    >>> frames = run_tasks(lambda lam, seed: {"acc": lam}, [({"lam": 1}, 0), ({"lam": 2}, 0)])
    >>> [f["acc"].item() for f in frames]
    [1, 2]
    """
    if not callable(run):
        raise TypeError(f"run must be callable, got {type(run).__name__}")
    if tag is not None and not isinstance(tag, str):
        raise TypeError(f"tag must be a string or None, got {tag!r}")
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or None
    workers = resolve_n_jobs(n_jobs) if scheduler is None or n_jobs is not None else None
    own_store = store is not None and not isinstance(store, ResultStore)
    db = ResultStore(store) if own_store else store
    try:
        keys = [config_key(p, s, tag) for p, s in tasks] if db is not None else None
        found = db.load(keys) if db is not None else {}
        frames = [found.get(k) for k in keys] if db is not None else [None] * len(tasks)
        todo = [i for i, f in enumerate(frames) if f is None]
        with progress(total=len(tasks), desc=desc) as bar, \
                contextlib.closing(_execute(run, tasks, todo, workers, n_jobs, scheduler,
                                            pack=db is not None)) as results:
            bar.update(len(tasks) - len(todo))
            for i, out in results:
                frames[i] = pickle.loads(out) if isinstance(out, bytes) else out
                if db is not None:
                    db.put(keys[i], *tasks[i], out, tag=tag)
                bar.update()
    finally:
        if own_store:
            db.close()
    return frames
