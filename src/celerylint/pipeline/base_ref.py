"""``--base-ref``: the project as it was at the base git ref, beside the working tree.

The base is the merge base of REF and HEAD (see `vcs.git`). Its files are the working
tree's, except those git says differ: their base content is read from git objects and
stands in for the file while the base model is built (`engine.buffers.reading_tree`), and
the files the base did not have read as missing. The facts cache is content-addressed,
so the unchanged files cost a lookup; it is read, never written, for the base.

What the comparison gives the run:
- the base model, on `Model.base`, for the rules that compare task by task (CEL406 task
  removed, CEL407 signature incompatible; CEL601/CEL603 say a name existed at the base);
- with ``--new-only``, the fingerprints of the base's own findings, so that only the
  findings the change brings are reported (matched as a baseline matches them).

When git says nothing under the project differs, the base is the working tree: its model
is reused and nothing is new, at the cost of two git commands.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from celerylint.engine.buffers import buffered_under, reading_tree
from celerylint.engine.discover import would_discover
from celerylint.engine.options import FileOptions
from celerylint.findings import Finding
from celerylint.integrations.baseline import new_findings
from celerylint.integrations.fingerprints import fingerprints
from celerylint.model.build import Base, Model, Need, build_files
from celerylint.model.celery_version import TargetVersion
from celerylint.model.loading import LoadSettings
from celerylint.model.notices import NO_BASE_PROJECT, Notice
from celerylint.vcs.git import BaseTree, base_commit, base_tree, read_blobs, repository_of

# The rules that compare with the base; they have no base of their own to compare with.
COMPARING = frozenset({"CEL406", "CEL407"})


@dataclass(frozen=True)
class BaseRequest:
    """What the user asked for: ``--base-ref REF`` and ``--new-only``."""

    ref: str
    new_only: bool = False


@dataclass(frozen=True)
class BaseSide:
    """The base of one project, built once per run (re-checks after fixes reuse it).

    `same`: git finds no difference under the project, so the base is the working tree.
    `prints`: with ``--new-only``, the fingerprints of the base's findings. `commit`,
    `differ` (files read from git objects) and `cached` (facts the base took from the
    cache) are for ``--verbose``."""

    base: Base
    same: bool
    prints: Counter[str] | None = None
    notice: Notice | None = None
    commit: str = ""
    differ: int = 0
    cached: int = 0

    def attach(self, model: Model) -> Model:
        """`model` with the base beside it (the working model itself when the same)."""
        return replace(model, base=Base(self.base.ref, model) if self.same else self.base)

    def describe(self) -> str:
        """What the base is and what it cost, for ``--verbose``."""
        head = f"base {self.base.ref} ({self.commit[:12]})"
        if self.base.model is None:
            return f"{head}: the project did not exist there"
        if self.same:
            return f"{head}: the same as the working tree"
        return (f"{head}: {self.differ} file{'s' if self.differ != 1 else ''} read from "
                f"git, {self.cached} from the cache")

    def new_only(self, root: Path, findings: Sequence[Finding]) -> list[Finding]:
        """The findings the base did not already have."""
        if self.same:
            return []
        return new_findings(root, findings, self.prints or Counter())


# Runs the selected rules on a model and gives its findings, noqa comments applied.
Checker = Callable[[Model], list[Finding]]


@dataclass(frozen=True)
class BaseInputs:
    """What building the base needs from the working run."""

    options: FileOptions
    version: TargetVersion
    load: LoadSettings | None
    needs: Sequence[Need]
    checker: Checker
    selected: frozenset[str]


class BaseComparison:
    """``--base-ref`` for one project: its base side, built on first use and reused by
    the re-checks after fixes (which may run on a private copy that is no repository)."""

    def __init__(self, request: BaseRequest) -> None:
        self.request = request
        self._side: BaseSide | None = None

    def side(self, working: Model, inputs: BaseInputs) -> BaseSide:
        if self._side is None:
            self._side = base_side(self.request, working, inputs)
        return self._side

    @property
    def built(self) -> BaseSide | None:
        """The base side, once a run has built it."""
        return self._side


def base_side(request: BaseRequest, working: Model, inputs: BaseInputs) -> BaseSide:
    """The base of the project `working` models; GitError when it cannot be read."""
    project = working.project
    root = project.root
    repo = repository_of(root)
    tree = base_tree(repo, base_commit(repo, request.ref), root)
    if not tree.blobs:
        return BaseSide(Base(request.ref, None), False, Counter() if request.new_only
                        else None, _no_base_notice(request.ref, inputs.selected), tree.commit)
    edited = set(buffered_under(root))  # editor buffers differ from the disk git saw
    files = _base_files(root, inputs.options, project.files, tree)
    differs = (tree.changed | edited) & set(files)
    if files == sorted(project.files) and not differs:
        return BaseSide(Base(request.ref, working), True, commit=tree.commit)
    contents = read_blobs(repo, {tree.blobs[path] for path in differs})
    overlay = {path: contents[tree.blobs[path]] for path in differs}
    missing = [path for path in {*project.files, *edited} if path not in tree.blobs]
    load = replace(inputs.load, progress=None, rules_progress=None) if inputs.load else None
    cache = project.cache.reader() if project.cache is not None else None
    with reading_tree(root, overlay, missing):
        model = build_files(root, files, inputs.options, inputs.version, load, inputs.needs,
                            cache)
        prints = (Counter(fingerprints(root, inputs.checker(model))) if request.new_only
                  else None)
    hits = len(cache.hits) if cache is not None else 0
    return BaseSide(Base(request.ref, model), False, prints, None, tree.commit, len(differs),
                    hits)


def _base_files(root: Path, options: FileOptions, working: Sequence[str], tree: BaseTree
                ) -> list[str]:
    """The files a run at the base reads: the working tree's that the base has, and the
    base's that the working tree lacks (deleted since) where discovery would take them."""
    present = set(working)
    kept = [path for path in working if path in tree.blobs]
    gone = would_discover(root, options, (path for path in tree.changed
                                          if path in tree.blobs and path not in present))
    return sorted({*kept, *gone})


def _no_base_notice(ref: str, selected: frozenset[str]) -> Notice | None:
    """Said only when a comparing rule is selected (the others do not miss anything)."""
    skipped = tuple(sorted(COMPARING & selected))
    if not skipped:
        return None
    return Notice(NO_BASE_PROJECT, None, None, None,
                  f"the project did not exist at {ref} (the merge base with HEAD): every "
                  "task is new", skipped,
                  "Nothing to do; the comparison starts once the project is on the base "
                  "branch.")
