"""What the rules reading worker commands (CEL204, CEL210, CEL605) share: a command's
span, and whether free expansions may hide options in it."""

from __future__ import annotations

from celerylint.findings import Span
from celerylint.model.workers import WorkerCommand

# The option key under which the worker-command reader keeps free shell or template
# expansions (`$CELERYD_OPTS`, `"$@"`), which may stand for any option.
EXPANSIONS = "expansions"


def may_hide_options(command: WorkerCommand) -> bool:
    """Whether the command's options cannot all be read (`celery worker $CELERYD_OPTS`)."""
    return EXPANSIONS in command.options


def command_span(command: WorkerCommand) -> Span:
    """The whole command, from the program word to its last word (its first row is the
    first physical line, where a finding on it lands)."""
    return Span(command.row, command.column, command.end_row, command.end_column)
