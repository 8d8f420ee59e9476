"""Every public name of midlib's faces has a numpydoc docstring with its parameters, what it
returns and a runnable example (the examples run as doctests: ``--doctest-modules``)."""

import importlib
import inspect

from numpydoc.validate import validate

FACES = ["midlib.data", "midlib.game", "midlib.stats", "midlib.leakage", "midlib.defenses",
         "midlib.attacks", "midlib.nn", "midlib.metrics", "midlib.frontier", "midlib.profiles",
         "midlib.validation", "midlib.experiments.iwpc", "midlib.experiments.trees", "midlib.experiments.faces",
         "midlib.experiments.update_leaks", "midlib.experiments.gmi", "midlib.experiments.dp_gap",
         "midlib.checks",
         "midlib.checks.part1", "midlib.checks.linear", "midlib.checks.trees", "midlib.publish",
         "midlib.auditing", "midlib.sweeps", "midlib.checks.gmi", "midlib.checks.networks",
         "midlib.attacks.gmi_losses"]

#: The numpydoc checks enforced: a docstring (GL08), every parameter documented (PR01) and no
#: unknown one (PR02), a Returns section for what returns (RT01), an Examples section (EX01).
CHECKS = {"GL08", "PR01", "PR02", "RT01", "EX01"}


def public_names():
    seen = set()
    for face in FACES:
        module = importlib.import_module(face)
        for name in module.__all__:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants and sub-modules
            path = f"{obj.__module__}.{obj.__qualname__}"
            if path in seen:
                continue
            seen.add(path)
            yield path
            if inspect.isclass(obj):
                for meth, fn in vars(obj).items():
                    if (not meth.startswith("_") and inspect.isfunction(fn)) or meth == "__call__":
                        yield f"{path}.{meth}"


def problems(path):
    res = validate(path)
    errors = [(code, msg) for code, msg in res["errors"] if code in CHECKS]
    if res["type"] == "type" or path.endswith(".__init__"):
        errors = [(c, m) for c, m in errors if c not in ("RT01",)]
    return errors


def test_every_public_name_has_a_numpydoc_docstring():
    bad = {p: e for p in public_names() if (e := problems(p))}
    lines = [f"{p}: {', '.join(c for c, _ in e)}" for p, e in sorted(bad.items())]
    assert not bad, f"{len(bad)} public names lack numpydoc sections:\n" + "\n".join(lines)
