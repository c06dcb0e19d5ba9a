"""The shell lexer: a command line split into words that keep their offsets.

Findings point at the celery program word and span the whole command, so every word must
know where it stands in the file. `shlex` gives values but no offsets, fails on unbalanced
quotes, and splits `${VAR:-a b}` or Helm `{{ ... }}` apart, so this small lexer follows the
POSIX word rules itself. Every reader, whatever its file format, hands its command text here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Word:
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


#: What every reader returns: lists of words that may hold commands.
Sources = list[list[Word]]

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


def _unescape(match: re.Match[str]) -> str:
    escaped = match.group(1)
    return "" if escaped == "\n" else escaped


def _read_word(text: str, start: int, end: int) -> tuple[Word, int]:
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
    return Word("".join(parts), start, i, inner), i


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


def shell_words(text: str, start: int, end: int, newlines_separate: bool) -> list[Word]:
    """Split text[start:end] into shell words and control operators.

    Like `shlex` in POSIX mode, but it keeps offsets, keeps `${...}`, `$(...)`, Helm
    `{{ ... }}` and supervisord `%(...)s` whole, drops comments, redirections and
    here-document bodies, joins `\\` continuations and takes unbalanced quotes literally
    instead of failing.
    """
    words: list[Word] = []
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
                words.append(Word("\n", i, i + 1, operator=True))
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
            words.append(Word(text[i:j], i, j, operator=True))
            i = j
        else:
            word, i = _read_word(text, i, end)
            if not (word.text.isdigit() and i < end and text[i] in "<>"):
                words.append(word)
    return words


def script_words(text: str, word: Word) -> list[Word]:
    """The words of a word that is itself a command line (`sh -c '...'`, a YAML string).

    `text` is the file's text. A script whose value spans lines (a YAML `|` block, a
    multi-line quoted string) runs one command per line; a folded or continued one is a
    single line. Read from its raw span when it has one, so every word keeps its own
    offsets; otherwise every word gets the span of the whole script word.
    """
    separate = "\n" in word.text
    if word.inner is not None:
        return shell_words(text, word.inner[0], word.inner[1], separate)
    return [
        replace(inner, start=word.start, end=word.end, inner=None)
        for inner in shell_words(word.text, 0, len(word.text), separate)
    ]
