"""Celery worker commands found in process definition files, read as text.

Projects start their workers from Procfiles, compose files, Kubernetes manifests, systemd
units, supervisord configs, Dockerfiles and shell entrypoints. Several rules depend on the
options given there (`--time-limit` bounds every task, `-P` picks the pool that decides
whether limits are enforced, `-B` embeds beat), so this package finds every `celery ...
worker` invocation in those files and reports its options with exact positions.

Nothing is executed or imported. `kinds` says which files are process files; a reader per
format turns a file into word lists with offsets (`line_files`, `dockerfile`, and
`yaml_files` on PyYAML's composer), all through the shell lexer (`shell`); `invocations`
and `celery_cli` recognise the worker in those words; `commands` assembles the result.
Readers are tolerant: a file that is not valid for its kind yields whatever commands can
be recognised, never an exception.
"""

from __future__ import annotations

from celerylint.model.workers.commands import WorkerCommand, worker_commands
from celerylint.model.workers.kinds import is_dev_only, is_process_file

__all__ = ["WorkerCommand", "is_dev_only", "is_process_file", "worker_commands"]
