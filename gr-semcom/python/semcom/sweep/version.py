"""The code version in a row's key: what must change for a stored row to be computed again.

``code_version(spec)`` = ``<code>-<models>``:

- ``code``: SHA-256 of the package's ``.py`` files that a row of this scheme runs: the static import
  closure (:func:`row_code_files`) of the row computation (:mod:`semcom.sweep.rows`: transport, PHY,
  channels, metrics) and of the scheme's codec module (its registry target), every ``import`` and
  ``from ... import`` inside the package followed, at module level or inside functions, lazy names
  of a package's ``_LAZY`` table resolved to their submodules; files that cannot change a row's
  value are left out (:data:`NOT_ROW_CODE`: GNU Radio blocks, the over-the-air frame (but not the
  ``ota-test`` codec), the CLI, training, the data loader (images are keyed by their pixels), the
  evaluation views and the sweep's store, engine and rendering). Plus the versions of the
  numerical libraries and the metric networks in ``models/metrics`` (names and sizes, plus
  ``provenance.json``). So a new scheme's modules, or an edit to another scheme's network, leave
  this scheme's rows standing; an edit to the PHY, a channel or a metric recomputes them all.
- ``models``: the scheme's model folders and files: every option naming an existing path, and for
  each option left out its default (the codec module's ``DEFAULT_PATHS``, option -> function giving
  the default path; else its ``default_model_dir()`` for ``model_dir``), hashed through their
  ``checksums.json`` (files listed there by their recorded SHA-256, other files up to 8 MB by
  content, larger ones by name and size; ``*.md`` and ``*.png`` are ignored). ``-`` for a scheme
  without a model.

A rerun under another version computes its rows again (they are new keys); the old rows stay in
the store, tagged with their version, and are not rendered into the new results.
``git`` commits are recorded in each run's log but are not part of the key (a commit that only
touches documentation or tests keeps every row).
"""
from __future__ import annotations

import ast
import functools
import hashlib
import json
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
# Package paths (relative to semcom/) that cannot change a row's value.
NOT_ROW_CODE = ("gr/", "ota/", "cli.py", "training.py", "link.py", "evaluation.py", "data/", "__init__.py",
                "sweep/__init__.py", "sweep/store.py", "sweep/engine.py", "sweep/views.py", "sweep/version.py",
                "sweep/ray_engine.py")
LIBRARIES = ("torch", "numpy", "sionna", "sionna-rt", "diffusers", "pillow", "pillow-heif", "numba", "scipy",
             "pytorch-msssim")
BIG_FILE = 8 << 20
ROW_CODE_ANYWAY = ("ota/testcodec.py",)   # the ota-test scheme (the rest of ota/ is the air frame)
ROW_ROOTS = ("sweep/rows.py",)            # the row computation every scheme's rows run


def _excluded(rel: str) -> bool:
    return rel not in ROW_CODE_ANYWAY and any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in NOT_ROW_CODE)


def _module_file(dotted: str):
    """``semcom.a.b`` -> the package's ``a/b.py`` or ``a/b/__init__.py`` (None outside the package)."""
    parts = dotted.split(".")
    if parts[0] != PACKAGE.name:
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(path: Path) -> str:
    """The dotted package a file's relative imports start from (``a/b.py`` and ``a/__init__.py``: ``semcom.a``)."""
    return ".".join(path.relative_to(PACKAGE.parent).parent.parts)


def _lazy_table(tree) -> dict:
    """A package's ``_LAZY = {"Name": "submodule", ...}`` (names it imports on first use)."""
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
                and isinstance(node.value, ast.Dict)):
            return {k.value: v.value for k, v in zip(node.value.keys, node.value.values)
                    if isinstance(k, ast.Constant) and isinstance(v, ast.Constant)}
    return {}


@functools.lru_cache(maxsize=None)
def _imports(path: Path) -> tuple:
    """The package files ``path`` imports (anywhere in it), with the parents' ``__init__.py``."""
    tree = ast.parse(path.read_text(), str(path))
    here = _package_of(path)
    found = []

    def add(dotted: str, names=()):
        target = _module_file(dotted)
        if target is None:
            return
        found.append(target)
        lazy = _lazy_table(ast.parse(target.read_text())) if target.name == "__init__.py" else {}
        for name in names:
            sub = _module_file(f"{dotted}.{lazy.get(name, name)}")
            if sub is not None:
                found.append(sub)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                dotted = ".".join(base + ([node.module] if node.module else []))
            else:
                dotted = node.module or ""
            add(dotted, [a.name for a in node.names])
    parents = []
    for f in found:
        for parent in f.relative_to(PACKAGE).parents:
            init = PACKAGE / parent / "__init__.py"
            if init.is_file():
                parents.append(init)
    return tuple(sorted(set(found + parents)))


def row_code_files(spec: str = None) -> list:
    """The files in a row's code hash: the import closure of the row computation and, with a
    ``spec``, of its scheme's codec module; :data:`NOT_ROW_CODE` left out (and not followed)."""
    from ..codecs import parse_spec
    from ..codecs.base import _REGISTRY
    roots = [PACKAGE / r for r in ROW_ROOTS]
    if spec is not None:
        name, _ = parse_spec(spec)
        if name in _REGISTRY:
            target = _module_file(_REGISTRY[name].partition(":")[0])
            if target is not None:
                roots.append(target)
    seen, todo = set(), list(roots)
    while todo:
        path = todo.pop()
        if path in seen or _excluded(path.relative_to(PACKAGE).as_posix()):
            continue
        seen.add(path)
        todo.extend(_imports(path))
    return sorted(seen)


@functools.lru_cache(maxsize=None)
def code_hash(spec: str = None) -> str:
    h = hashlib.sha256()
    for path in row_code_files(spec):
        h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}=={metadata.version(lib)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib} absent\n".encode())
    from .. import models_dir
    metrics = Path(models_dir()) / "metrics"
    if metrics.is_dir():
        for f in sorted(metrics.rglob("*")):
            if f.is_file():
                h.update(f"{f.relative_to(metrics).as_posix()}:{f.stat().st_size}\n".encode())
        if (metrics / "provenance.json").is_file():
            h.update((metrics / "provenance.json").read_bytes())
    return h.hexdigest()[:12]


@functools.lru_cache(maxsize=None)
def folder_hash(folder: str) -> str:
    root = Path(folder)
    h = hashlib.sha256()
    files = [root] if root.is_file() else sorted(f for f in root.rglob("*") if f.is_file())
    listed = {}
    for f in files:
        if f.name == "checksums.json":
            try:
                for name, digest in json.loads(f.read_text()).items():
                    listed[(f.parent / name).resolve()] = str(digest)
            except (OSError, ValueError, AttributeError):
                pass
    for f in files:
        if f.suffix in (".md", ".png"):
            continue
        rel = f.name if root.is_file() else f.relative_to(root).as_posix()
        if f.resolve() in listed:
            tag = listed[f.resolve()]
        elif f.stat().st_size <= BIG_FILE:
            tag = hashlib.sha256(f.read_bytes()).hexdigest()
        else:
            tag = f"size {f.stat().st_size}"
        h.update(f"{rel}:{tag}\n".encode())
    return h.hexdigest()[:12]


def model_paths(spec: str) -> list:
    """The folders (or files) a scheme spec loads weights from."""
    import importlib

    from ..codecs import parse_spec
    from ..codecs.base import _REGISTRY
    name, options = parse_spec(spec)
    paths = [Path(str(v)) for v in options.values() if isinstance(v, str) and v and Path(v).exists()]
    if name in _REGISTRY:
        module = importlib.import_module(_REGISTRY[name].partition(":")[0])
        defaults = getattr(module, "DEFAULT_PATHS", None)
        if defaults is None:
            default = getattr(module, "default_model_dir", None)
            defaults = {"model_dir": default} if callable(default) else {}
        found = [Path(fn()) for option, fn in defaults.items() if option not in options]
        paths = [p for p in found if p.exists()] + paths
    return [p.resolve() for p in paths]


@functools.lru_cache(maxsize=None)
def code_version(spec: str) -> str:
    """``<code hash>-<model hash or '-'>`` of a scheme spec (see the module)."""
    paths = model_paths(spec)
    models = hashlib.sha256("".join(folder_hash(str(p)) for p in paths).encode()).hexdigest()[:12] if paths else "-"
    return f"{code_hash(spec)}-{models}"


def git_commit() -> str:
    """The checkout's commit (``+dirty`` with uncommitted changes in the package), for the run log."""
    import subprocess
    try:
        root = PACKAGE.parents[1]
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", str(PACKAGE)],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (commit or "unknown") + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
