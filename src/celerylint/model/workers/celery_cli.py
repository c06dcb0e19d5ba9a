"""The `celery` command line: which words are the program, what its options say.

The linter never imports Celery, so it cannot ask click for celery's option table: the
options that take a value are listed here instead, so that a value is never mistaken for
a flag or a subcommand. Only the values some rule reads are recorded (`_CANONICAL`), and
free arguments the shell or a template expands (`expansions`: `$CELERYD_OPTS` may hold
any option).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from celerylint.model.workers.shell import Word

_CANONICAL = frozenset({
    "time_limit", "soft_time_limit", "pool", "prefetch_multiplier", "concurrency", "queues",
    "loglevel", "app", "exclude_queues",
})
# Options `celery multi` may give one node (`-Q:w1 images`), recorded as `queues:w1`.
_PER_NODE = frozenset({"queues", "exclude_queues"})
# Options of `celery`, `celery worker` and `celery multi` that take a value, so that the
# value is never mistaken for a flag or a subcommand. "" marks values nobody reads.
_LONG_VALUE = {
    "--app": "app", "--broker": "", "--result-backend": "", "--loader": "", "--config": "",
    "--workdir": "", "--hostname": "", "--statedb": "", "--loglevel": "loglevel",
    "--optimization": "", "--prefetch-multiplier": "prefetch_multiplier",
    "--concurrency": "concurrency", "--pool": "pool", "--time-limit": "time_limit",
    "--soft-time-limit": "soft_time_limit", "--max-tasks-per-child": "",
    "--pool-start-method": "", "--max-memory-per-child": "", "--queues": "queues",
    "--exclude-queues": "exclude_queues", "--include": "", "--heartbeat-interval": "",
    "--autoscale": "",
    "--schedule-filename": "", "--schedule": "", "--scheduler": "", "--logfile": "",
    "--pidfile": "", "--uid": "", "--gid": "", "--umask": "", "--executable": "",
}
_SHORT_VALUE = {
    "A": "app", "b": "", "n": "", "S": "", "l": "loglevel", "O": "", "c": "concurrency",
    "P": "pool", "Q": "queues", "X": "exclude_queues", "I": "", "s": "", "f": "",
}
_SUBCOMMANDS = frozenset({
    "worker", "beat", "multi", "events", "inspect", "control", "status", "call", "result",
    "purge", "list", "migrate", "shell", "upgrade", "logtool", "amqp", "report", "graph",
    "help", "flower",
})
_MULTI_STARTS = frozenset({"start", "restart"})
_NODE_OPTION = re.compile(r"(-[A-Za-z]|--[a-z][a-z-]*):\S+")
# A shell variable, a Helm/Jinja template or a supervisord `%(ENV_X)s` reference.
_EXPANSION = re.compile(r"\$|\{\{|%\(")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?:[:?+=-][^}]*)?\}?")


def program_name(word: str) -> str:
    """The last path component of a command word: `celery` for `/venv/bin/celery`."""
    return word.rsplit("/", 1)[-1]


def is_celery_program(word: str) -> bool:
    """`celery`, `/venv/bin/celery`, `-/usr/bin/celery` (systemd) or `${CELERY_BIN}`."""
    program = word.lstrip("-@+!:")
    if program != word and not program.startswith(("/", "$")):
        return False  # an option, not a systemd `-/usr/bin/celery` prefix
    name = program_name(program)
    if name == "celery":
        return True
    variable = _VARIABLE.fullmatch(name)
    if variable is None:
        return False
    upper = variable.group(1).upper()
    return "CELERY_BIN" in upper or upper.endswith("CELERY")


@dataclass
class CeleryArgs:
    """What the arguments of one celery invocation say.

    `program` is the index of the program word the parse settled on: a later one when the
    first was only an argument (`gosu celery celery ...`).
    """

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

    def expansion(self, word: str) -> None:
        """A free argument the shell or a template expands (`$CELERYD_OPTS`, `"$@"`):
        it may stand for any options, kept under `expansions`."""
        known = self.values.get("expansions")
        self.values["expansions"] = f"{known} {word}" if known else word

    def record_node(self, canonical: str, node: str, value: str | None) -> None:
        """A `celery multi` option for one node (`-Q:w1 images`): only queue options
        are kept, under `queues:<node>`."""
        if value is not None and canonical in _PER_NODE:
            self.values[f"{canonical}:{node}"] = value


def _parse_long(parsed: CeleryArgs, word: str, following: str | None) -> int:
    """Apply a `--long` option; returns how many following words it consumed."""
    name, equals, value = word.partition("=")
    if _NODE_OPTION.fullmatch(name):  # `celery multi` per-node option: not all workers
        option, _, node = name.partition(":")
        if option not in _LONG_VALUE:
            return 0
        parsed.record_node(_LONG_VALUE[option], node, value if equals else following)
        return 0 if equals else 1
    if name == "--beat":
        parsed.beat = True
    if name not in _LONG_VALUE:
        return 0
    if equals:
        parsed.record(_LONG_VALUE[name], value)
        return 0
    parsed.record(_LONG_VALUE[name], following)
    return 1


def _parse_short(parsed: CeleryArgs, word: str, following: str | None) -> int:
    """Apply a short option cluster like `-B`, `-BE`, `-Ofair`, `-c4`; returns consumed."""
    if _NODE_OPTION.fullmatch(word):
        if word[1] not in _SHORT_VALUE:
            return 0
        parsed.record_node(_SHORT_VALUE[word[1]], word[3:], following)
        return 1
    body = word[1:]
    for index, letter in enumerate(body):
        if letter in _SHORT_VALUE:
            rest = body[index + 1:]
            parsed.record(_SHORT_VALUE[letter], rest or following)
            return 0 if rest else 1
        if letter == "B":
            parsed.beat = True
    return 0


def parse_celery(words: Sequence[Word], program: int) -> CeleryArgs:
    """Read the arguments after the celery program at `words[program]`.

    Options may stand before or after the subcommand. A positional that is itself a
    celery program (`gosu celery celery -A proj worker`) restarts the parse there.
    """
    parsed = CeleryArgs(program)
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
        if parsed.subcommand is None and word in _SUBCOMMANDS:
            parsed.subcommand = word
        elif parsed.subcommand is None and is_celery_program(word):
            return parse_celery(words, i)
        elif parsed.subcommand == "multi" and parsed.multi_command is None:
            parsed.multi_command = word
        elif _EXPANSION.search(word):
            parsed.expansion(word)
        i += 1
    return parsed
