"""The graded assignments (assignments/<NN-name>/<NN-name>.ipynb, Otter Assign masters) checked
both ways.

For every assignment, ``otter assign`` must turn the master into a student notebook and an
autograder zip; the reference solution (the autograder notebook) must score full marks on every
test, public and hidden; the blank student notebook must run through the grader without crashing
it and lose the points of every hidden test. Where a question asks students to implement what
midlib implements, a "cheat" (the solution with that function replaced by a call to midlib's
reference implementation) must lose that question's hidden points too: the hidden tests switch
midlib's implementation off.

Grading goes through otter's Python API (``otter.api.grade_submission``, what ``otter run``
does): it executes the notebook in a fresh kernel, offline, without containers. The grading
tests are marked slow: about 80 s for the five assignments on two cores.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

otter_api = pytest.importorskip("otter.api", reason="otter-grader is not installed")

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
NAMES = sorted(p.name for p in ASSIGNMENTS.iterdir()
               if p.is_dir() and not p.name.startswith(("_", ".")))

# name -> (questions whose hidden tests the cheat must fail, the cell appended to the solution)
CHEATS = {
    "01-bayes-advantage": ({"q1", "q2", "q3"}, """
import numpy as np
import midlib.leakage

def bayes_success(prior, channel):
    return float(midlib.leakage.bayes_success(np.asarray(prior)[:, None] * np.asarray(channel)))

def mutual_information(prior, channel):
    return float(midlib.leakage.channel_mutual_information(prior, channel))
"""),
    "02-gaussian-mid": ({"q1", "q2", "q3", "q4"}, """
import numpy as np
from midlib.leakage import linear_gaussian_mi
from midlib.defenses import optimal_noise_variance, optimal_shrinkage, MIDLinearRegression

def gaussian_leakage(w, cov, sigma):
    return float(linear_gaussian_mi(w, cov, sigma))

def mid_fit(X, y, lam):
    model = MIDLinearRegression(lam=lam, random_state=0).fit(X, y)
    return model.coef_, float(model.intercept_), float(model.noise_variance_)
"""),
    "03-functional-mechanism": ({"q1", "q2", "q3"}, """
from midlib.defenses import functional_mechanism_sensitivity

def fm_sensitivity(d, fit_intercept=True):
    return functional_mechanism_sensitivity(d, fit_intercept)

def brute_force_sensitivity(d, fit_intercept=True):
    return functional_mechanism_sensitivity(d, fit_intercept)
"""),
    "04-averaging-attack": ({"q3"}, """
import numpy as np
from midlib.leakage import map_bayes_accuracy

def exact_success(k, prior, mu, sigma):
    return float(map_bayes_accuracy(np.asarray(mu), np.asarray(prior), noise_sd=sigma / np.sqrt(k)))
"""),
}


def _run_assign(name, out):
    master = ASSIGNMENTS / name / f"{name}.ipynb"
    proc = subprocess.run([sys.executable, "-m", "otter", "assign", "--no-run-tests",
                           str(master), str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, f"otter assign failed on {name}:\n{proc.stdout}\n{proc.stderr}"
    zips = list((out / "autograder").glob("*.zip"))
    assert len(zips) == 1, f"otter assign made {zips} for {name}"
    return {"zip": zips[0], "solution": out / "autograder" / f"{name}.ipynb",
            "student": out / "student" / f"{name}.ipynb"}


def _grade(notebook, zip_path):
    """{question: (score, possible, {hidden: [passed, ...]})} of one notebook."""
    results = otter_api.grade_submission(str(notebook), str(zip_path), quiet=True)
    out = {}
    for name, test_file in results.results.items():
        cases = {True: [], False: []}
        for case in test_file.test_case_results:
            cases[bool(case.test_case.hidden)].append(bool(case.passed))
        out[name] = (test_file.score, test_file.possible, cases)
    return out


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    made = {}

    def get(name):
        if name not in made:
            made[name] = _run_assign(name, tmp_path_factory.mktemp(name))
        return made[name]
    return get


def test_there_are_at_least_five_assignments():
    assert len(NAMES) >= 5, NAMES
    for name in NAMES:
        assert (ASSIGNMENTS / name / f"{name}.ipynb").exists(), f"{name} has no master notebook"


@pytest.mark.parametrize("name", NAMES)
def test_master_is_stored_without_outputs(name):
    nb = json.loads((ASSIGNMENTS / name / f"{name}.ipynb").read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{name}: cells {dirty} carry outputs; strip them"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_solution_passes_every_test(dist, name):
    paths = dist(name)
    grades = _grade(paths["solution"], paths["zip"])
    assert grades, f"{name}: the autograder found no questions"
    for question, (score, possible, cases) in grades.items():
        assert cases[True], f"{name} {question} has no hidden test"
        assert all(cases[True]) and all(cases[False]) and score == possible, \
            f"{name} {question}: the reference solution scores {score}/{possible} ({cases})"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_blank_student_notebook_fails_the_hidden_tests(dist, name):
    paths = dist(name)
    text = paths["student"].read_text()
    assert "# BEGIN SOLUTION" not in text and "# SOLUTION" not in text, f"{name}: a solution leaks"
    assert json.loads(text)["metadata"]["otter"]["tests"], f"{name}: students get no public test"
    assert "hidden=True" not in text, f"{name}: hidden tests leak to the students' notebook"
    grades = _grade(paths["student"], paths["zip"])
    for question, (score, possible, cases) in grades.items():
        assert not any(cases[True]), f"{name} {question}: a blank notebook passes a hidden test"
        assert score < possible, f"{name} {question}: a blank notebook scores {score}/{possible}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHEATS))
def test_calling_midlib_does_not_pass_the_hidden_tests(dist, name, tmp_path):
    import nbformat

    questions, code = CHEATS[name]
    paths = dist(name)
    nb = nbformat.read(paths["solution"], as_version=4)
    # the grader runs a question's tests where its grader.check cell stands: drop those cells
    # so that every test runs at the end, after the cheat has replaced the solution's functions
    nb.cells = [c for c in nb.cells if "grader.check" not in c.source]
    nb.cells.append(nbformat.v4.new_code_cell(code))
    cheat = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, cheat)
    grades = _grade(cheat, paths["zip"])
    for question in questions:
        score, possible, cases = grades[question]
        assert not all(cases[True]), \
            f"{name} {question}: calling midlib's reference implementation passes the hidden tests"
