"""Messages are short, hints separate (DESIGN.md): every finding of every bad example in
rules/*.toml, through the `celerylint` command, has a message of at most 160 characters
that says what is wrong, and a hint that says what to do in one sentence.

A hint is one sentence: it starts with a capital letter, ends with a period, and holds
no ". " that would start a second one. The long explanation is the rule's `rationale`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from statistics import mean
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from conftest import example_project, invoke_celerylint

from celerylint.catalog.specs import Example, RuleSpec, load_catalog

LIMIT = 160  # characters, for a message and for a hint
AIM = 100  # what a message should stay within on average


def _bad_examples() -> list[tuple[RuleSpec, Example]]:
    return [(spec, ex) for spec in load_catalog().values() for ex in spec.examples
            if ex.kind == "bad"]


def _id(case: tuple[RuleSpec, Example]) -> str:
    spec, example = case
    return f"{spec.code}-{example.title}"


@cache
def _findings(code: str, title: str) -> tuple[dict[str, Any], ...]:
    """The JSON findings of one bad example, checked in this process with only its rule."""
    [example] = [ex for ex in load_catalog()[code].examples
                 if ex.kind == "bad" and ex.title == title]
    with TemporaryDirectory() as folder:
        project = example_project(example, Path(folder) / "project")
        run = invoke_celerylint(["check", "--output-format", "json", "--select", code,
                                 "--no-cache", "--jobs", "1", *example.command_args, "."],
                                project)
        assert run.code in (0, 1), run.stderr
        found: list[dict[str, Any]] = run.json()
    return tuple(found)


def is_one_sentence(hint: str) -> bool:
    return (hint[:1].isupper() and hint.endswith(".") and ". " not in hint
            and "\n" not in hint)


@pytest.mark.parametrize("case", _bad_examples(), ids=_id)
def test_messages_are_short_and_hints_one_sentence(case: tuple[RuleSpec, Example]) -> None:
    spec, example = case
    found = _findings(spec.code, example.title)
    assert [f for f in found if f["code"] == spec.code], "the bad example fired nothing"
    for finding in found:
        message, hint = finding["message"], finding["hint"]
        assert message.strip() and "\n" not in message, finding
        assert len(message) <= LIMIT, f"{len(message)} characters: {message}"
        assert hint and len(hint) <= LIMIT, f"{len(hint)} characters: {hint}"
        assert is_one_sentence(hint), f"not one sentence: {hint!r}"
        assert hint not in message, "the hint repeats the message"


def test_the_one_sentence_check_is_real() -> None:
    assert is_one_sentence("Use 'json', and keep pickle out of the accept lists (CEL102).")
    assert not is_one_sentence("use 'json'.")
    assert not is_one_sentence("Use 'json'")
    assert not is_one_sentence("Use 'json'. Then drop pickle.")


def test_message_lengths_across_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    """The longest message and the average, printed with ``-s``; the average stays near
    the aim of DESIGN.md."""
    messages = [f["message"] for spec, ex in _bad_examples()
                for f in _findings(spec.code, ex.title)]
    longest = max(messages, key=len)
    average = mean(len(m) for m in messages)
    with capsys.disabled():
        print(f"\n{len(messages)} messages: longest {len(longest)} characters "
              f"({longest!r}), average {average:.1f}")
    assert len(longest) <= LIMIT
    assert average <= AIM
