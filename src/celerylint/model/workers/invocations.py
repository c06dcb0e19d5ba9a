"""Finding the celery worker invocation inside a reader's words.

A process file rarely runs `celery` first: it runs `exec`, `gosu app`, `newrelic-admin
run-program`, `python -m celery`, or a shell with `-c SCRIPT`, and chains commands with
`&&`, `;` and newlines. This module walks those wrappers and operators, the same way for
every file format, and hands the words after the program to `celery_cli`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from celerylint.model.workers.celery_cli import is_celery_program, parse_celery, program_name
from celerylint.model.workers.shell import Word, script_words

_PYTHON = re.compile(r"(python|pypy)[0-9.]*")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_SWITCH_USER = frozenset({"su", "runuser"})
_NOT_COMMANDS = frozenset({"echo", "printf"})


@dataclass(frozen=True)
class Invocation:
    """A worker invocation: its offsets [start, end) in the file and what it says."""

    start: int
    end: int
    app: str | None
    options: Mapping[str, str]
    beat: bool


def _script_index(words: Sequence[Word], index: int) -> int | None:
    """For `sh -c SCRIPT` / `su app -c SCRIPT` at `index`, the index of SCRIPT."""
    name = program_name(words[index].text)
    if name not in _SHELLS and name not in _SWITCH_USER:
        return None
    j = index + 1
    while j < len(words):
        arg = words[j].text
        letters = arg[1:]
        if arg[:1] in ("-", "+") and letters.isalpha():
            if arg[0] == "-" and "c" in letters:
                return j + 1 if j + 1 < len(words) else None
            takes_value = letters[-1] in "oO" or (
                name in _SWITCH_USER and letters in ("s", "u", "g", "G"))
            j += 2 if takes_value else 1
        elif arg.startswith("-") or name in _SWITCH_USER:
            j += 1
        else:
            return None
    return None


def _python_start(words: Sequence[Word], module_flag: int) -> int:
    """Index where `python [...] -m celery` starts: the interpreter, else the `-m`."""
    for index in range(module_flag - 1, -1, -1):
        if _PYTHON.fullmatch(program_name(words[index].text)):
            return index
    return module_flag


def _invocation(words: Sequence[Word], start: int, program: int) -> list[Invocation]:
    """The invocation whose program word is `words[program]`, spanning from `start`."""
    parsed = parse_celery(words, program)
    if not parsed.is_worker:
        return []
    if parsed.program != program:  # the parse restarted at a later celery program
        start = parsed.program
    values = dict(parsed.values)
    app = values.pop("app", None)
    end = max(word.end for word in words[start:])
    return [Invocation(words[start].start, end, app, values, parsed.beat)]


def _in_command(text: str, words: Sequence[Word]) -> list[Invocation]:
    """The worker invocation in one simple command (no control operators), if any."""
    if not words or words[0].text in _NOT_COMMANDS:
        return []
    for index, word in enumerate(words):
        script = _script_index(words, index)
        if script is not None:
            return find_workers(text, script_words(text, words[script]))
        if is_celery_program(word.text):
            return _invocation(words, index, index)
        if word.text == "-m" and index + 1 < len(words) and words[index + 1].text == "celery":
            return _invocation(words, _python_start(words, index), index + 1)
    return []


def find_workers(text: str, words: Sequence[Word]) -> list[Invocation]:
    """Worker invocations in words that may hold several commands joined by operators.

    `text` is the file's text, which the words' offsets point into.
    """
    found: list[Invocation] = []
    command: list[Word] = []
    for word in [*words, Word("", 0, 0, operator=True)]:
        if word.operator:
            found.extend(_in_command(text, command))
            command = []
        else:
            command.append(word)
    return found
