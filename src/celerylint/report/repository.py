"""Paths for CI reports: relative to the repository, not to the current directory.

GitHub code scanning, GitHub annotations and GitLab Code Quality all resolve a relative
path against the root of the checked-out repository. A user may run celerylint from a
subfolder, or check a project that lives in a subfolder of a monorepo, so the current
directory (what the text and JSON reports use) is the wrong base; the top of the git work
tree that holds the project is the right one. A CI system that names its checkout folder
(``GITHUB_WORKSPACE``, ``CI_PROJECT_DIR``) is trusted over our own search.
"""

from __future__ import annotations

import os
from pathlib import Path

from celerylint.engine.pathnames import printable


def repository_root(root: Path) -> Path:
    """The top of the git work tree holding the project `root`, else `root` itself."""
    root = root.resolve()
    for folder in (root, *root.parents):
        if (folder / ".git").exists():  # a folder, or a file in worktrees and submodules
            return folder
    return root


def report_base(root: Path, env_var: str | None = None) -> Path:
    """The folder report paths are relative to: the CI's checkout folder named by
    `env_var` when it is set and holds the project, else the repository root."""
    checkout = os.environ.get(env_var, "") if env_var else ""
    if checkout:
        base = Path(checkout).resolve()
        if base == root.resolve() or base in root.resolve().parents:
            return base
    return repository_root(root)


def relative_path(root: Path, path: str, base: Path) -> str:
    """The project file `path` (relative to `root`) relative to `base`, `/`-separated."""
    return printable(Path(os.path.relpath(root.resolve() / path, base)).as_posix())
