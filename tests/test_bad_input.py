"""The bad-input matrix of issue 12, one parametrized test through the real command (a
subprocess: exit codes, FIFOs that must never be opened, a read-only mount).

Each case adds one bad input to a small project whose `proj/celery.py` has a known
finding, and checks: the exact message naming the file (a finding, or a line on stderr),
the exit code, that the other file is still checked (its finding is there) — a
configuration with errors too: each error is said, the defaults stand in for what is
broken and the run exits 2 at the end — and that nothing was written (every file, link
and name is as before)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Run, run_celerylint, write_tree
from sandbox import run_read_only

APP = 'from celery import Celery\napp = Celery("proj")\napp.conf.task_serializer = "pickle"\n'
PICKLE = ("task_serializer is 'pickle' but pickle is not accepted: workers discard the "
          "tasks, which stay PENDING")
OTHER = f"CEL101 proj/celery.py:3 {PICKLE}"


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    def prepare(project: Path) -> None:
        (project / os.fsdecode(name.encode("utf-8", "surrogateescape"))).write_bytes(data)
    return prepare


def _raw_name(project: Path) -> None:
    (project / os.fsdecode(b"proj/caf\xe9.py")).write_bytes(APP.encode())


def _link(target: str) -> Callable[[Path], None]:
    def prepare(project: Path) -> None:
        (project / "proj" / "broken.py").symlink_to(target)
    return prepare


def _fifo(project: Path) -> None:
    os.mkfifo(project / "proj" / "pipe.py")


def _big(project: Path) -> None:
    filler = "".join(f"value_{n} = {n}\n" for n in range(400_000))
    (project / "proj" / "big.py").write_text(APP + filler, encoding="utf-8")
    assert (project / "proj" / "big.py").stat().st_size > 5_000_000


def _config(text: bytes) -> Callable[[Path], None]:
    return _write("pyproject.toml", b"[tool.celerylint]\n" + text)


def _nothing(project: Path) -> None:
    """The bad input is in the command line."""


@dataclass(frozen=True)
class Case:
    name: str
    prepare: Callable[[Path], None]
    message: str  # "CODE file:row message" of a finding, or a line of stderr
    code: int = 1
    args: tuple[str, ...] = ()
    checked: bool = True  # the other file's finding is reported
    read_only: bool = False  # the project is mounted read-only for the run


CASES = [
    Case("missing path", _nothing, "celerylint: error: nope.py: no such file or directory",
         2, ("nope.py", ".")),
    Case("binary file", _write("proj/blob.py", b"from celery import shared_task\x00\xff\xfe\n"),
         "CEL001 proj/blob.py:1 cannot read the file: cannot decode line 1 as utf-8: byte 0xff:"
         " invalid start byte"),
    Case("latin-1", _write("proj/latin.py", b"from celery import shared_task\n# caf\xe9\n"),
         "CEL001 proj/latin.py:1 cannot read the file: cannot decode line 2 as utf-8: byte 0xe9:"
         " invalid continuation byte"),
    Case("BOM", _write("proj/bom.py", b"\xef\xbb\xbf" + APP.encode()),
         f"CEL101 proj/bom.py:3 {PICKLE}"),
    Case("CRLF", _write("proj/crlf.py", APP.replace("\n", "\r\n").encode()),
         f"CEL101 proj/crlf.py:3 {PICKLE}"),
    Case("syntax error", _write("proj/tasks.py", b"from celery import shared_task\n\n\n"
                                                 b"@shared_task\ndef f(:\n    pass\n"),
         "CEL001 proj/tasks.py:5 syntax error: invalid syntax"),
    Case("dangling symlink", _link("gone.py"),
         "CEL003 proj/broken.py:1 cannot read the file: dangling symbolic link"),
    Case("symlink loop", _link("broken.py"),
         "CEL003 proj/broken.py:1 cannot read the file: symbolic link loop"),
    Case("FIFO", _fifo, "CEL003 proj/pipe.py:1 cannot read the file: not a regular file (a FIFO)"),
    Case("non-UTF-8 file name", _raw_name, f"CEL101 proj/caf\\xe9.py:3 {PICKLE}"),
    Case("5 MB file", _big, f"CEL101 proj/big.py:3 {PICKLE}"),
    Case("deep nesting", _write("proj/deep.py", b"from celery import shared_task\nx = "
                                + b"(" * 300 + b"1" + b")" * 300 + b"\n"),
         "CEL001 proj/deep.py:2 syntax error: too many nested parentheses"),
    Case("invalid TOML", _config(b"select = [\n"),
         "celerylint: error: pyproject.toml is not valid TOML: Invalid value (at end of "
         "document)", 2),
    Case("unknown key", _config(b'selekt = ["CEL"]\n'),
         "celerylint: error: unknown key 'selekt' in [tool.celerylint] of pyproject.toml; "
         "did you mean 'select'?", 2),
    Case("bad value", _config(b"select = 3\n"),
         "celerylint: error: 'select' in [tool.celerylint] of pyproject.toml must be a list of "
         "strings, not an integer (3)", 2),
    Case("read-only tree with --fix",
         _write("proj/fixme.py", b"from celery import shared_task\nx = 1  # noqa: CEL101\n"),
         "celerylint: warning: cannot write proj/fixme.py: read-only file system", 1, ("--fix",),
         read_only=True),
    Case("unwritable baseline path", _nothing,
         "celerylint: error: cannot write out/baseline.json: no such file or directory", 1,
         ("--write-baseline", "out/baseline.json")),
    Case("non-UTF-8 pyproject", _config(b"# caf\xe9\n"),
         "celerylint: error: pyproject.toml is not UTF-8 text (byte 23 is 0xe9)", 2),
]


def _state(root: Path) -> dict[str, str | bytes]:
    """Every entry below `root`: a file's bytes, a link's target, or its kind."""
    state: dict[str, str | bytes] = {}
    for folder, folders, names in os.walk(root):
        for name in [*folders, *names]:
            path = Path(folder, name)
            key = os.fsencode(path.relative_to(root)).decode("utf-8", "backslashreplace")
            if path.is_symlink():
                state[key] = f"link to {os.readlink(path)}"
            elif path.is_file():
                state[key] = path.read_bytes()
            else:
                state[key] = "folder" if path.is_dir() else "special"
    return state


def _messages(run: Run) -> list[str]:
    """Every finding as "CODE file:row message", then every line of stderr."""
    found = []
    if run.stdout.strip():
        found = [f"{f['code']} {f['filename']}:{f['location']['row']} {f['message']}"
                 for f in run.json()]
    return [*found, *run.stderr.splitlines()]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    project = write_tree(tmp_path / "project", {"pyproject.toml": "", "proj/__init__.py": "",
                                                "proj/celery.py": APP})
    case.prepare(project)
    before = _state(project)
    args = ["check", "--no-cache", "--output-format", "json", *case.args]
    run = run_read_only(args, project) if case.read_only else run_celerylint(args, project)
    messages = _messages(run)
    assert case.message in messages, messages
    assert run.code == case.code, messages
    assert (OTHER in messages) == case.checked, messages
    if not case.checked:
        assert run.stdout == ""
    assert _state(project) == before
