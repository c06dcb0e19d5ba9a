"""Which files define processes, which reader each calls for, and which are dev-only.

Discovery asks `is_process_file` about every non-Python file, so the test must be cheap:
the name decides, and only names shared with other uses (`*.yml`, `*.conf`, `*.ini`, `run`)
need a look at the first bytes. `is_dev_only` marks the files CEL605 stays silent for.
"""

from __future__ import annotations

import re

#: How many leading bytes of a file `is_process_file` looks at for ambiguous names.
HEAD_SIZE = 8192

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


def kind_by_name(path: str) -> str | None:
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
    kind = kind_by_name(path)
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
