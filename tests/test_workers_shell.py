"""The shell lexer over the command text of every process file the tests use.

The process fixtures are the `*.processes.*` files at the top of tests/fixtures, one per
format (files, not a folder: every folder there is a project other tests run on), and the
multi_module Procfile; test_processes.py adds its own process texts. Every reader hands its
command text to `shell_words` (scripts inside YAML and `sh -c` arguments too), and
findings are placed by the offsets it returns. So every lexer call the readers make is
recorded and its words checked: each word's offsets point at its own text in the source,
which lexed again gives back the same word (and what `shlex` makes of it, where `shlex`
can tell).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from test_processes import COMPOSE, DOCKERFILE, ENTRYPOINT, K8S, SYSTEMD

from celerylint.model.workers import dockerfile, is_process_file, line_files, shell, worker_commands
from celerylint.model.workers.kinds import kind_by_name
from celerylint.model.workers.shell import Word, shell_words

FIXTURES = Path(__file__).parent / "fixtures"

Lexed = tuple[str, int, int, list[Word]]


def fixture_process_files() -> list[tuple[str, str]]:
    """(path, text) of every file under tests/fixtures that discovery reads as a process file."""
    found: list[tuple[str, str]] = []
    for file in sorted(FIXTURES.rglob("*")):
        path = file.relative_to(FIXTURES).as_posix()
        if file.is_file() and is_process_file(path, file.read_bytes()):
            found.append((path, file.read_text(encoding="utf-8")))
    return found


FIXTURE_FILES = fixture_process_files()
TEST_TEXTS = [
    ("docker/entrypoint.sh", ENTRYPOINT),
    ("docker-compose.yml", COMPOSE),
    ("deploy/k8s/worker.yaml", K8S),
    ("deploy/celery.service", SYSTEMD),
    ("Dockerfile", DOCKERFILE),
]


@pytest.fixture
def lexed(monkeypatch: pytest.MonkeyPatch) -> list[Lexed]:
    """Every (text, start, end, words) the readers lex while the test runs."""
    calls: list[Lexed] = []

    def recording(text: str, start: int, end: int, newlines_separate: bool) -> list[Word]:
        words = shell_words(text, start, end, newlines_separate)
        calls.append((text, start, end, words))
        return words

    for module in (shell, line_files, dockerfile):
        monkeypatch.setattr(module, "shell_words", recording)
    return calls


def test_every_reader_has_a_fixture() -> None:
    kinds = {kind_by_name(path) for path, _ in FIXTURE_FILES}
    assert kinds >= {"procfile", "yaml", "systemd", "supervisor", "dockerfile", "shell"}


@pytest.mark.parametrize(("path", "text"), FIXTURE_FILES + TEST_TEXTS,
                         ids=[path for path, _ in FIXTURE_FILES + TEST_TEXTS])
def test_words_point_at_their_text(lexed: list[Lexed], path: str, text: str) -> None:
    assert worker_commands(path, text), f"{path}: no worker command found"
    assert lexed, f"{path}: no command text went through the lexer"
    for source, start, end, words in lexed:
        assert words, f"{path}: empty command text at {start}"
        check_offsets(source, start, end, words)


def check_offsets(source: str, start: int, end: int, words: list[Word]) -> None:
    previous = start
    for word in words:
        assert previous <= word.start < word.end <= end, word
        raw = source[word.start:word.end]
        if word.operator:
            assert raw == word.text
        else:
            check_word(source, raw, word)
        previous = word.end


def check_word(source: str, raw: str, word: Word) -> None:
    """The raw text lexes to this one word again; its inner span lies within it."""
    again = shell_words(raw, 0, len(raw), False)
    assert [(w.text, w.start, w.end) for w in again] == [(word.text, 0, len(raw))], raw
    if word.inner is not None:
        low, high = word.inner
        assert word.start <= low <= high <= word.end
        if (low, high) == (word.start + 1, word.end - 1):
            assert source[word.start] == source[high] and source[high] in "'\"", raw
    if "\\" not in raw:  # shlex and POSIX disagree on backslashes inside double quotes
        try:
            tokens = shlex.split(raw)
        except ValueError:  # an unbalanced quote, which the lexer takes literally
            return
        if len(tokens) == 1:  # `{{ ... }}` and `${A:-a b}` are one word only to the lexer
            assert tokens == [word.text], raw
