"""CEL605 beat-embedded-in-worker: a worker command in a process file runs beat with `-B`."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.checks.reliability.worker_options import command_span
from celerylint.findings import Finding
from celerylint.model.build import Model

MESSAGE = ("celery worker runs beat embedded (-B): every copy of this worker sends each "
           "periodic task")
HINT = "Run `celery beat` as its own single process and drop -B from the worker command."


class BeatEmbeddedInWorker(Rule):
    """A worker started with ``-B``/``--beat`` runs its own beat scheduler: every replica,
    node or restart of that process definition schedules the periodic tasks again.

    The worker-command reader (`model.workers`) already records `beat` from the command's
    options (alone or in a cluster such as ``-BE``) and which files are development-only;
    ``celery beat`` as a command of its own is not a worker and never reaches this rule.
    """

    code = "CEL605"

    def check(self, model: Model) -> Iterator[Finding]:
        for command in model.project.workers:
            if command.beat and not command.dev_only:
                yield Finding(self.code, MESSAGE, command.path, command_span(command),
                              hint=HINT)
