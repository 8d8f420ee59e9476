"""The package's shape, read as an import graph: small modules, no private name imported across
modules, the torch substrate independent of every defense, and faces that re-export what they
promise."""

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "midlib"
MAX_LINES = 400


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def imports(path, root=PACKAGE):
    """(module, name) for every ``from module import name`` of a file (relative ones resolved)."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            out += [(base, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(alias.name, None) for alias in node.names]
    return out


def code_lines(source: str) -> int:
    """Lines of code: not blank, not a comment, not inside a docstring (the numpydoc sections
    that every public name carries would otherwise double each module's count)."""
    docs = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(getattr(body[0], "value", None), ast.Constant) \
                and isinstance(body[0].value.value, str):
            docs.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i, line in enumerate(source.splitlines(), 1)
               if i not in docs and line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_module_is_small(path):
    n = code_lines(path.read_text())
    assert n <= MAX_LINES, f"{path} has {n} lines of code, over {MAX_LINES}: split it"


def test_code_lines_leave_out_docstrings_and_comments():
    assert code_lines('"""doc\nmore"""\n# c\n\ndef f():\n    """d"""\n    return 1\n') == 2


def test_no_private_name_crosses_a_module_boundary():
    bad = [f"{p.relative_to(PACKAGE.parent)}: from {m} import {n}" for p in modules()
           for m, n in imports(p)
           if m.startswith("midlib") and n is not None and n.startswith("_") and n != "__version__"]
    assert not bad, "\n".join(bad)


def test_torch_substrate_imports_no_defense():
    bad = [f"{p.name}: {m}" for p in (PACKAGE / "nn").glob("*.py") for m, _ in imports(p)
           if m.startswith(("midlib.defenses", "midlib.attacks", "midlib.experiments"))]
    assert not bad, bad


@pytest.mark.parametrize("face", ["midlib.data", "midlib.game", "midlib.stats", "midlib.leakage",
                                  "midlib.defenses", "midlib.attacks", "midlib.nn",
                                  "midlib.metrics", "midlib.experiments", "midlib.frontier",
                                  "midlib.checks", "midlib.auditing", "midlib.publish",
                                  "midlib.sweeps"])
def test_faces_export_what_they_list(face):
    module = importlib.import_module(face)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing and len(set(module.__all__)) == len(module.__all__), missing


def test_a_planted_private_import_is_caught(tmp_path):
    """The checks above can fail: a planted private import and a relative one are both read."""
    fake = tmp_path / "midlib" / "sub" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from midlib.game import _hide\nfrom ..nn import train_classifier\n")
    found = imports(fake, root=tmp_path / "midlib")
    assert ("midlib.game", "_hide") in found and ("midlib.nn", "train_classifier") in found


def test_the_audit_reaches_attacks_only_through_the_game_engine():
    """One engine: the audit calls midlib.game, which alone calls the tabular attacks."""
    import re

    root = Path(__file__).resolve().parents[1] / "midlib"
    for path in list((root / "auditing").glob("*.py")) + [root / "cli.py"]:
        code = path.read_text()
        assert not re.search(r"^\s*(from|import) midlib\.attacks", code, re.M), path
    users = [p for p in root.rglob("*.py") if "midlib.attacks.tabular import" in p.read_text()]
    assert {p.parent.name for p in users} <= {"game"}, users
