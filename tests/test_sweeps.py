"""Sweeps on local worker processes, on a Dask cluster and into a resumable store: the same rows
as the serial run, resumed after a kill without recomputing, safe with concurrent writers."""

import functools
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from midlib import sweeps
from midlib.frontier import sweep
from midlib.sweeps import ResultStore, SweepError, config_key, resolve_n_jobs

ROOT = Path(__file__).resolve().parent.parent
GRID = {"method": ["MID", "DP"], "lam": [0.0, 0.5, 1.0]}
SEEDS = [0, 1]
N = 2 * 3 * 2


def work(method, lam, seed):
    """A cheap pure-numpy 'experiment': two rows with float, int, str and bool columns."""
    rng = np.random.default_rng([seed, int(lam * 10), len(method)])
    x = rng.normal(size=(40, 40))
    v = float(np.linalg.eigvalsh(x @ x.T).max())
    return [{"split": s, "attack": v * (1 + lam) + i, "n": int(rng.integers(100)), "ok": v > 50}
            for i, s in enumerate(("training", "held-out"))]


def counted(method, lam, seed, *, log, die_after=None, fail_at=None, sleep=0.0, barrier=None):
    """``work``, logging each call as a line of ``log``; exits the process before call
    ``die_after + 1`` (a kill mid-sweep), raises at the point ``fail_at``, and waits until
    two processes have reached the folder ``barrier`` (so that both start on an empty store)."""
    if barrier is not None:
        import time
        Path(barrier, str(os.getpid())).touch()
        deadline = time.monotonic() + 60
        while len(os.listdir(barrier)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    if die_after is not None and len(Path(log).read_text().splitlines()) >= die_after:
        os._exit(3)
    if (method, lam, seed) == fail_at:
        raise RuntimeError("diverged")
    with open(log, "a") as f:
        f.write(f"{method},{lam},{seed}\n")
    if sleep:
        import time
        time.sleep(sleep)
    return work(method, lam, seed)


def calls(log):
    return [tuple(line.split(",")) for line in Path(log).read_text().splitlines()]


def must_not_run(**kwargs):
    raise AssertionError(f"called with {kwargs}")


@pytest.fixture(scope="module")
def serial():
    return sweep(work, GRID, SEEDS, n_jobs=1)


def test_serial_is_the_old_sweep(serial):
    assert len(serial) == N * 2
    assert serial.columns.tolist() == ["split", "attack", "n", "ok", "method", "lam", "seed"]
    assert serial[["method", "lam", "seed"]].drop_duplicates().apply(tuple, axis=1).tolist() == \
        [(m, lam, s) for m in GRID["method"] for lam in GRID["lam"] for s in SEEDS]


def test_local_parallel_equals_serial(serial):
    pd.testing.assert_frame_equal(sweep(work, GRID, SEEDS, n_jobs=2), serial)
    offset = 0.0
    closure = lambda method, lam, seed: work(method, lam + offset, seed)  # noqa: E731
    pd.testing.assert_frame_equal(sweep(closure, GRID, SEEDS, n_jobs=2), serial)


def threads(x, seed):
    from threadpoolctl import threadpool_info
    return {"max_threads": max([p["num_threads"] for p in threadpool_info()] or [1])}


def test_workers_run_with_one_thread():
    assert (sweep(threads, {"x": [0, 1]}, [0, 1], n_jobs=2)["max_threads"] == 1).all()
    _, frame = sweeps._call(threads, {"x": 0}, 0, 0, pack=False, worker=True)  # the limit itself
    assert frame["max_threads"].item() == 1


def test_n_jobs_and_environment(monkeypatch):
    monkeypatch.delenv(sweeps.N_JOBS_ENV, raising=False)
    assert resolve_n_jobs() == 1 and resolve_n_jobs(3) == 3 and resolve_n_jobs(-1) >= 1
    monkeypatch.setenv(sweeps.N_JOBS_ENV, "2")
    assert resolve_n_jobs() == 2
    monkeypatch.setenv(sweeps.N_JOBS_ENV, "many")
    with pytest.raises(ValueError, match="MIDLIB_N_JOBS must be an integer, got 'many'"):
        sweep(must_not_run, GRID, SEEDS)
    with pytest.raises(ValueError, match="nonzero"):
        resolve_n_jobs(0)
    with pytest.raises(TypeError, match="integer"):
        resolve_n_jobs(2.0)


def test_dask_local_cluster_equals_serial(serial):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        by_address = sweep(work, GRID, SEEDS, scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            by_client = sweep(lambda method, lam, seed: work(method, lam, seed), GRID, SEEDS,
                              scheduler=client)
            with pytest.raises(SweepError, match=r"run\(method='DP', lam=0.5, seed=1\) failed"):
                sweep(functools.partial(counted, log=os.devnull, fail_at=("DP", 0.5, 1)), GRID,
                      SEEDS, scheduler=client)
    pd.testing.assert_frame_equal(by_address, serial)
    pd.testing.assert_frame_equal(by_client, serial)


def test_store_resumes_and_never_recomputes(tmp_path, serial):
    log, store = tmp_path / "calls.log", tmp_path / "r.sqlite"
    log.touch()
    first = sweep(functools.partial(counted, log=log), GRID, SEEDS, n_jobs=1, store=store, tag="v1")
    again = sweep(functools.partial(counted, log=log), GRID, SEEDS, n_jobs=2, store=store, tag="v1")
    pd.testing.assert_frame_equal(first, serial)
    pd.testing.assert_frame_equal(again, serial)
    assert len(calls(log)) == N  # the second sweep read every row from the store
    sweep(functools.partial(counted, log=log), GRID, [0], n_jobs=1, store=store, tag="v2")
    assert len(calls(log)) == N + N // 2  # a new tag recomputes
    with ResultStore(store) as db:
        assert len(db) == N + N // 2 and len(db.frame()) == 2 * (N + N // 2)
        assert db._con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_failing_point_names_itself_and_keeps_the_finished_ones(tmp_path, serial):
    log, store = tmp_path / "calls.log", tmp_path / "r.sqlite"
    log.touch()
    fail = ("DP", 0.5, 1)
    with pytest.raises(SweepError, match=r"run\(method='DP', lam=0.5, seed=1\) failed: RuntimeError: diverged"):
        sweep(functools.partial(counted, log=log, fail_at=fail), GRID, SEEDS, n_jobs=1, store=store)
    done = calls(log)
    assert len(done) == 9  # the points before DP, 0.5, seed 1
    with ResultStore(store) as db:
        assert len(db) == 9
    resumed = sweep(functools.partial(counted, log=log), GRID, SEEDS, n_jobs=2, store=store)
    assert sorted(calls(log)[9:]) == sorted([("DP", "0.5", "1"), ("DP", "1.0", "0"), ("DP", "1.0", "1")])
    pd.testing.assert_frame_equal(resumed, serial)
    with pytest.raises(SweepError, match=r"lam=0.5, seed=1\) failed: RuntimeError: diverged") as err:
        sweep(functools.partial(counted, log=os.devnull, fail_at=fail), GRID, SEEDS, n_jobs=2)
    assert "DP" in str(err.value)


def script(body: str) -> list[str]:
    prelude = (f"import functools, sys; sys.path.insert(0, {str(ROOT)!r})\n"
               "from tests.test_sweeps import counted, GRID, SEEDS\n"
               "from midlib.frontier import sweep\n")
    return [sys.executable, "-c", prelude + textwrap.dedent(body)]


def test_a_killed_sweep_resumes_where_it_stopped(tmp_path, serial):
    log, store = tmp_path / "calls.log", tmp_path / "r.sqlite"
    log.touch()
    proc = subprocess.run(script(f"""
        sweep(functools.partial(counted, log={str(log)!r}, die_after=5), GRID, SEEDS,
              n_jobs=1, store={str(store)!r}, tag="t")
        """), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr  # died in the 6th call, without any cleanup
    assert len(calls(log)) == 5
    with ResultStore(store) as db:
        assert len(db) == 5  # each finished point was written when it finished
    resumed = sweep(functools.partial(counted, log=log), GRID, SEEDS, n_jobs=1, store=store, tag="t")
    assert len(calls(log)) == N and len(set(calls(log))) == N  # only the missing ones ran
    pd.testing.assert_frame_equal(resumed, serial)


def test_concurrent_writers_leave_every_row_once(tmp_path, serial):
    store, barrier = tmp_path / "r.sqlite", tmp_path / "barrier"
    barrier.mkdir()
    logs = [tmp_path / f"calls{i}.log" for i in range(2)]
    procs = []
    for i, log in enumerate(logs):
        log.touch()
        seeds = [SEEDS, SEEDS[::-1]][i]  # overlapping grids, visited in different orders
        procs.append(subprocess.Popen(script(f"""
            sweep(functools.partial(counted, log={str(log)!r}, sleep=0.02, barrier={str(barrier)!r}),
                  GRID, {seeds!r},
                  n_jobs=1, store={str(store)!r})
            """), stderr=subprocess.PIPE, text=True))
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    con = sqlite3.connect(store)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    keys = [k for (k,) in con.execute("SELECT key FROM results")]
    con.close()
    assert len(keys) == len(set(keys)) == N
    assert sum(len(calls(log)) for log in logs) == 2 * N  # both computed, and wrote, every row
    assert set(keys) == {config_key({"method": m, "lam": lam}, s) for m in GRID["method"]
                         for lam in GRID["lam"] for s in SEEDS}
    pd.testing.assert_frame_equal(sweep(must_not_run, GRID, SEEDS, store=store), serial)


def test_bad_input_fails_before_any_work(tmp_path):
    with pytest.raises(FileNotFoundError, match="store's folder .*missing does not exist"):
        sweep(must_not_run, GRID, SEEDS, store=tmp_path / "missing" / "r.sqlite")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        sweep(must_not_run, GRID, SEEDS, store=tmp_path)
    (tmp_path / "notes.sqlite").write_text("not a database, just notes" * 100)
    with pytest.raises(ValueError, match="not a midlib result store"):
        sweep(must_not_run, GRID, SEEDS, store=tmp_path / "notes.sqlite")
    with pytest.raises(TypeError, match="cannot be part of a store key"):
        sweep(must_not_run, {"model": [object()]}, SEEDS, store=tmp_path / "r.sqlite")
    with pytest.raises(TypeError, match="tag must be a string"):
        sweep(must_not_run, GRID, SEEDS, store=tmp_path / "r.sqlite", tag=1)
    with pytest.raises(TypeError, match="scheduler must be an address"):
        sweep(must_not_run, GRID, SEEDS, scheduler=8786)
    with pytest.raises(TypeError, match="run must be callable"):
        sweep("run", GRID, SEEDS)


def test_results_that_cannot_be_pickled(tmp_path):
    def unpicklable(lam, seed):
        return {"acc": 0.5, "model": lambda x: x}
    assert len(sweep(unpicklable, {"lam": [1]}, [0], n_jobs=1)) == 1  # nothing to pickle
    with pytest.raises(TypeError, match=r"run\(lam=1, seed=0\) returned a result that cannot be pickled"):
        sweep(unpicklable, {"lam": [1]}, [0], store=tmp_path / "r.sqlite")
    with pytest.raises(TypeError, match=r"run\(lam=., seed=.\) returned a result that cannot be pickled"):
        sweep(unpicklable, {"lam": [1, 2]}, [0, 1], n_jobs=2)
    with ResultStore(tmp_path / "r.sqlite") as db:
        assert len(db) == 0
    with pytest.raises(TypeError, match=r"run\(lam=1, seed=0\) returned str"):
        sweep(lambda lam, seed: "0.5", {"lam": [1]}, [0])


def test_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    dask = pytest.importorskip("dask")
    monkeypatch.setenv(sweeps.SCHEDULER_ENV, "tcp://127.0.0.1:9")  # nothing listens there
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ConnectionError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
            sweep(must_not_run, GRID, SEEDS)
    monkeypatch.delenv(sweeps.SCHEDULER_ENV)
    store = tmp_path / "r.sqlite"
    full = sweep(work, GRID, SEEDS, n_jobs=1, store=store)
    # a complete store needs no cluster: nothing is sent, so the bad address is never dialled
    again = sweep(must_not_run, GRID, SEEDS, store=store, scheduler="tcp://127.0.0.1:9")
    pd.testing.assert_frame_equal(again, full)


def test_notebook_lambdas_and_closures_run_on_workers():
    """Functions defined in ``__main__`` (a notebook's kernel) travel by value to loky workers."""
    code = f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        import numpy as np
        from midlib.frontier import sweep
        data = np.arange(4.0)
        def make(scale):
            return lambda lam, seed: {{"v": float(data.sum() * lam * scale + seed)}}
        res = sweep(make(2.0), {{"lam": [1, 2]}}, [0, 1], n_jobs=2)
        print(res["v"].tolist())
        """
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == "[12.0, 13.0, 24.0, 25.0]"


def test_a_parallel_sweep_killed_with_sigkill_resumes(tmp_path, serial):
    import signal
    import time
    log, store = tmp_path / "calls.log", tmp_path / "r.sqlite"
    log.touch()
    proc = subprocess.Popen(script(f"""
        sweep(functools.partial(counted, log={str(log)!r}, sleep=0.3), GRID, SEEDS,
              n_jobs=2, store={str(store)!r})
        """), stderr=subprocess.DEVNULL, start_new_session=True)  # its own process group
    deadline, stored = time.monotonic() + 90, 0
    while stored < 4 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if store.exists():
            con = sqlite3.connect(store, timeout=10)
            try:
                stored = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:  # the table is not there yet
                pass
            con.close()
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its worker processes, as a job kill does
    proc.wait(timeout=30)
    with ResultStore(store) as db:
        done = len(db)
    assert 4 <= done < N
    before = len(calls(log))
    resumed = sweep(functools.partial(counted, log=log), GRID, SEEDS, n_jobs=1, store=store)
    assert len(calls(log)) - before == N - done  # the in-flight calls ran again, nothing else
    pd.testing.assert_frame_equal(resumed, serial)
