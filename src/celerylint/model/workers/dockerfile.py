"""Dockerfiles: RUN, CMD and ENTRYPOINT, per stage, in shell or exec (JSON array) form.

The shell form goes to the shell lexer. The exec form is a JSON array, read here by hand
because `json` gives no offsets and Docker accepts what JSON does not: `\\` continuations
inside the array, and an unterminated array or string, which still yields its words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from celerylint.model.workers.shell import Sources, Word, shell_words
from celerylint.model.workers.source_text import SourceText

_DOCKER_INSTRUCTION = re.compile(r"[ \t]*([A-Za-z]+)(?=[ \t]|$)[ \t]*")


@dataclass
class _Stage:
    """The commands of one Dockerfile stage; ENTRYPOINT and CMD combine like Docker does."""

    runs: Sources = field(default_factory=list)
    entrypoint: list[Word] | None = None
    entrypoint_exec: bool = False
    cmd: list[Word] | None = None

    def sources(self) -> Sources:
        if self.entrypoint_exec and self.entrypoint is not None and self.cmd is not None:
            return [*self.runs, self.entrypoint + self.cmd]
        return self.runs + [words for words in (self.entrypoint, self.cmd) if words]


def dockerfile_sources(source: SourceText) -> Sources:
    """RUN, CMD and ENTRYPOINT instructions, in shell or JSON exec form."""
    sources: Sources = []
    stage = _Stage()
    row = 0
    while row < len(source.lines):
        match = _DOCKER_INSTRUCTION.match(source.lines[row])
        if not match:  # comments, blank lines, heredoc bodies
            row += 1
            continue
        last = source.continued_rows(row, skip_comments=True)
        instruction = match.group(1).upper()
        if instruction == "FROM":
            sources.extend(stage.sources())
            stage = _Stage()
        elif instruction in ("RUN", "CMD", "ENTRYPOINT"):
            start = source.offset(row, match.end())
            end = source.line_end(last)
            exec_form = source.text.startswith("[", start)
            if exec_form:
                words = _exec_form_words(source.text, start, end)
            else:
                words = shell_words(source.text, start, end, False)
            if instruction == "RUN":
                stage.runs.append(words)
            elif instruction == "CMD":
                stage.cmd = words
            else:
                stage.entrypoint, stage.entrypoint_exec = words, exec_form
        row = last + 1
    return sources + stage.sources()


def _find_close(text: str, index: int) -> int | None:
    """Closing quote of a string opened at `index` (may span lines)."""
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


def _quoted_word(text: str, index: int, limit: int) -> tuple[Word, int]:
    """A quoted string at `index`; unterminated, it runs to `limit`.

    With escapes in it (`\\"`, `''`) the raw text no longer reads like the value, so a
    command inside is read from the decoded value, at the position of the whole string.
    """
    close = _find_close(text, index)
    if close is None:
        return Word(text[index + 1:limit], index, limit, (index + 1, limit)), limit
    quote, raw = text[index], text[index + 1:close]
    escaped = "\\" in raw if quote == '"' else "''" in raw
    inner = None if escaped else (index + 1, close)
    return Word(_decode_quoted(raw, quote), index, close + 1, inner), close + 1


def _exec_form_words(text: str, index: int, limit: int) -> list[Word]:
    """Items of the `[...]` array at `index`; an unclosed array ends at `limit`."""
    words: list[Word] = []
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
            return words
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
            words.append(Word(text[i:raw_end], i, raw_end, (i, raw_end)))
            i = j
    return words
