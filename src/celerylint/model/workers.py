"""Celery worker commands found in process definition files, read as text.

Projects start their workers from Procfiles, compose files, Kubernetes manifests, systemd
units, supervisord configs, Dockerfiles and shell entrypoints. Several rules depend on the
options given there (`--time-limit` bounds every task, `-P` picks the pool that decides
whether limits are enforced, `-B` embeds beat), so this module finds every `celery ...
worker` invocation in those files and reports its options with exact positions.

Nothing is executed and no YAML library is used: each file kind has a small reader that
turns the file into lists of words with their offsets, and one shared scanner recognises
the celery invocation inside them. Readers are tolerant: a file that is not valid for its
kind still yields whatever commands can be recognised, never an exception.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Callable

__all__ = ["HEAD_SIZE", "WorkerCommand", "is_dev_only", "is_process_file", "worker_commands"]

#: How many leading bytes of a file `is_process_file` looks at for ambiguous names.
HEAD_SIZE = 8192


@dataclass(frozen=True)
class WorkerCommand:
    """One `celery ... worker` (or `celery multi start`) invocation in a process file.

    Positions are 1-based, columns counted in characters, `end_column` exclusive. The span
    runs from the program word (`celery`, or `python` for `python -m celery`) to the last
    word of the command, across `\\` continuations and YAML lists. `options` holds the raw
    values as written (quotes removed), which may be `${VAR}`, `$VAR`, `{{ ... }}` or
    `%(ENV_X)s` references that callers treat as set-but-unknown. Instances are plain
    data (picklable, for the fact cache and process pool); treat `options` as read-only.
    """

    path: str
    row: int
    column: int
    end_row: int
    end_column: int
    app: str | None
    options: Mapping[str, str] = field(hash=False)
    beat: bool
    dev_only: bool


# ---------------------------------------------------------------------------------------
# File kinds

_NEVER_PROCESS_SUFFIXES = (".md", ".markdown", ".rst", ".txt", ".py", ".pyi")
# `devcontainer` is listed as a word of its own: CATALOG names `.devcontainer/` as dev-only,
# while a prefix test would also catch `devices`.
_DEV_WORDS = frozenset(
    {"dev", "devel", "development", "debug", "local", "override", "test", "tests",
     "devcontainer"}
)
_YAML_COMMAND_KEY = re.compile(rb"(?m)^[ \t]*(?:-[ \t]+)*(?:command|args)[ \t]*:")


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _is_compose_name(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(("docker-compose", "compose")) and lower.endswith((".yml", ".yaml"))


def _in_s6_dir(path: str) -> bool:
    """s6-overlay and similar supervisors keep `run` scripts that need no shebang."""
    parents = path.split("/")[:-1]
    return any(part.startswith("s6") or part == "services.d" for part in parents)


def _kind_by_name(path: str) -> str | None:
    """The reader a file name calls for, before any look at its content."""
    name = _basename(path)
    lower = name.lower()
    if lower.endswith(_NEVER_PROCESS_SUFFIXES):
        return None
    if name == "Procfile" or name.startswith("Procfile."):
        return "procfile"
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile"):
        return "dockerfile"
    if lower.endswith(".service"):
        return "systemd"
    if lower.endswith((".yml", ".yaml")):
        return "yaml"
    if lower.endswith((".conf", ".ini")):
        return "supervisor"
    if lower.endswith(".sh"):
        return "shell"
    if name == "run":
        return "run"
    return None


def is_process_file(path: str, head: bytes) -> bool:
    """Whether `path` may define processes; `head` is the file's first bytes.

    Cheap enough for a discovery pass: a name test, plus for names shared with other uses
    (`*.yml`, `*.conf`, `*.ini`, `run`) a search of the first HEAD_SIZE bytes.
    """
    kind = _kind_by_name(path)
    sample = head[:HEAD_SIZE]
    name = _basename(path)
    if kind == "yaml":
        return _is_compose_name(name) or _YAML_COMMAND_KEY.search(sample) is not None
    if kind == "supervisor":
        return name == "supervisord.conf" or b"[program:" in sample
    if kind == "run":
        return _in_s6_dir(path) or sample.startswith(b"#!")
    return kind is not None


def is_dev_only(path: str) -> bool:
    """Whether a path is for development only (CATALOG CEL605's "stays silent" list).

    A component counts when one of its words, split on `.`, `-` and `_`, is a development
    word: `Procfile.dev`, `docker-compose.override.yml`, `ci/unit_tests/run`,
    `.devcontainer/`; `latest` and `devices` are whole words of their own and do not count.
    """
    for part in path.lower().split("/"):
        if _DEV_WORDS.intersection(re.split(r"[._-]", part)):
            return True
    return False


# ---------------------------------------------------------------------------------------
# Text, words and the shell tokenizer


class _Text:
    """A file's text with its line table, to turn offsets into rows and columns."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.starts: list[int] = []
        offset = 0
        for line in self.lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def offset(self, row: int, column: int) -> int:
        """Offset of a 0-based (row, column)."""
        return self.starts[row] + column

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (row, column) of an offset."""
        row = bisect_right(self.starts, offset) - 1
        return row + 1, offset - self.starts[row] + 1

    def row_of(self, offset: int) -> int:
        """0-based row of an offset."""
        return bisect_right(self.starts, offset) - 1


@dataclass(frozen=True)
class _Word:
    """A word of a command with its raw span [start, end) in the file's text.

    `inner` is the span whose raw text, tokenized again, gives the word's content (inside
    the quotes of a quoted word); None when quoting is mixed and only `text` is reliable.
    `operator` marks shell control operators (`;`, `&&`, `|`, newline) between commands.
    """

    text: str
    start: int
    end: int
    inner: tuple[int, int] | None = None
    operator: bool = False


_BLANKS = " \t\r"
_OPERATORS = ";&|()"
_WORD_BREAK = " \t\r\n;&|()<>"
_DOUBLE_QUOTE_ESCAPE = re.compile(r'\\([$`"\\\n])')


def _closing_quote(text: str, index: int, end: int) -> int | None:
    """Index of the quote closing the one at `index` (shell rules), None if unbalanced."""
    quote = text[index]
    if quote == "'":
        found = text.find("'", index + 1, end)
        return None if found < 0 else found
    i = index + 1
    while i < end:
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i
        else:
            i += 1
    return None


def _closing_bracket(text: str, index: int, end: int) -> int | None:
    """End (exclusive) of `${...}`, `$(...)`, `%(...)` or `{{ ... }}` opened at `index`."""
    if text.startswith("{{", index):
        found = text.find("}}", index + 2, end)
        return None if found < 0 else found + 2
    opener = text[index + 1]
    closer = "}" if opener == "{" else ")"
    depth = 0
    for i in range(index + 1, end):
        if text[i] == opener:
            depth += 1
        elif text[i] == closer:
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _read_word(text: str, start: int, end: int) -> tuple[_Word, int]:
    """Read one shell word at `start`; unbalanced quotes and brackets are taken literally."""
    parts: list[str] = []
    i = start
    quoted_whole: int | None = None  # closing index when the word opens with a quote
    has_quotes = False
    while i < end and text[i] not in _WORD_BREAK:
        char = text[i]
        if char == "\\" and i + 1 < end:
            parts.append("" if text[i + 1] == "\n" else text[i + 1])
            i += 2
            continue
        if char in "'\"":
            close = _closing_quote(text, i, end)
            if close is not None:
                has_quotes = True
                raw = text[i + 1:close]
                parts.append(raw if char == "'" else _DOUBLE_QUOTE_ESCAPE.sub(_unescape, raw))
                if i == start:
                    quoted_whole = close
                i = close + 1
                continue
        elif (char in "$%" and text[i + 1:i + 2] in ("{", "(")) or text.startswith("{{", i):
            close = _closing_bracket(text, i, end)
            if close is not None:
                parts.append(text[i:close])
                i = close
                continue
        parts.append(char)
        i += 1
    if quoted_whole is not None and quoted_whole == i - 1:
        inner: tuple[int, int] | None = (start + 1, i - 1)
    else:
        inner = None if has_quotes else (start, i)
    return _Word("".join(parts), start, i, inner), i


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    return "" if escaped == "\n" else escaped


def _skip_redirection(text: str, index: int, end: int) -> tuple[int, str | None]:
    """Skip a redirection (`>`, `2>&1`, `< file`, `&> log`) with its target word.

    For a here-document (`<<EOF`, `<<-'EOF'`) also return its delimiter, so that the body,
    which is data and not commands, can be skipped at the end of the line.
    """
    i = index
    while i < end and text[i] in "<>&|":
        i += 1
    operator = text[index:i]
    if operator == "<<" and text.startswith("-", i):  # `<<-EOF`: tab-indented body
        i += 1
    if i < end and (text[i].isdigit() or text[i] == "-") and text[i - 1] == "&":
        return i + 1, None
    while i < end and text[i] in _BLANKS:
        i += 1
    if i >= end or text[i] in _WORD_BREAK:
        return i, None
    target, i = _read_word(text, i, end)
    return i, target.text if operator == "<<" else None


def _heredoc_end(text: str, start: int, end: int, delimiter: str) -> int:
    """Offset just after the line that closes a here-document whose body starts at `start`.

    The delimiter line may be indented: scripts embedded in YAML blocks are read from the
    raw file text, indentation included.
    """
    i = start
    while i < end:
        newline = text.find("\n", i, end)
        line_end = end if newline < 0 else newline
        line = text[i:line_end]
        i = min(line_end + 1, end)
        if line.strip() == delimiter:
            break
    return i


def _shell_words(text: str, start: int, end: int, newlines_separate: bool) -> list[_Word]:
    """Split text[start:end] into shell words and control operators.

    Like `shlex` in POSIX mode, but it keeps offsets, keeps `${...}`, `$(...)`, Helm
    `{{ ... }}` and supervisord `%(...)s` whole, drops comments, redirections and
    here-document bodies, joins `\\` continuations and takes unbalanced quotes literally
    instead of failing.
    """
    words: list[_Word] = []
    heredocs: list[str] = []
    i = start
    while i < end:
        char = text[i]
        if char == "\\" and text.startswith("\n", i + 1) and i + 1 < end:
            i += 2
        elif char in _BLANKS:
            i += 1
        elif char == "\n":
            if newlines_separate:
                words.append(_Word("\n", i, i + 1, operator=True))
            i += 1
            for pending in heredocs:
                i = _heredoc_end(text, i, end, pending)
            heredocs = []
        elif char == "#":
            newline = text.find("\n", i, end)
            i = end if newline < 0 else newline
        elif char in "<>" or text.startswith("&>", i):
            i, heredoc = _skip_redirection(text, i, end)
            heredocs.extend([heredoc] if heredoc else [])
        elif char in _OPERATORS:
            j = i + 1
            while j < end and char not in "()" and text[j] in ";&|":
                j += 1
            words.append(_Word(text[i:j], i, j, operator=True))
            i = j
        else:
            word, i = _read_word(text, i, end)
            if not (word.text.isdigit() and i < end and text[i] in "<>"):
                words.append(word)
    return words


def _script_words(source: _Text, word: _Word) -> list[_Word]:
    """The words of a word that is itself a command line (`sh -c '...'`, a YAML string).

    A script whose text spans lines (a YAML `|` block, a multi-line quoted string) runs
    one command per line; a folded or continued one is a single line.
    """
    separate = "\n" in word.text
    if word.inner is not None:
        return _shell_words(source.text, word.inner[0], word.inner[1], separate)
    return [
        replace(inner, start=word.start, end=word.end, inner=None)
        for inner in _shell_words(word.text, 0, len(word.text), separate)
    ]


# ---------------------------------------------------------------------------------------
# Recognising a celery worker invocation in a list of words

_CANONICAL = frozenset({
    "time_limit", "soft_time_limit", "pool", "prefetch_multiplier", "concurrency", "queues",
    "loglevel", "app",
})
# Options of `celery`, `celery worker` and `celery multi` that take a value, so that the
# value is never mistaken for a flag or a subcommand. "" marks values nobody reads.
_LONG_VALUE = {
    "--app": "app", "--broker": "", "--result-backend": "", "--loader": "", "--config": "",
    "--workdir": "", "--hostname": "", "--statedb": "", "--loglevel": "loglevel",
    "--optimization": "", "--prefetch-multiplier": "prefetch_multiplier",
    "--concurrency": "concurrency", "--pool": "pool", "--time-limit": "time_limit",
    "--soft-time-limit": "soft_time_limit", "--max-tasks-per-child": "",
    "--pool-start-method": "", "--max-memory-per-child": "", "--queues": "queues",
    "--exclude-queues": "", "--include": "", "--heartbeat-interval": "", "--autoscale": "",
    "--schedule-filename": "", "--schedule": "", "--scheduler": "", "--logfile": "",
    "--pidfile": "", "--uid": "", "--gid": "", "--umask": "", "--executable": "",
}
_SHORT_VALUE = {
    "A": "app", "b": "", "n": "", "S": "", "l": "loglevel", "O": "", "c": "concurrency",
    "P": "pool", "Q": "queues", "X": "", "I": "", "s": "", "f": "",
}
_SUBCOMMANDS = frozenset({
    "worker", "beat", "multi", "events", "inspect", "control", "status", "call", "result",
    "purge", "list", "migrate", "shell", "upgrade", "logtool", "amqp", "report", "graph",
    "help", "flower",
})
_MULTI_STARTS = frozenset({"start", "restart"})
_NODE_OPTION = re.compile(r"(-[A-Za-z]|--[a-z][a-z-]*):\S+")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?:[:?+=-][^}]*)?\}?")
_PYTHON = re.compile(r"(python|pypy)[0-9.]*")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_SWITCH_USER = frozenset({"su", "runuser"})
_NOT_COMMANDS = frozenset({"echo", "printf"})


def _is_celery_program(word: str) -> bool:
    """`celery`, `/venv/bin/celery`, `-/usr/bin/celery` (systemd) or `${CELERY_BIN}`."""
    program = word.lstrip("-@+!:")
    if program != word and not program.startswith(("/", "$")):
        return False  # an option, not a systemd `-/usr/bin/celery` prefix
    name = _basename(program)
    if name == "celery":
        return True
    variable = _VARIABLE.fullmatch(name)
    if variable is None:
        return False
    upper = variable.group(1).upper()
    return "CELERY_BIN" in upper or upper.endswith("CELERY")


@dataclass
class _Parsed:
    """What the arguments of one celery invocation say."""

    program: int
    subcommand: str | None = None
    multi_command: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    beat: bool = False

    @property
    def is_worker(self) -> bool:
        if self.subcommand == "multi":
            return self.multi_command in _MULTI_STARTS
        return self.subcommand == "worker"

    def record(self, canonical: str, value: str | None) -> None:
        if value is not None and canonical in _CANONICAL:
            self.values[canonical] = value


def _parse_long(parsed: _Parsed, word: str, following: str | None) -> int:
    """Apply a `--long` option; returns how many following words it consumed."""
    name, equals, value = word.partition("=")
    if _NODE_OPTION.fullmatch(name):  # `celery multi` per-node option: not all workers
        return 0 if equals or name.split(":")[0] not in _LONG_VALUE else 1
    if name == "--beat":
        parsed.beat = True
    if name not in _LONG_VALUE:
        return 0
    if equals:
        parsed.record(_LONG_VALUE[name], value)
        return 0
    parsed.record(_LONG_VALUE[name], following)
    return 1


def _parse_short(parsed: _Parsed, word: str, following: str | None) -> int:
    """Apply a short option cluster like `-B`, `-BE`, `-Ofair`, `-c4`; returns consumed."""
    if _NODE_OPTION.fullmatch(word):
        return 1 if word[1] in _SHORT_VALUE else 0
    body = word[1:]
    for index, letter in enumerate(body):
        if letter in _SHORT_VALUE:
            rest = body[index + 1:]
            parsed.record(_SHORT_VALUE[letter], rest or following)
            return 0 if rest else 1
        if letter == "B":
            parsed.beat = True
    return 0


def _parse_celery(words: Sequence[_Word], program: int) -> _Parsed:
    """Read the arguments after the celery program at `words[program]`.

    Options may stand before or after the subcommand. A positional that is itself a
    celery program (`gosu celery celery -A proj worker`) restarts the parse there.
    """
    parsed = _Parsed(program)
    i = program + 1
    while i < len(words):
        word = words[i].text
        following = words[i + 1].text if i + 1 < len(words) else None
        if word == "--":
            i += 1
            continue
        if word.startswith("--"):
            i += 1 + _parse_long(parsed, word, following)
            continue
        if word.startswith("-") and len(word) > 1:
            i += 1 + _parse_short(parsed, word, following)
            continue
        if parsed.subcommand is None:
            if word in _SUBCOMMANDS:
                parsed.subcommand = word
            elif _is_celery_program(word):
                return _parse_celery(words, i)
        elif parsed.subcommand == "multi" and parsed.multi_command is None:
            parsed.multi_command = word
        i += 1
    return parsed


def _script_index(words: Sequence[_Word], index: int) -> int | None:
    """For `sh -c SCRIPT` / `su app -c SCRIPT` at `index`, the index of SCRIPT."""
    name = _basename(words[index].text)
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


def _python_start(words: Sequence[_Word], module_flag: int) -> int:
    """Index where `python [...] -m celery` starts: the interpreter, else the `-m`."""
    for index in range(module_flag - 1, -1, -1):
        if _PYTHON.fullmatch(_basename(words[index].text)):
            return index
    return module_flag


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    app: str | None
    options: Mapping[str, str]
    beat: bool


def _found(words: Sequence[_Word], start: int, program: int) -> list[_Found]:
    """The invocation whose program word is `words[program]`, spanning from `start`."""
    parsed = _parse_celery(words, program)
    if not parsed.is_worker:
        return []
    if parsed.program != program:  # the parse restarted at a later celery program
        start = parsed.program
    values = dict(parsed.values)
    app = values.pop("app", None)
    end = max(word.end for word in words[start:])
    return [_Found(words[start].start, end, app, values, parsed.beat)]


def _scan_command(source: _Text, words: Sequence[_Word]) -> list[_Found]:
    """The worker invocation in one simple command (no control operators), if any."""
    if not words or words[0].text in _NOT_COMMANDS:
        return []
    for index, word in enumerate(words):
        script = _script_index(words, index)
        if script is not None:
            return _scan_words(source, _script_words(source, words[script]))
        if _is_celery_program(word.text):
            return _found(words, index, index)
        if word.text == "-m" and index + 1 < len(words) and words[index + 1].text == "celery":
            return _found(words, _python_start(words, index), index + 1)
    return []


def _scan_words(source: _Text, words: Sequence[_Word]) -> list[_Found]:
    """Worker invocations in words that may hold several commands joined by operators."""
    found: list[_Found] = []
    command: list[_Word] = []
    for word in list(words) + [_Word("", 0, 0, operator=True)]:
        if word.operator:
            found.extend(_scan_command(source, command))
            command = []
        else:
            command.append(word)
    return found


# ---------------------------------------------------------------------------------------
# Readers: one per file kind, each returning the word lists that may hold commands

_Sources = list[list[_Word]]


def _line_end(source: _Text, row: int) -> int:
    return source.offset(row, len(source.lines[row]))


def _shell_sources(source: _Text) -> _Sources:
    """A shell script (entrypoints, s6/runit `run` files): one command per line."""
    return [_shell_words(source.text, 0, len(source.text), True)]


_PROCFILE_LINE = re.compile(r"[ \t]*[\w.-]+[ \t]*:[ \t]*")


def _procfile_sources(source: _Text) -> _Sources:
    """`name: command` lines; other lines (comments included) are not process types."""
    sources: _Sources = []
    for row, line in enumerate(source.lines):
        match = _PROCFILE_LINE.match(line)
        if match:
            start = source.offset(row, match.end())
            sources.append(_shell_words(source.text, start, _line_end(source, row), True))
    return sources


def _continued_rows(source: _Text, row: int, skip_comments: bool) -> int:
    """Last row of a logical line continued with trailing backslashes.

    Dockerfiles and systemd drop comment lines inside a continuation, so those neither
    end it nor need a backslash of their own.
    """
    lines = source.lines
    while lines[row].rstrip().endswith("\\") and row + 1 < len(lines):
        row += 1
        while (skip_comments and row + 1 < len(lines)
               and lines[row].lstrip().startswith(("#", ";"))):
            row += 1
    return row


_SYSTEMD_EXEC = re.compile(r"[ \t]*ExecStart[ \t]*=[ \t]*")


def _systemd_sources(source: _Text) -> _Sources:
    """`ExecStart=` of a unit; ExecReload/ExecStop repeat or stop the same workers."""
    sources: _Sources = []
    for row, line in enumerate(source.lines):
        match = _SYSTEMD_EXEC.match(line)
        if match:
            last = _continued_rows(source, row, skip_comments=True)
            start = source.offset(row, match.end())
            sources.append(_shell_words(source.text, start, _line_end(source, last), False))
    return sources


_SUPERVISOR_COMMAND = re.compile(r"command[ \t]*[=:][ \t]*")


def _supervisor_sources(source: _Text) -> _Sources:
    """`command=` keys; ini values continue on the following indented lines."""
    sources: _Sources = []
    lines = source.lines
    for row, line in enumerate(lines):
        match = _SUPERVISOR_COMMAND.match(line)
        if not match:
            continue
        last = row
        while last + 1 < len(lines) and lines[last + 1][:1] in (" ", "\t") \
                and lines[last + 1].strip():
            last += 1
        start = source.offset(row, match.end())
        sources.append(_shell_words(source.text, start, _line_end(source, last), False))
    return sources


_DOCKER_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)(?=[ \t]|$)[ \t]*")


@dataclass
class _Stage:
    """The commands of one Dockerfile stage; ENTRYPOINT and CMD combine like Docker does."""

    runs: _Sources = field(default_factory=list)
    entrypoint: list[_Word] | None = None
    entrypoint_exec: bool = False
    cmd: list[_Word] | None = None

    def sources(self) -> _Sources:
        if self.entrypoint_exec and self.entrypoint is not None and self.cmd is not None:
            return self.runs + [self.entrypoint + self.cmd]
        return self.runs + [words for words in (self.entrypoint, self.cmd) if words]


def _dockerfile_sources(source: _Text) -> _Sources:
    """RUN, CMD and ENTRYPOINT instructions, in shell or JSON exec form."""
    sources: _Sources = []
    stage = _Stage()
    row = 0
    while row < len(source.lines):
        match = _DOCKER_INSTRUCTION.match(source.lines[row])
        if not match:  # comments, blank lines, heredoc bodies
            row += 1
            continue
        last = _continued_rows(source, row, skip_comments=True)
        instruction = match.group(1).upper()
        if instruction == "FROM":
            sources.extend(stage.sources())
            stage = _Stage()
        elif instruction in ("RUN", "CMD", "ENTRYPOINT"):
            start = source.offset(row, match.end())
            exec_form = source.text.startswith("[", start)
            if exec_form:
                words, _ = _flow_words(source.text, start, _line_end(source, last))
            else:
                words = _shell_words(source.text, start, _line_end(source, last), False)
            if instruction == "RUN":
                stage.runs.append(words)
            elif instruction == "CMD":
                stage.cmd = words
            else:
                stage.entrypoint, stage.entrypoint_exec = words, exec_form
        row = last + 1
    return sources + stage.sources()


# YAML (compose, Kubernetes, Helm): only the `command`, `args` and `entrypoint` values
# are read. Keys at the same column of one mapping (a compose service, a Kubernetes
# container) combine in argv order: entrypoint + command (compose), command + args (k8s).

_YAML_KEY = re.compile(r"[ ]*(?:-[ ]+)*(command|args|entrypoint)[ ]*:(?=[ \t]|$)")
_YAML_ORDER = ("entrypoint", "command", "args")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _yaml_insignificant(line: str) -> bool:
    """Blank lines, comments and Helm template directives carry no YAML structure."""
    stripped = line.strip()
    return not stripped or stripped.startswith(("#", "{{"))


def _yaml_content_end(line: str, column: int) -> int:
    """End of the value on a line: before a ` #` comment and trailing blanks."""
    i = column
    while i < len(line):
        if line[i] == "#" and (i == column or line[i - 1] in " \t"):
            break
        i += 1
    return len(line[:i].rstrip())


def _find_close(text: str, index: int) -> int | None:
    """Closing quote of a YAML/JSON string opened at `index` (may span lines)."""
    quote = text[index]
    i = index + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and text.startswith("'", i + 1):
                i += 2
                continue
            return i
        i += 1
    return None


def _decode_quoted(raw: str, quote: str) -> str:
    folded = re.sub(r"[ \t]*\n[ \t]*", " ", raw)
    if quote == "'":
        return folded.replace("''", "'")
    try:
        decoded = json.loads('"' + folded + '"', strict=False)
    except ValueError:
        return folded
    return decoded if isinstance(decoded, str) else folded


def _quoted_word(text: str, index: int, limit: int) -> tuple[_Word, int]:
    """A quoted YAML/JSON string at `index`; unterminated, it runs to `limit`.

    With escapes in it (`\\"`, `''`) the raw text no longer reads like the value, so a
    command inside is read from the decoded value, at the position of the whole string.
    """
    close = _find_close(text, index)
    if close is None:
        return _Word(text[index + 1:limit], index, limit, (index + 1, limit)), limit
    quote, raw = text[index], text[index + 1:close]
    escaped = "\\" in raw if quote == '"' else "''" in raw
    inner = None if escaped else (index + 1, close)
    return _Word(_decode_quoted(raw, quote), index, close + 1, inner), close + 1


def _flow_words(text: str, index: int, limit: int) -> tuple[list[_Word], int]:
    """Items of a `[...]` sequence (JSON exec form, YAML flow) at `index`, and its end.

    An unclosed sequence ends at `limit`.
    """
    words: list[_Word] = []
    i = index + 1
    while i < limit:
        char = text[i]
        line_end = text.find("\n", i, limit)
        line_end = limit if line_end < 0 else line_end
        if char in " \t\r\n,":
            i += 1
        elif char == "\\" and text.startswith("\n", i + 1):
            i += 2
        elif char == "]":
            return words, i + 1
        elif char == "#" and text[i - 1] in " \t\n":
            i = line_end
        elif char in "\"'":
            word, i = _quoted_word(text, index=i, limit=line_end)
            words.append(word)
        else:
            j = i
            while j < line_end and text[j] not in ",]":
                j += 1
            raw_end = i + len(text[i:j].rstrip())
            words.append(_Word(text[i:raw_end], i, raw_end, (i, raw_end)))
            i = j
    return words, limit


def _yaml_block_scalar(source: _Text, row: int, column: int, parent: int) -> tuple[_Word, int]:
    """A `|` or `>` block scalar whose header is at (row, column)."""
    lines = source.lines
    first: int | None = None
    content_indent = 0
    last = row
    for index in range(row + 1, len(lines)):
        if not lines[index].strip():
            continue
        indent = _indent(lines[index])
        if first is None:
            if indent <= parent:
                break
            first, content_indent = index, indent
        elif indent < content_indent:
            break
        last = index
    if first is None:
        end = _line_end(source, row)
        return _Word("", end, end, (end, end)), row
    body = [line[content_indent:] for line in lines[first:last + 1]]
    if lines[row][column] == "|":
        value = "\n".join(body)
    else:
        value = " ".join(line.strip() for line in body if line.strip())
    start = source.offset(first, content_indent)
    end = _line_end(source, last)
    return _Word(value, start, end, (start, end)), last


def _yaml_plain(source: _Text, row: int, column: int, parent: int) -> tuple[_Word, int]:
    """A plain scalar, folded over following lines indented deeper than `parent`."""
    lines = source.lines
    end_column = _yaml_content_end(lines[row], column)
    pieces = [lines[row][column:end_column]]
    last = row
    while end_column == len(lines[last].rstrip()) and last + 1 < len(lines):
        line = lines[last + 1]
        if _yaml_insignificant(line) or _indent(line) <= parent:
            break
        last += 1
        end_column = _yaml_content_end(line, _indent(line))
        pieces.append(line[_indent(line):end_column])
    start = source.offset(row, column)
    end = source.offset(last, end_column)
    return _Word(" ".join(piece.strip() for piece in pieces), start, end, (start, end)), last


def _yaml_scalar(source: _Text, row: int, column: int, parent: int) -> tuple[_Word, int]:
    """The scalar starting at (row, column) and the last row it occupies."""
    char = source.lines[row][column]
    if char in "|>":
        return _yaml_block_scalar(source, row, column, parent)
    if char in "\"'":
        word, end = _quoted_word(source.text, source.offset(row, column), len(source.text))
        return word, source.row_of(end - 1)
    return _yaml_plain(source, row, column, parent)


def _yaml_block_list(source: _Text, row: int, key_column: int) -> tuple[list[_Word], int]:
    """Items of a `- item` block sequence starting after `row`; returns its last row."""
    words: list[_Word] = []
    last = row
    dash: int | None = None
    index = row + 1
    while index < len(source.lines):
        line = source.lines[index]
        if _yaml_insignificant(line):
            index += 1
            continue
        indent = _indent(line)
        is_item = line[indent:] == "-" or line[indent:].startswith("- ")
        dash = indent if dash is None and indent >= key_column else dash
        if not is_item or indent != dash:
            break
        value = indent + 1 + _indent(line[indent + 1:])
        last = index
        if value < _yaml_content_end(line, value):
            word, last = _yaml_scalar(source, index, value, indent)
            words.append(word)
        index = last + 1
    return words, last


def _yaml_value(source: _Text, row: int, column: int, key_column: int) -> tuple[list[_Word], int]:
    """Words of the value after `key:` at (row, column), and the last row it occupies."""
    line = source.lines[row]
    start = column + _indent(line[column:].replace("\t", " "))
    if start >= _yaml_content_end(line, start):
        return _yaml_block_list(source, row, key_column)
    if line[start] == "[":
        words, end = _flow_words(source.text, source.offset(row, start), len(source.text))
        return words, source.row_of(end - 1)
    word, last = _yaml_scalar(source, row, start, key_column)
    return _script_words(source, word), last


def _combine(group: dict[str, list[_Word]]) -> list[_Word]:
    return [word for key in _YAML_ORDER for word in group.get(key, [])]


def _yaml_sources(source: _Text) -> _Sources:
    """`command`/`args`/`entrypoint` values, combined per mapping."""
    sources: _Sources = []
    groups: list[tuple[int, dict[str, list[_Word]]]] = []
    row = 0
    while row < len(source.lines):
        line = source.lines[row]
        if _yaml_insignificant(line):
            row += 1
            continue
        while groups and groups[-1][0] > _indent(line):
            sources.append(_combine(groups.pop()[1]))
        match = _YAML_KEY.match(line)
        if not match:
            row += 1
            continue
        key_column = match.start(1)
        words, last = _yaml_value(source, row, match.end(), key_column)
        if not groups or groups[-1][0] != key_column:
            groups.append((key_column, {}))
        groups[-1][1][match.group(1)] = words
        row = last + 1
    return sources + [_combine(group) for _, group in reversed(groups)]


_READERS: dict[str, Callable[[_Text], _Sources]] = {
    "procfile": _procfile_sources,
    "dockerfile": _dockerfile_sources,
    "systemd": _systemd_sources,
    "yaml": _yaml_sources,
    "supervisor": _supervisor_sources,
    "shell": _shell_sources,
    "run": _shell_sources,
}


def _command(path: str, source: _Text, found: _Found, dev_only: bool) -> WorkerCommand:
    row, column = source.position(found.start)
    end_row, end_column = source.position(found.end)
    return WorkerCommand(
        path=path, row=row, column=column, end_row=end_row, end_column=end_column,
        app=found.app, options=found.options, beat=found.beat, dev_only=dev_only,
    )


def worker_commands(path: str, text: str) -> list[WorkerCommand]:
    """Every celery worker invocation in a process file, in file order.

    The reader is chosen by the file name alone (see `is_process_file` for the content
    test a discovery pass adds); other files give an empty list. `celery beat` and other
    subcommands are not workers; `celery multi start|restart` is.
    """
    kind = _kind_by_name(path)
    if kind is None:
        return []
    source = _Text(text.replace("\r\n", "\n"))
    dev_only = is_dev_only(path)
    commands = [
        _command(path, source, found, dev_only)
        for words in _READERS[kind](source)
        for found in _scan_words(source, words)
    ]
    return sorted(commands, key=lambda command: (command.row, command.column))
