"""Build the book: execute its notebooks with papermill, then build the HTML with Jupyter Book.

This builder lives in the repository, not in the installed package (the package does not contain
the book). ``python tools/book.py book --profile full`` (what ``make book`` runs):

1. reads ``_toc.yml`` and lists the notebooks of the book in book order;
2. copies the book's sources (``_config.yml``, ``_toc.yml``, ``references.bib``, ``book/``) to a
   staging folder ``<build-dir>/src``;
3. executes each notebook with papermill in a fresh kernel, its ``parameters`` cell set to the
   profile and seed, writing the executed copy into the staging folder; a notebook whose source,
   parameters, the midlib modules it imports (found statically, see
   :func:`midlib_dependencies`) and the pinned requirements have not changed since its last
   successful run is reused, and the reason for each re-execution is printed;
4. writes the run-time table of the "Reproducibility" appendix;
5. runs ``jupyter-book build`` with ``-W --keep-going`` (a warning fails the build).

A failing notebook stops the build with its error and the path of the failed executed copy.

``python tools/book.py glue-dump BUILD_DIR -o glue.json`` writes every glued scalar of a build
(timings aside) to a JSON file, and ``python tools/book.py glue-diff A.json B.json`` compares two
such dumps: what a behaviour-preserving change must leave alone.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: import midlib from this checkout
    sys.path.insert(0, str(ROOT))

from midlib.profiles import PROFILES, check_profile  # noqa: E402
BOOK_SOURCES = ["_config.yml", "_toc.yml", "references.bib", "book", "_static"]
STAMPS = "stamps.json"


class NotebookFailed(RuntimeError):
    """A notebook raised while executing; the message names the executed copy to inspect."""


@dataclass
class NotebookRun:
    notebook: str
    seconds: float
    reused: bool
    reason: str


# --------------------------------------------------------------------------------------------
# Table of contents
# --------------------------------------------------------------------------------------------

def toc_files(toc: dict) -> list[str]:
    """Every ``file:`` entry of a Jupyter Book table of contents, in book order."""
    out = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                out.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []):
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk({k: v for k, v in toc.items() if k != "root"})
    return out


def book_notebooks(root: Path = ROOT) -> list[str]:
    """The notebooks of the book in book order, as paths relative to the repository root."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    notebooks = []
    for entry in toc_files(toc):
        path = root / (entry + ".ipynb")
        if path.exists():
            notebooks.append(entry + ".ipynb")
        elif not any((root / (entry + ext)).exists() for ext in (".md", ".rst", ".ipynb")):
            raise FileNotFoundError(f"_toc.yml lists {entry!r}, but no such page exists")
    return notebooks


def restrict_toc(toc: dict, keep: set[str]) -> dict:
    """A copy of ``toc`` with only the root, pages that are not notebooks, and ``keep``."""
    def prune(chapters):
        out = []
        for ch in chapters:
            if ch["file"].startswith("notebooks/") and ch["file"] + ".ipynb" not in keep:
                continue
            ch = dict(ch)
            if "sections" in ch:
                ch["sections"] = prune(ch["sections"])
            out.append(ch)
        return out

    toc = dict(toc)
    parts = []
    for part in toc.get("parts", []):
        part = dict(part)
        part["chapters"] = prune(part["chapters"])
        if part["chapters"]:
            parts.append(part)
    toc["parts"] = parts
    return toc


# --------------------------------------------------------------------------------------------
# Change detection
# --------------------------------------------------------------------------------------------

def _hash_files(paths, root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _imports(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Absolute names of the modules an AST imports (relative imports resolved from ``module``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names.add(prefix)
            names.update(f"{prefix}.{alias.name}" for alias in node.names)
    return names


def midlib_dependencies(root: Path, notebook: str) -> list[Path] | None:
    """The midlib source files a notebook imports, directly or through other midlib modules.

    Found statically from the ``import`` statements of its code cells and of the midlib modules
    they reach. None when a cell cannot be parsed: the caller then depends on all of midlib.
    """
    import nbformat

    def file_of(name: str) -> Path | None:
        if name != "midlib" and not name.startswith("midlib."):
            return None
        parts = name.split(".")
        module, package = root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")
        return module if module.exists() else package if package.exists() else None

    nb = nbformat.read(root / notebook, as_version=4)
    todo = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        # IPython magics and shell escapes are not Python
        source = "\n".join(l for l in cell.source.splitlines() if not l.lstrip().startswith(("%", "!")))
        try:
            todo |= _imports(ast.parse(source), "__main__", False)
        except SyntaxError:
            return None
    seen: dict[Path, None] = {}
    while todo:
        name = todo.pop()
        path = file_of(name)
        if path is None or path in seen:
            continue
        seen[path] = None
        # a module's packages are imported with it
        todo |= {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)}
        todo |= _imports(ast.parse(path.read_text()), name, path.name == "__init__.py")
    return sorted(seen)


def environment_hash(root: Path = ROOT, notebook: str | None = None) -> dict[str, str]:
    """Hashes of what a notebook depends on besides its own source: the midlib modules it
    imports (all of midlib when they cannot be determined) and the pinned requirements."""
    deps = midlib_dependencies(root, notebook) if notebook else None
    return {
        "midlib": _hash_files(deps if deps is not None else (root / "midlib").rglob("*.py"), root),
        "requirements": _hash_files([root / "requirements.txt"], root),
    }


def notebook_key(root: Path, notebook: str, parameters: dict) -> dict[str, str]:
    return {"source": _hash_files([root / notebook], root),
            "parameters": json.dumps(parameters, sort_keys=True),
            **environment_hash(root, notebook)}


def why_rerun(old: dict | None, new: dict, executed: Path) -> str | None:
    """Why a notebook must run again, or None if its last executed copy is still valid."""
    if old is None:
        return "never executed in this build folder"
    if not executed.exists():
        return "its executed copy is missing"
    for key, label in (("source", "the notebook changed"),
                       ("parameters", "the parameters changed"),
                       ("midlib", "the midlib modules it imports changed"),
                       ("requirements", "the pinned requirements changed")):
        if old.get(key) != new[key]:
            return label
    return None


# --------------------------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------------------------

# Run in every kernel the pipeline starts: numpy 2 writes scalars as ``np.float64(0.5)``, which
# myst-nb's glue cannot format (``{glue:text}`key:.3f` ``); the 1.25 style writes ``0.5``.
KERNEL_STARTUP = """\
import numpy as _np
_np.set_printoptions(legacy="1.25")
del _np
"""


def _kernel_environment(build_dir: Path) -> dict[str, str]:
    ipython_dir = build_dir / "ipython"
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-midlib.py").write_text(KERNEL_STARTUP)
    # the kernel's start-up warning about its local TCP transport is noise in a build log
    (ipython_dir / "profile_default" / "ipython_kernel_config.py").write_text(
        "c.IPKernelApp.log_level = 'ERROR'\n")
    # No MPLBACKEND here: the kernel's inline backend is what renders glued figures as images.
    return {"IPYTHONDIR": str(ipython_dir)}


def execute_notebook(src: Path, dst: Path, parameters: dict, timeout: int = 1800,
                     env: dict[str, str] | None = None) -> None:
    """Execute ``src`` with papermill into ``dst`` in a fresh kernel (cwd = src's folder)."""
    import papermill as pm

    dst.parent.mkdir(parents=True, exist_ok=True)
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        pm.execute_notebook(str(src), str(dst), parameters=parameters, cwd=str(src.parent),
                            kernel_name="python3", progress_bar=False, log_output=False,
                            execution_timeout=timeout)
        prepare_page(dst)
    except pm.PapermillExecutionError as err:
        raise NotebookFailed(
            f"{src} failed in cell {err.exec_count}: {err.ename}: {err.evalue}\n"
            f"The executed copy with the traceback is {dst}"
        ) from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


#: Calls that only set up a page or store its numbers: a cell made of these (and imports,
#: timers, print-free configuration) is plumbing, not something a reader learns from.
PLUMBING_CALLS = {"glue", "figure_style", "set_theme", "filterwarnings", "simplefilter",
                  "set_num_threads", "perf_counter", "time", "seed", "manual_seed",
                  "set_printoptions", "use_deterministic_algorithms", "catch_warnings"}
#: Longer cells are folded ("hide-input") so that the page reads as text with its results.
LONG_CELL_LINES = 30
#: Calls whose cell is configuration: folded away ("hide-input"), one click from the reader.
CONFIG_CALLS = {"settings"}


def _call_names(node) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            f = sub.func
            names.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return names


def _assigns_names(stmt) -> bool:
    """An assignment to plain names only (no item or attribute stored into an object)."""
    return isinstance(stmt, ast.Assign) and all(
        isinstance(n, ast.Name) for t in stmt.targets for n in ast.walk(t)
        if isinstance(n, (ast.Name, ast.Subscript, ast.Attribute)) and isinstance(n.ctx, ast.Store))


def is_glue_statement(stmt) -> bool:
    """A ``glue(...)`` call, or a loop or branch made only of glue calls and assignments."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        f = stmt.value.func
        return (f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")) == "glue"
    if isinstance(stmt, (ast.For, ast.If)):
        body = stmt.body + stmt.orelse
        return (any(is_glue_statement(s) for s in body)
                and all(is_glue_statement(s) or isinstance(s, ast.Pass) or _assigns_names(s)
                        for s in body))
    return False


def cell_role(source: str) -> str:
    """"plumbing" (imports, glue, timers, figure style), "config" (the profile's settings and
    the imports beside them) or "content", from a code cell's statements."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: leave such a cell as it is
        return "content"
    if not tree.body:
        return "plumbing"
    roles = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) or is_glue_statement(stmt):
            continue
        calls = _call_names(stmt)
        stores_into_objects = (isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                               and not _assigns_names(stmt))
        if calls and calls <= PLUMBING_CALLS and not stores_into_objects:
            continue
        roles.add("config" if calls & CONFIG_CALLS else "content")
    return "content" if "content" in roles else ("config" if roles else "plumbing")


#: The modules whose public names the API page documents; a chapter's inline mention of one of
#: these names (`WhiteBoxTreeAttack`, `mid_prune`) becomes a link to its entry.
API_MODULES = ("midlib.data", "midlib.game", "midlib.stats", "midlib.leakage", "midlib.defenses",
               "midlib.attacks", "midlib.nn", "midlib.metrics", "midlib.checks", "midlib.frontier",
               "midlib.publish")
#: Plain words that are also API names: linked only in these spellings, never as a bare word.
_COMMON_WORDS = {"check", "play", "table", "glue", "compare", "entropy", "summarize", "sweep",
                 "load", "run", "split", "plain"}


def api_names() -> dict[str, str]:
    """Public name -> the qualified name under which the API page documents it."""
    import importlib

    names: dict[str, str] = {}
    for module in API_MODULES:
        for name in getattr(importlib.import_module(module), "__all__", []):
            if name.isupper() or name.startswith("_"):
                continue   # constants and private names are not linked
            names.setdefault(name, f"{module}.{name}")
    return names


def link_api_mentions(markdown: str, names: dict[str, str]) -> str:
    """Turn inline code that names a documented object (`name`, `name()`) into a
    ``{py:obj}`` link, outside fenced code blocks. Common words (`check`, `play`) are linked
    only when written as calls (`play()`)."""
    import re

    def repl(m):
        name, call = m.group(1), m.group(2) or ""
        if name not in names or (name in _COMMON_WORDS and not call):
            return m.group(0)
        return f"{{py:obj}}`{name}{call} <{names[name]}>`"

    out, fence = [], None
    for line in markdown.split("\n"):
        stripped = line.lstrip()
        if fence is None and stripped.startswith("```") and not stripped.startswith("```{"):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        elif fence is None:
            line = re.sub(r"(?<![}\w`])`([A-Za-z_][A-Za-z0-9_]*)(\(\))?`(?!`)", repl, line)
        out.append(line)
    return "\n".join(out)


def prepare_page(path: Path) -> None:
    """Make the executed copy read as a page: hide the source's default ``parameters`` cell
    (the page shows the parameters papermill injected, i.e. those this build used); remove
    the input of plumbing cells (imports, glue, timers) and fold configuration cells."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    names = api_names()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = link_api_mentions(cell.source, names)
    injected = any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        if "parameters" in tags:
            if injected and "remove-cell" not in tags:
                tags.append("remove-cell")
        elif "injected-parameters" in tags:
            tags.append("hide-input")
        elif not {"remove-input", "hide-input", "remove-cell", "hide-cell"} & set(tags):
            role = cell_role(cell.source)
            if role == "plumbing":
                tags.append("remove-input")
            elif role == "config" or cell.source.count("\n") >= LONG_CELL_LINES:
                tags.append("hide-input")
        cell.metadata["tags"] = tags
    nbformat.write(nb, path)


def stage_sources(staging: Path, root: Path = ROOT, toc: dict | None = None,
                  student: bool = False, partial: bool = False) -> None:
    """Copy the book's non-notebook sources into the staging folder (replacing old copies).

    With ``student``, the staged configuration hides every exercise's solution
    (sphinx-exercise's ``hide_solutions``): the students' edition of the book. With ``partial``
    (a build of some chapters only), links to the chapters left out are not reported: they
    cannot resolve there."""
    staging.mkdir(parents=True, exist_ok=True)
    for name in BOOK_SOURCES:
        src, dst = root / name, staging / name
        if src.is_dir():
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)
    if toc is not None:
        (staging / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    if student or partial:
        config = yaml.safe_load((staging / "_config.yml").read_text())
        sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
        if student:
            sphinx["hide_solutions"] = True
            config["title"] = f"{config.get('title', '')} (student edition)"
        if partial:
            sphinx["suppress_warnings"] = list(sphinx.get("suppress_warnings", [])) + [
                "myst.xref_missing", "ref"]
        (staging / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))


#: The kinds of numbered results, as sphinx-proof names them, in the order the index lists them.
RESULT_KINDS = ("definition", "lemma", "proposition", "theorem", "corollary")


def results_index(notebooks: list[str], root: Path = ROOT) -> str:
    """The "Results" appendix: every definition, lemma, proposition, theorem and corollary of
    ``notebooks``, by chapter and by title, each linked to where it is stated, as Markdown."""
    import re

    import nbformat

    pattern = re.compile(r"(?:`{3,}|:{3,})\{prf:(" + "|".join(RESULT_KINDS) + r")\}([^\n]*)\n"
                         r"((?::[a-z-]+:[^\n]*\n)*)")
    lines = []
    for nb_path in notebooks:
        nb = nbformat.read(root / nb_path, as_version=4)
        title = next((c.source.splitlines()[0].lstrip("# ").strip() for c in nb.cells
                      if c.cell_type == "markdown" and c.source.startswith("# ")), nb_path)
        rows = []
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for m in pattern.finditer(cell.source):
                label = re.search(r":label:\s*(\S+)", m.group(3))
                if label:
                    name = m.group(2).strip() or m.group(1)
                    for tex, letter in (("\\lambda", "λ"), ("\\epsilon", "ε"), ("\\beta", "β"),
                                        ("\\delta", "δ"), ("$", "")):
                        name = name.replace(tex, letter)  # a link's text is not typeset
                    rows.append(f"| {m.group(1)} | {{prf:ref}}`{name} <{label.group(1)}>` |")
        if rows:
            doc = nb_path.removesuffix(".ipynb")
            lines += [f"## {{doc}}`{title} </{doc}>`", "", "| kind | result |", "|---|---|",
                      *rows, ""]
    return "\n".join(lines) + "\n"


def runtime_table(runs: list[NotebookRun], profile: str, seed: int) -> str:
    """The Reproducibility appendix's table, as Markdown."""
    lines = [f"Profile **{profile}**, seed {seed}. Python {sys.version.split()[0]}, "
             f"{os.cpu_count()} CPU cores.", "",
             "| notebook | run time (s) | executed in this build |", "|---|---:|---|"]
    for r in runs:
        lines.append(f"| `{r.notebook}` | {r.seconds:.1f} | "
                     f"{'no (unchanged, reused)' if r.reused else 'yes: ' + r.reason} |")
    lines.append(f"| **total** | **{sum(r.seconds for r in runs):.1f}** | |")
    return "\n".join(lines) + "\n"


def run_notebooks(profile: str, build_dir: Path, seed: int = 0, only: list[str] | None = None,
                  force: bool = False, root: Path = ROOT, log=print, overrides: dict | None = None) -> list[NotebookRun]:
    """Execute the book's notebooks (or ``only`` those) into ``build_dir/src``."""
    check_profile(profile)
    build_dir = Path(build_dir).resolve()  # a relative IPYTHONDIR is ignored by the kernels
    notebooks = book_notebooks(root)
    if only:
        only = [str(Path(o)) for o in only]
        unknown = [o for o in only if o not in notebooks]
        if unknown:
            raise ValueError(f"{unknown} are not notebooks of the book; the book has {notebooks}")
        notebooks = [n for n in notebooks if n in only]
    staging = build_dir / "src"
    stamps_path = build_dir / STAMPS
    stamps = json.loads(stamps_path.read_text()) if stamps_path.exists() else {}
    parameters = {"profile": profile, "seed": seed}
    if overrides:  # the notebooks' `overrides` parameter: settings of the profile replaced
        parameters["overrides"] = dict(overrides)
    runs = []
    total_start = time.perf_counter()
    for i, nb in enumerate(notebooks, 1):
        dst = staging / nb
        key = notebook_key(root, nb, parameters)
        reason = "forced" if force else why_rerun(stamps.get(nb, {}).get("key"), key, dst)
        if reason is None:
            seconds = stamps[nb]["seconds"]
            log(f"[{i}/{len(notebooks)}] {nb}: unchanged, reusing the executed copy "
                f"({seconds:.1f} s when it ran)")
            runs.append(NotebookRun(nb, seconds, True, ""))
            continue
        log(f"[{i}/{len(notebooks)}] {nb}: executing ({reason})")
        start = time.perf_counter()
        stamps.pop(nb, None)
        try:
            execute_notebook(root / nb, dst, parameters, env=_kernel_environment(build_dir))
        finally:
            stamps_path.parent.mkdir(parents=True, exist_ok=True)
            stamps_path.write_text(json.dumps(stamps, indent=1))
        seconds = time.perf_counter() - start
        log(f"[{i}/{len(notebooks)}] {nb}: done in {seconds:.1f} s")
        stamps[nb] = {"key": key, "seconds": seconds}
        stamps_path.write_text(json.dumps(stamps, indent=1))
        runs.append(NotebookRun(nb, seconds, False, reason))
    log(f"notebooks: {sum(r.seconds for r in runs):.1f} s of notebook time, "
        f"{time.perf_counter() - total_start:.1f} s wall")
    return runs


def build_book(profile: str = "full", build_dir: Path | None = None, seed: int = 0,
               only: list[str] | None = None, force: bool = False, root: Path = ROOT,
               log=print, student: bool = False, overrides: dict | None = None) -> Path:
    """Execute the notebooks and build the HTML; returns the path of ``index.html``.

    ``student`` builds the students' edition (solutions hidden) into ``_build/<profile>-student``
    by default."""
    check_profile(profile)
    default = root / "_build" / (f"{profile}-student" if student else profile)
    # absolute: the kernels' IPython profile (numpy's plain scalar printing) lives in it
    build_dir = Path(build_dir).resolve() if build_dir else default
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    if only:
        toc = restrict_toc(toc, {str(Path(o)) for o in only})
    stage_sources(build_dir / "src", root, toc, student=student, partial=bool(only))
    start = time.perf_counter()
    runs = run_notebooks(profile, build_dir, seed, only, force, root, log, overrides=overrides)
    generated = build_dir / "src" / "book" / "generated"
    generated.mkdir(parents=True, exist_ok=True)
    (generated / "runtimes.md").write_text(runtime_table(runs, profile, seed))
    (generated / "results.md").write_text(results_index([r.notebook for r in runs], root))
    # The whole book builds with -W (a warning fails it). A build of some chapters only cannot
    # resolve their links to the chapters left out (sphinx-proof's missing labels cannot be
    # silenced by type), so it reports warnings without failing on them.
    strict = [] if only else ["-W"]
    log(f"building the HTML with jupyter-book ({' '.join(strict + ['--keep-going'])}) ...")
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(build_dir / "src"),
           "--path-output", str(build_dir), *strict, "--keep-going", "--quiet"]
    t0 = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-20000:] + result.stderr[-20000:])
        raise RuntimeError(f"jupyter-book build failed (exit {result.returncode}); see the "
                           f"warnings above")
    log(f"jupyter-book build: {time.perf_counter() - t0:.1f} s; "
        f"total {time.perf_counter() - start:.1f} s")
    index = build_dir / "_build" / "html" / "index.html"
    log(f"The book is at {index}")
    return index


# --------------------------------------------------------------------------------------------
# Glued values of a build
# --------------------------------------------------------------------------------------------

#: Glue keys that measure time, not results: left out of dumps.
TIMING_WORDS = ("seconds", "_time", "runtime", "minutes", "_ms_")


def glued_values(build_dir: Path) -> dict[str, dict[str, str]]:
    """Every glued scalar of the executed notebooks of ``build_dir``: notebook -> key -> the
    text myst-nb would format (figures and timings left out)."""
    import nbformat

    out = {}
    for path in sorted((Path(build_dir) / "src" / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        values = {}
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                scrap = output.get("metadata", {}).get("scrapbook", {})
                name, prefix = scrap.get("name"), scrap.get("mime_prefix", "")
                data = output.get("data", {})
                text = data.get(f"{prefix}text/plain")
                if name is None or text is None or f"{prefix}image/png" in data:
                    continue
                if any(w in name for w in TIMING_WORDS):
                    continue
                values[name] = text
        out[path.stem] = values
    return out


def glue_diff(a: dict, b: dict, rel_tol: float = 0.0) -> list[str]:
    """The differences between two glue dumps (one line each); numbers within ``rel_tol``
    relative difference count as equal."""
    lines = []
    for nb in sorted(set(a) | set(b)):
        ka, kb = a.get(nb, {}), b.get(nb, {})
        for key in sorted(set(ka) | set(kb)):
            va, vb = ka.get(key), kb.get(key)
            if va == vb:
                continue
            try:
                fa, fb = float(va), float(vb)
                if abs(fa - fb) <= rel_tol * max(abs(fa), abs(fb)):
                    continue
            except (TypeError, ValueError):
                pass
            lines.append(f"{nb}:{key}: {va} -> {vb}")
    return lines


def parse_overrides(items: list[str]) -> dict:
    """``["seeds=[0, 1]", "epochs=5"]`` -> ``{"seeds": [0, 1], "epochs": 5}`` (values as JSON,
    or as plain strings when they are not JSON)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--override needs KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/book.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("book", "execute the notebooks and build the HTML"),
                        ("notebooks", "execute the notebooks only")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--profile", default=os.environ.get("PROFILE", "full"),
                       help=f"one of {', '.join(PROFILES)} (default: $PROFILE or full)")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--build-dir", type=Path, default=None,
                       help="output folder (default: _build/<profile>)")
        p.add_argument("--only", nargs="+", default=None, metavar="NOTEBOOK",
                       help="only these notebooks (e.g. notebooks/data.ipynb)")
        p.add_argument("--force", action="store_true", help="re-execute even unchanged notebooks")
        p.add_argument("--student", action="store_true",
                       help="the students' edition: exercise solutions hidden")
        p.add_argument("--override", action="append", default=[], metavar="KEY=VALUE",
                       help="replace one setting of the profile (the notebooks' `overrides` "
                            "parameter), VALUE as JSON, e.g. --override 'seeds=[0, 1]'; repeatable")
    p = sub.add_parser("glue-dump", help="write every glued scalar of a build to JSON")
    p.add_argument("build_dir", type=Path, help="e.g. _build/full")
    p.add_argument("-o", "--out", type=Path, required=True, help="the JSON file to write")
    p = sub.add_parser("glue-diff", help="compare two glue dumps")
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument("--rel-tol", type=float, default=0.0,
                   help="numbers within this relative difference count as equal")
    args = parser.parse_args(argv)
    if args.command == "glue-dump":
        values = glued_values(args.build_dir)
        args.out.write_text(json.dumps(values, indent=1, sort_keys=True))
        print(f"wrote {sum(map(len, values.values()))} glued values of {len(values)} notebooks "
              f"to {args.out}")
        return 0
    if args.command == "glue-diff":
        a, b = (json.loads(p.read_text()) for p in (args.before, args.after))
        lines = glue_diff(a, b, args.rel_tol)
        total = sum(map(len, a.values()))
        print("\n".join(lines) if lines else "no differences")
        print(f"{len(lines)} of {total} glued values differ")
        return 1 if lines else 0
    try:
        check_profile(args.profile)
        if args.command == "book":
            build_book(args.profile, args.build_dir, args.seed, args.only, args.force,
                       student=args.student, overrides=parse_overrides(args.override))
        else:
            build_dir = args.build_dir or ROOT / "_build" / args.profile
            stage_sources(build_dir / "src")
            run_notebooks(args.profile, build_dir, args.seed, args.only, args.force,
                          overrides=parse_overrides(args.override))
    except (NotebookFailed, ValueError, FileNotFoundError, RuntimeError) as err:
        print(f"\nerror: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
