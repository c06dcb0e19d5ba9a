"""Line-oriented process files: Procfiles, systemd units, supervisord configs, scripts.

In these formats a command is found by its line (`name:`, `ExecStart=`, `command=`, or any
line of a script) and runs to the end of the line and its continuation lines; the shell
lexer reads it from there. `configparser` cannot be used for units or supervisord configs:
it keeps no offsets, and systemd's continuation and comment rules are not ini's.
"""

from __future__ import annotations

import re

from celerylint.model.workers.shell import Sources, shell_words
from celerylint.model.workers.source_text import SourceText

_PROCFILE_LINE = re.compile(r"[ \t]*[\w.-]+[ \t]*:[ \t]*")
_SYSTEMD_EXEC = re.compile(r"[ \t]*ExecStart[ \t]*=[ \t]*")
_SUPERVISOR_COMMAND = re.compile(r"command[ \t]*[=:][ \t]*")


def shell_sources(source: SourceText) -> Sources:
    """A shell script (entrypoints, s6/runit `run` files): one command per line."""
    return [shell_words(source.text, 0, len(source.text), True)]


def procfile_sources(source: SourceText) -> Sources:
    """`name: command` lines; other lines (comments included) are not process types."""
    sources: Sources = []
    for row, line in enumerate(source.lines):
        match = _PROCFILE_LINE.match(line)
        if match:
            start = source.offset(row, match.end())
            sources.append(shell_words(source.text, start, source.line_end(row), True))
    return sources


def systemd_sources(source: SourceText) -> Sources:
    """`ExecStart=` of a unit; ExecReload/ExecStop repeat or stop the same workers."""
    sources: Sources = []
    for row, line in enumerate(source.lines):
        match = _SYSTEMD_EXEC.match(line)
        if match:
            last = source.continued_rows(row, skip_comments=True)
            start = source.offset(row, match.end())
            sources.append(shell_words(source.text, start, source.line_end(last), False))
    return sources


def _indented_continuation(source: SourceText, row: int) -> int:
    """Last row of an ini value that continues on the following indented, non-blank lines."""
    lines = source.lines
    while row + 1 < len(lines) and lines[row + 1][:1] in (" ", "\t") and lines[row + 1].strip():
        row += 1
    return row


def supervisor_sources(source: SourceText) -> Sources:
    """`command=` keys; ini values continue on the following indented lines."""
    sources: Sources = []
    for row, line in enumerate(source.lines):
        match = _SUPERVISOR_COMMAND.match(line)
        if match:
            last = _indented_continuation(source, row)
            start = source.offset(row, match.end())
            sources.append(shell_words(source.text, start, source.line_end(last), False))
    return sources
