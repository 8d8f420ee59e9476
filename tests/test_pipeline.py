"""The book pipeline: table of contents, change detection, errors, and a quick build of the book."""

from pathlib import Path

import nbformat
import pytest
import yaml

from tools import book as pipeline

ROOT = pipeline.ROOT


def test_toc_lists_existing_pages_and_notebooks_in_order():
    notebooks = pipeline.book_notebooks()
    assert notebooks[0] == "notebooks/data.ipynb"
    for nb in notebooks:
        assert (ROOT / nb).exists()


def test_notebook_sources_are_stripped_and_have_parameters():
    for nb_path in pipeline.book_notebooks():
        nb = nbformat.read(ROOT / nb_path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.get("outputs") for c in code), f"{nb_path} has outputs: strip them"
        tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{nb_path} needs exactly one cell tagged 'parameters'"
        assert 'profile = "full"' in tagged[0].source and "seed = 0" in tagged[0].source


def test_unknown_profile_is_refused(capsys):
    assert pipeline.main(["book", "--profile", "fast"]) == 1
    assert "unknown profile 'fast'" in capsys.readouterr().err


def test_unknown_only_notebook_is_refused(tmp_path, capsys):
    code = pipeline.main(["notebooks", "--profile", "quick", "--build-dir", str(tmp_path),
                          "--only", "notebooks/nope.ipynb"])
    assert code == 1
    assert "not notebooks of the book" in capsys.readouterr().err


def test_toc_entry_without_page_is_an_error(tmp_path):
    (tmp_path / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "intro", "chapters": [{"file": "notebooks/missing"}]}))
    (tmp_path / "intro.md").write_text("# x\n")
    with pytest.raises(FileNotFoundError, match="notebooks/missing"):
        pipeline.book_notebooks(tmp_path)


def test_restrict_toc_keeps_pages_and_selected_notebooks():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    small = pipeline.restrict_toc(toc, {"notebooks/data.ipynb"})
    files = pipeline.toc_files(small)
    assert "notebooks/data" in files and "book/api" in files
    assert not [f for f in files if f.startswith("notebooks/") and f != "notebooks/data"]


def test_why_rerun_reports_each_cause(tmp_path):
    executed = tmp_path / "x.ipynb"
    executed.write_text("{}")
    key = {"source": "a", "parameters": "p", "midlib": "m", "requirements": "r"}
    assert pipeline.why_rerun(None, key, executed) == "never executed in this build folder"
    assert pipeline.why_rerun(key, key, executed) is None
    assert pipeline.why_rerun({**key, "source": "b"}, key, executed) == "the notebook changed"
    assert pipeline.why_rerun({**key, "midlib": "x"}, key, executed) == "the midlib modules it imports changed"
    assert pipeline.why_rerun({**key, "parameters": "q"}, key, executed) == "the parameters changed"
    assert pipeline.why_rerun(key, key, tmp_path / "gone.ipynb") == "its executed copy is missing"


def _tiny_book(root: Path, body: str):
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "midlib").mkdir()
    (root / "midlib" / "__init__.py").write_text("")
    (root / "midlib" / "profiles.py").write_text("")
    (root / "midlib" / "unrelated.py").write_text("")
    (root / "requirements.txt").write_text("")
    (root / "references.bib").write_text("")
    (root / "_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: 'off'\n")
    (root / "_toc.yml").write_text(yaml.safe_dump(
        {"format": "jb-book", "root": "book/intro",
         "parts": [{"caption": "p", "chapters": [{"file": "notebooks/nb"}]}]}))
    (root / "book" / "intro.md").write_text("# intro\n")
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "full"\nseed = 0')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# nb"), params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "notebooks" / "nb.ipynb")


def test_failing_notebook_names_error_and_executed_copy(tmp_path):
    src = tmp_path / "src"
    _tiny_book(src, "raise AssertionError('claim violated: ' + profile)")
    with pytest.raises(pipeline.NotebookFailed) as err:
        pipeline.run_notebooks("quick", tmp_path / "build", root=src, log=lambda *a: None)
    msg = str(err.value)
    assert "AssertionError" in msg and "claim violated: quick" in msg
    assert str(tmp_path / "build" / "src" / "notebooks" / "nb.ipynb") in msg
    assert (tmp_path / "build" / "src" / "notebooks" / "nb.ipynb").exists()


def test_rerun_only_what_changed(tmp_path):
    src = tmp_path / "src"
    _tiny_book(src, "from midlib import profiles\nprint(profile, seed)")
    build = tmp_path / "build"
    first = pipeline.run_notebooks("quick", build, seed=1, root=src, log=lambda *a: None)
    assert [r.reused for r in first] == [False]
    executed = nbformat.read(build / "src" / "notebooks" / "nb.ipynb", as_version=4)
    assert "quick 1" in executed.cells[-1].outputs[0]["text"]
    again = pipeline.run_notebooks("quick", build, seed=1, root=src, log=lambda *a: None)
    assert [r.reused for r in again] == [True]
    other_seed = pipeline.run_notebooks("quick", build, seed=2, root=src, log=lambda *a: None)
    assert other_seed[0].reason == "the parameters changed"
    (src / "midlib" / "unrelated.py").write_text("# changed\n")  # not imported by the notebook
    assert pipeline.run_notebooks("quick", build, seed=2, root=src, log=lambda *a: None)[0].reused
    (src / "midlib" / "profiles.py").write_text("# changed\n")
    after = pipeline.run_notebooks("quick", build, seed=2, root=src, log=lambda *a: None)
    assert after[0].reason == "the midlib modules it imports changed"


def test_midlib_dependencies_follow_imports_transitively(tmp_path):
    deps = pipeline.midlib_dependencies(ROOT, "notebooks/mid_linear.ipynb")
    names = {str(p.relative_to(ROOT)) for p in deps}
    # imported by the notebook through the faces, and transitively (game -> data.task)
    assert {"midlib/defenses/mid_linear.py", "midlib/attacks/map.py", "midlib/game/adversary.py",
            "midlib/data/task.py", "midlib/__init__.py"} <= names
    assert "midlib/cli.py" not in names


def test_runtime_table():
    runs = [pipeline.NotebookRun("notebooks/a.ipynb", 1.25, False, "forced"),
            pipeline.NotebookRun("notebooks/b.ipynb", 2.0, True, "")]
    table = pipeline.runtime_table(runs, "quick", 0)
    assert "`notebooks/a.ipynb` | 1.2" in table and "**3.2**" in table and "quick" in table


@pytest.mark.slow
def test_quick_book_builds_without_warnings(quick_book):
    """Execute every notebook of the book in the quick profile and build the HTML with -W."""
    build = quick_book
    assert (build / "_build" / "html" / "index.html").exists()
    html = (build / "_build" / "html" / "book" / "intro.html").read_text()
    assert "Model Inversion" in html and "mathjax/tex-chtml.js" in html  # maths served offline
    # The reproducibility appendix holds the table the pipeline wrote, with every notebook.
    repro = (build / "_build" / "html" / "book" / "reproducibility.html").read_text()
    for nb in pipeline.book_notebooks():
        assert nb in repro


@pytest.mark.slow
def test_student_edition_hides_every_solution(tmp_path):
    """`make book STUDENT=1`: the same chapter with its solutions, and without them."""
    pages = {}
    for student in (False, True):
        build = tmp_path / ("student" if student else "teacher")
        pipeline.build_book("quick", build, only=["notebooks/data.ipynb"], student=student,
                            log=lambda *a: None)
        pages[student] = (build / "_build" / "html" / "notebooks" / "data.html").read_text()
    assert pages[False].count('class="solution') > 0, "the planted control: solutions present"
    assert pages[True].count('class="solution') == 0, "the student edition shows a solution"
    assert pages[True].count("exercise") >= pages[False].count('class="solution')


def test_overrides_are_parsed_as_json_and_refused_without_a_key():
    assert pipeline.parse_overrides(["seeds=[0, 1]", "epochs=5", "name=steak"]) == {
        "seeds": [0, 1], "epochs": 5, "name": "steak"}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        pipeline.parse_overrides(["seeds"])
