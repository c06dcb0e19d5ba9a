"""Building the model a run's rules read: discover and load the project, link apps and
tasks, load what the selected rules declare they need, then freeze it.

Everything that reads a file happens here, before any rule runs, so rules only read and
their order can never change a finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from celerylint.engine.discover import project_files
from celerylint.engine.options import FileOptions
from celerylint.facts.schema import ModuleFacts
from celerylint.model.apps import App, find_apps
from celerylint.model.cache import FactsCache
from celerylint.model.celery_version import TargetVersion
from celerylint.model.loading import LoadSettings, load_project
from celerylint.model.names import TaskNames
from celerylint.model.project import Project
from celerylint.model.tasks import Task, find_tasks


@dataclass(frozen=True)
class Model:
    """What rules read: the project, its apps, its tasks and their names; with
    ``--base-ref``, also the project at the base (`base`)."""

    project: Project
    apps: list[App]
    tasks: list[Task]
    names: TaskNames
    base: Base | None = None

    def production_apps(self) -> list[App]:
        """Apps outside test code, each once."""
        return [app for app in self.apps if not app.test_code]

    def production_tasks(self) -> list[Task]:
        """Tasks outside test code."""
        return [t for t in self.tasks if not self.project.is_test_path(t.path)]

    def base_had(self, name: str) -> str | None:
        """The base ref, when a production task of the base version (``--base-ref``)
        registered `name`: a name that now names nothing was renamed or removed since."""
        old = self.base.model if self.base is not None else None
        if old is None or self.base is None:
            return None
        had = any(not old.project.is_test_path(task.path) for task in old.names.tasks(name))
        return self.base.ref if had else None

    def production_modules(self) -> list[tuple[str, ModuleFacts]]:
        """(path, facts) of every loaded module outside test code, in path order."""
        project = self.project
        return [(path, project.modules[path]) for path in sorted(project.modules)
                if not project.is_test_path(path)]


@dataclass(frozen=True)
class Base:
    """The project at the base git ref (``--base-ref``): the ref as the user wrote it, and
    its model, None when the project did not exist there yet (every task is new)."""

    ref: str
    model: Model | None


# Files a rule needs loaded beyond what apps and tasks load (e.g. the helpers task
# bodies call), asked of the linked model before it is frozen.
Need = Callable[[Model], Iterable[str]]


def build_model(root: Path, options: FileOptions, version: TargetVersion,
                load: LoadSettings | None = None, needs: Iterable[Need] = (),
                named: Sequence[Path] = ()) -> Model:
    """Load every file under `root` (and the files the user `named`, see
    `project_files`), link apps and tasks, load what `needs` ask for, and freeze the
    project."""
    return build_files(root, project_files(root, options, named), options, version, load,
                       needs)


def build_files(root: Path, files: Sequence[str], options: FileOptions,
                version: TargetVersion, load: LoadSettings | None = None,
                needs: Iterable[Need] = (), cache: FactsCache | None = None) -> Model:
    """`build_model` of the given root-relative `files` (``--base-ref`` lists the base's),
    with `cache` in place of the one `load` names when given."""
    project = load_project(root, files, version, options.test_patterns,
                           options.task_decorators, options.django_settings_module, load,
                           cache)
    return link(project, needs, load.jobs if load else 1)


def link(project: Project, needs: Iterable[Need] = (), jobs: int = 1) -> Model:
    """Apps and tasks of a loaded project, plus what `needs` ask for; then frozen."""
    apps = find_apps(project)
    tasks = find_tasks(project, apps)
    model = Model(project, apps, tasks, TaskNames.of(tasks, project.top_packages()))
    for need in needs:  # again until it names no new file: a need may follow imports
        asked: set[str] = set()
        while fresh := set(need(model)) - asked:
            asked |= fresh
            project.prefetch(fresh, jobs)
    project.freeze()
    return model
