"""Reading another version of the project from git objects, never from a checkout.

``--base-ref REF`` compares the working tree with the merge base of REF and HEAD: what a
pull request changes, as ``git diff REF...`` shows it, so a task added on the target
branch after the branch point is not taken for one the change removed. Everything is
read through git's plumbing (``rev-parse``, ``merge-base``, ``ls-tree``, ``diff``,
``cat-file --batch``): the working tree, the index and the refs are never written, and
nothing read is executed. Every failure is a `GitError` whose message says what to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# A tree entry's mode for a regular file (plain or executable); links and submodules are
# not files a check reads.
_FILE_MODES = frozenset({"100644", "100755"})
# `git diff --name-status` letters of a file whose content at the base differs from the
# working tree's: modified, deleted, type changed.
_CHANGED = frozenset({"M", "D", "T"})


class GitError(Exception):
    """The base version cannot be read: the message says why and what to do."""


@dataclass(frozen=True)
class Repository:
    """The git repository holding a project: its top folder, and whether it is a shallow
    clone (a missing commit then most likely lies beyond its depth)."""

    top: Path
    shallow: bool


@dataclass(frozen=True)
class BaseTree:
    """The project's files at the base commit: each path (relative to the project root)
    with its blob id, and the paths whose content differs from the working tree's."""

    commit: str
    blobs: dict[str, str]
    changed: frozenset[str]


def _git(cwd: Path, args: Sequence[str], data: bytes | None = None) -> bytes:
    """git's output; GitError with its first line of complaint when it fails."""
    import shutil  # only --base-ref runs git: a plain check skips importing these
    import subprocess

    program = shutil.which("git")
    if program is None:
        raise GitError("git is not installed (it is needed to read the base version)")
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_PAGER": "cat"}
    done = subprocess.run([program, "-c", "core.quotepath=off", *args], cwd=cwd,
                          input=data, capture_output=True, env=env, check=False)
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(lines[-1] if lines else f"git {args[0]} failed")
    return done.stdout


def repository_of(root: Path) -> Repository:
    """The repository holding `root`."""
    try:
        out = _git(root, ["rev-parse", "--show-toplevel", "--is-shallow-repository"])
    except GitError as exc:
        if "not a git repository" in str(exc):
            raise GitError(f"{root} is not in a git repository") from None
        raise
    top, shallow = out.decode("utf-8", "surrogateescape").splitlines()[:2]
    return Repository(Path(top), shallow == "true")


def base_commit(repo: Repository, ref: str) -> str:
    """The commit ``--base-ref REF`` compares with: the merge base of REF and HEAD."""
    try:
        commit = _git(repo.top, ["rev-parse", "--verify", "--quiet", "--end-of-options",
                                 f"{ref}^{{commit}}"]).decode().strip()
    except GitError:
        raise GitError(_unknown(repo, ref)) from None
    try:
        _git(repo.top, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])
    except GitError:
        raise GitError("HEAD has no commit yet: commit once before comparing with "
                       f"{ref!r}") from None
    try:
        return _git(repo.top, ["merge-base", commit, "HEAD"]).decode().strip()
    except GitError:
        raise GitError(_unrelated(repo, ref)) from None


def _unknown(repo: Repository, ref: str) -> str:
    if repo.shallow:
        return (f"unknown ref {ref!r}: this is a shallow clone that does not have it; "
                "fetch it with more history (`git fetch --depth=1000 origin <branch>`, "
                "or `fetch-depth: 0` in actions/checkout)")
    return f"unknown ref {ref!r}: no branch, tag or commit of that name"


def _unrelated(repo: Repository, ref: str) -> str:
    if repo.shallow:
        return (f"{ref!r} and HEAD have no common commit in this shallow clone: fetch more "
                "history (`git fetch --deepen=1000`, or `fetch-depth: 0` in "
                "actions/checkout)")
    return f"{ref!r} and HEAD have no common history to compare"


def _prefix(repo: Repository, root: Path) -> str:
    """The project root relative to the top of the repository ('' at the top)."""
    relative = root.resolve().relative_to(repo.top.resolve()).as_posix()
    return "" if relative == "." else relative + "/"


def _pathspec(prefix: str) -> str:
    return f":(top,literal){prefix}" if prefix else ":(top)"


def _paths(out: bytes) -> list[str]:
    return [os.fsdecode(item) for item in out.split(b"\0") if item]


def base_tree(repo: Repository, commit: str, root: Path) -> BaseTree:
    """The project under `root` as `commit` has it, and what differs from the working tree
    (changed, deleted, or only present here: untracked files are not at the base)."""
    prefix = _prefix(repo, root)
    listing = _git(repo.top, ["ls-tree", "-r", "-z", "--full-tree", commit, "--",
                              _pathspec(prefix)])
    blobs: dict[str, str] = {}
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, blob = meta.decode().split()
        if kind == "blob" and mode in _FILE_MODES:
            blobs[os.fsdecode(name)[len(prefix):]] = blob
    status = _paths(_git(repo.top, ["diff", "--name-status", "-z", "--no-renames",
                                    "--no-ext-diff", "--ignore-submodules", commit, "--",
                                    _pathspec(prefix)]))
    changed = {name[len(prefix):] for letter, name in zip(status[::2], status[1::2])
               if letter[:1] in _CHANGED}
    return BaseTree(commit, blobs, frozenset(changed))


def read_blobs(repo: Repository, blobs: Iterable[str]) -> dict[str, bytes]:
    """The content of each blob, in one ``git cat-file --batch``."""
    wanted = sorted(set(blobs))
    if not wanted:
        return {}
    out = _git(repo.top, ["cat-file", "--batch"], "".join(f"{b}\n" for b in wanted).encode())
    found: dict[str, bytes] = {}
    at = 0
    for blob in wanted:
        end = out.index(b"\n", at)
        header = out[at:end].decode().split()
        if len(header) != 3:
            raise GitError(f"cannot read blob {blob}: {' '.join(header)}")
        size = int(header[2])
        found[blob] = out[end + 1:end + 1 + size]
        at = end + 1 + size + 1
    return found
