"""Which files a run reads: the project root, excludes, ``.gitignore`` and file shapes.

A run always reads the whole project, even when the user names one file, because a
finding in that file can depend on an app, a config module or a task defined elsewhere;
`under` then decides which findings are shown. The project of a path is found from the
path alone (never from the current folder): the nearest celerylint configuration above
it, else the nearest usual project marker (`locate_project`). A folder below a root that
is a project of its own by the same rule is not part of the outer project. Discovery must
never wander into virtualenvs, build output or version-control metadata (slow, and full
of code that is not the project's), must respect what git ignores (generated and local
files), and must terminate on symlink loops, so symlinked folders are never followed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from re import Pattern

from celerylint.engine.buffers import buffered
from celerylint.engine.globs import glob_to_regex, strip_dot_slash
from celerylint.engine.options import CONFIG_FILES, FileOptions, config_in
from celerylint.engine.pathnames import as_named
from celerylint.engine.readable import read_regular

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".celerylint_cache",
    ".direnv",
    ".eggs",
    ".git",
    ".hg",
    ".mypy_cache",
    ".nox",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    "*.egg-info",
)

_PROCESS_SUFFIXES = (
    ".yml",
    ".yaml",
    ".service",
    ".conf",
    ".ini",
    ".sh",
    ".dockerfile",
    ".Dockerfile",
)
_PROCESS_PREFIXES = ("Procfile", "Dockerfile")
_EXACT_NAMES = frozenset({"pyproject.toml", "setup.cfg", "Pipfile", "run", *CONFIG_FILES})

# What makes a folder a project root when no celerylint configuration is found above.
ROOT_MARKERS: tuple[str, ...] = ("pyproject.toml", "setup.cfg", "setup.py", "manage.py", ".git")


@dataclass(frozen=True)
class ProjectRoot:
    """A project's folder and the configuration that defined it (None: a marker did, or
    nothing did: `marked` is False when no configuration or marker was found at all and
    the root is only the folder of the path itself)."""

    root: Path
    config: Path | None
    marked: bool = True


def _folder_of(path: Path) -> Path:
    here = as_named(path)
    return here if here.is_dir() else here.parent


def locate_project(path: Path) -> ProjectRoot:
    """The project holding `path` (a file or a folder), from the path alone.

    The nearest folder at or above it with a celerylint configuration (a
    ``pyproject.toml`` with ``[tool.celerylint]``, else ``celerylint.toml`` or
    ``.celerylint.toml``); without any, the nearest folder holding one of
    `ROOT_MARKERS`; without any, the path's own folder, or the folder above its package
    chain (module names come from the package chain, which must not be cut short).
    """
    start = _folder_of(path)
    chain = (start, *start.parents)
    for folder in chain:
        config = config_in(folder)
        if config is not None:
            return ProjectRoot(folder, config)
    for folder in chain:
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return ProjectRoot(folder, None)
    top = start
    while (top / "__init__.py").is_file() and top.parent != top:
        top = top.parent
    return ProjectRoot(top, None, marked=False)


def find_project_root(paths: Sequence[Path]) -> Path:
    """The root of the project holding the first path (see `locate_project`); with no
    paths at all, of the current folder."""
    return locate_project(paths[0] if paths else Path.cwd()).root


def _governed(root: Path) -> bool:
    """Is a celerylint configuration at or above `root`? Then only another
    configuration below starts a project of its own, not a mere marker."""
    folder = root.resolve()
    return any(config_in(f) is not None for f in (folder, *folder.parents))


def _is_nested_root(folder: str, names: set[str], governed: bool) -> bool:
    """Is this folder (below a root, holding `names`) a project of its own?"""
    if any(name in names for name in CONFIG_FILES):
        return True
    if "pyproject.toml" in names and config_in(Path(folder)) is not None:
        return True
    return not governed and any(marker in names for marker in ROOT_MARKERS)


def under(relpath: str, targets: Sequence[str]) -> bool:
    """Is `relpath` one of the root-relative `targets` or inside one ("." is everything)?"""
    for target in targets:
        cleaned = strip_dot_slash(target.replace("\\", "/")).rstrip("/")
        if cleaned in ("", ".") or relpath == cleaned or relpath.startswith(cleaned + "/"):
            return True
    return False


def _wanted(name: str, parent: str) -> bool:
    """Can a file of this name hold Python code, a process definition or requirements?"""
    if name.endswith(".py") or name in _EXACT_NAMES:
        return True
    if name.endswith(_PROCESS_SUFFIXES) or name.startswith(_PROCESS_PREFIXES):
        return True
    if name.endswith(".txt"):
        return name.startswith("requirements") or parent == "requirements"
    return False


class _Excludes:
    """Exclude globs: a glob without '/' tests each path component, one with '/' the path."""

    def __init__(self, globs: Iterable[str]) -> None:
        names: list[str] = []
        paths: list[str] = []
        for glob in globs:
            trimmed = glob.strip().rstrip("/")
            if "/" in trimmed:
                paths.append(glob_to_regex(strip_dot_slash(trimmed)))
            elif trimmed:
                names.append(glob_to_regex(trimmed))
        self._names = _union(names)
        self._paths = _union(paths)

    def hit(self, name: str, relpath: str) -> bool:
        """Is this entry excluded? Its parent folders were already tested on the way down."""
        if self._names is not None and self._names.fullmatch(name):
            return True
        return self._paths is not None and self._paths.fullmatch(relpath) is not None


def _union(regexes: list[str]) -> Pattern[str] | None:
    if not regexes:
        return None
    return re.compile("|".join(f"(?:{regex})" for regex in regexes), re.DOTALL)


@dataclass(frozen=True)
class _Rule:
    """One .gitignore line."""

    regex: Pattern[str]
    negated: bool
    dir_only: bool


@dataclass(frozen=True)
class _IgnoreFile:
    """The rules of one ignore file and how to turn a root-relative path into its terms.

    A nested file sees paths relative to its own folder (`cut` leading characters
    removed); a file above the root sees them with the root's path below it (`lead`).
    """

    rules: tuple[_Rule, ...]
    lead: str = ""
    cut: int = 0

    def verdict(self, relpath: str, is_dir: bool) -> bool | None:
        """True ignored, False re-included by a negation, None when no rule matches."""
        local = self.lead + relpath[self.cut :]
        for rule in reversed(self.rules):
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.fullmatch(local):
                return not rule.negated
        return None


def _unescaped_rstrip(line: str) -> str:
    """Trailing spaces end a gitignore pattern unless the last one is backslash-escaped."""
    stripped = line.rstrip(" ")
    if stripped.endswith("\\") and len(stripped) < len(line):
        return stripped + " "
    return stripped


def _parse_rule(line: str) -> _Rule | None:
    text = _unescaped_rstrip(line.rstrip("\r\n"))
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated:
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    body = glob_to_regex(text.lstrip("/"), gitignore=True)
    if not anchored:
        body = "(?:.*/)?" + body
    return _Rule(re.compile(body, re.DOTALL), negated, dir_only)


def _read_rules(path: Path) -> tuple[_Rule, ...]:
    """The rules of an ignore file; none when it cannot be read (a ``.gitignore`` that is
    a FIFO must not block the run, so it is read as every project file is)."""
    try:
        text = read_regular(path).decode("utf-8", errors="replace")
    except OSError:
        return ()
    rules = (_parse_rule(line) for line in text.splitlines())
    return tuple(rule for rule in rules if rule is not None)


def _outer_ignore_files(root: Path) -> list[_IgnoreFile]:
    """Ignore files that govern `root` from above: up to the git top, and its info/exclude.

    Ordered from weakest to strongest, as git does: ``.git/info/exclude``, then the
    ``.gitignore`` files from the repository top down to (not including) the root.
    """
    root = root.resolve()
    for top in (root, *root.parents):
        if (top / ".git").exists():
            break
    else:
        return []
    found: list[_IgnoreFile] = []
    lead = root.relative_to(top).as_posix() + "/" if top != root else ""
    info = top / ".git" / "info" / "exclude"
    if info.is_file():
        found.append(_IgnoreFile(_read_rules(info), lead=lead))
    for folder in reversed(root.parents):
        if folder == top or top in folder.parents:
            sub = root.relative_to(folder).as_posix() + "/"
            found.append(_IgnoreFile(_read_rules(folder / ".gitignore"), lead=sub))
    return [ignore_file for ignore_file in found if ignore_file.rules]


def _ignored(relpath: str, is_dir: bool, ignore_files: Sequence[_IgnoreFile]) -> bool:
    """Git's rule: the last matching pattern of the most specific ignore file decides."""
    for ignore_file in reversed(ignore_files):
        verdict = ignore_file.verdict(relpath, is_dir)
        if verdict is not None:
            return verdict
    return False


def _scan(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def discover(root: Path, excludes: Sequence[str], extend_excludes: Sequence[str]) -> list[str]:
    """Every file below `root` that celerylint may read, as sorted '/'-separated paths.

    `excludes` is the full exclude list (pass DEFAULT_EXCLUDES unless the user replaced
    it), `extend_excludes` adds to it. Skipped: excluded names and paths, what the
    ``.gitignore`` files (root, nested, above the root up to the git top) and
    ``.git/info/exclude`` ignore, folders holding a ``pyvenv.cfg`` (virtualenvs under
    any name), symlinked folders, folders that are projects of their own
    (`nested_projects`), and files of no shape celerylint reads (a ``.py`` name that is
    no regular file stays, to be reported as unreadable).
    """
    return _walk(root, excludes, extend_excludes)[0]


def nested_projects(root: Path, excludes: Sequence[str],
                    extend_excludes: Sequence[str]) -> list[Path]:
    """The folders below `root` that `discover` leaves out because each is a project of
    its own: one with a celerylint configuration, or, when no configuration governs
    `root`, one holding any of `ROOT_MARKERS`. Only the outermost ones, sorted."""
    return _walk(root, excludes, extend_excludes)[1]


def _walk(root: Path, excludes: Sequence[str], extend_excludes: Sequence[str]
          ) -> tuple[list[str], list[Path]]:
    excluded = _Excludes((*excludes, *extend_excludes))
    governed = _governed(root)
    found: list[str] = []
    nested: list[Path] = []
    stack: list[tuple[str, str, list[_IgnoreFile]]] = [
        (os.fspath(root), "", _outer_ignore_files(root))
    ]
    while stack:
        folder, prefix, ignore_files = stack.pop()
        entries = _scan(folder)
        names = {entry.name for entry in entries}
        if prefix and "pyvenv.cfg" in names:
            continue
        if prefix and _is_nested_root(folder, names, governed):
            nested.append(Path(folder))
            continue
        if ".gitignore" in names:
            rules = _read_rules(Path(folder, ".gitignore"))
            ignore_files = [*ignore_files, _IgnoreFile(rules, cut=len(prefix))]
        parent = prefix.rstrip("/").rsplit("/", 1)[-1]
        for entry in entries:
            relpath = prefix + entry.name
            is_dir = entry.is_dir(follow_symlinks=False)
            if not is_dir and not (_wanted(entry.name, parent) and _readable_shape(entry)):
                continue
            if excluded.hit(entry.name, relpath) or _ignored(relpath, is_dir, ignore_files):
                continue
            if is_dir:
                stack.append((entry.path, relpath + "/", ignore_files))
            else:
                found.append(relpath)
    found.sort()
    return found, sorted(nested)


def _readable_shape(entry: os.DirEntry[str]) -> bool:
    """A file, or a symlink to one; links to folders are not. A ``.py`` entry that is no
    regular file (a dangling link, a link loop, a FIFO) is kept: reading it fails, and
    the run reports why (CEL003) instead of skipping it without a word."""
    try:
        if entry.is_file():
            return True
        return entry.name.endswith(".py") and not entry.is_dir()
    except OSError:
        return entry.name.endswith(".py")


def project_files(root: Path, options: FileOptions, named: Sequence[Path] = ()) -> list[str]:
    """The files a run reads: `discover`'s, plus the files the user `named` on the
    command line (or the editor buffer standing for one) even when excluded, as ruff
    does, unless ``force-exclude`` is set; then a named file matching ``exclude`` or
    ``extend-exclude`` is left out too (pre-commit and editors name files one by one)."""
    excludes = options.exclude if options.exclude is not None else DEFAULT_EXCLUDES
    found = discover(root, excludes, options.extend_exclude)
    excluded = _Excludes((*excludes, *options.extend_exclude))
    extra = [relpath for relpath in _named_files(root, named)
             if not (options.force_exclude and _path_excluded(excluded, relpath))]
    return sorted({*found, *extra})


def would_discover(root: Path, options: FileOptions, relpaths: Iterable[str]) -> list[str]:
    """Those of the root-relative `relpaths` that `project_files` would take if they were
    there (the files another version has and the working tree lacks): of a shape celerylint
    reads, not excluded, not inside a nested project. ``.gitignore`` is not asked: a file
    git tracked was not ignored."""
    relpaths = sorted(relpaths)
    if not relpaths:
        return []
    excludes = options.exclude if options.exclude is not None else DEFAULT_EXCLUDES
    excluded = _Excludes((*excludes, *options.extend_exclude))
    nested = [folder.relative_to(root).as_posix() + "/"
              for folder in nested_projects(root, excludes, options.extend_exclude)]
    wanted = []
    for relpath in relpaths:
        folder, _, name = relpath.rpartition("/")
        if (_wanted(name, folder.rsplit("/", 1)[-1]) and not _path_excluded(excluded, relpath)
                and not any(relpath.startswith(top) for top in nested)):
            wanted.append(relpath)
    return wanted


def _named_files(root: Path, named: Sequence[Path]) -> list[str]:
    """The named paths that are files (or buffers) of a shape celerylint reads, inside
    `root`, as root-relative '/'-separated paths."""
    found = []
    for path in named:
        if not (buffered(path) is not None or path.is_file()):
            continue
        try:
            relpath = as_named(path).relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        parent = relpath.rsplit("/", 2)[-2] if relpath.count("/") else ""
        if _wanted(relpath.rsplit("/", 1)[-1], parent):
            found.append(relpath)
    return found


def _path_excluded(excluded: _Excludes, relpath: str) -> bool:
    """Does an exclude glob hit the file or any folder on its way from the root?"""
    parts = relpath.split("/")
    return any(excluded.hit(parts[index], "/".join(parts[: index + 1]))
               for index in range(len(parts)))
