"""The repository's command-line scripts and scenarios (``scripts/*.py``, ``sim/*/run.py``) as modules."""
import importlib.util

from semcom import repo_root


def load(path: str):
    """Import the script at ``path`` (relative to the repository root) as a fresh module."""
    file = repo_root() / path
    name = "_".join(file.relative_to(repo_root()).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
