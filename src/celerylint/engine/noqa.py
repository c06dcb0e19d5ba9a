"""Read `# noqa` comments exactly the way flake8 7 reads them.

The CLI filters findings itself, while under flake8 the plugin yields every finding and
flake8 filters them. A user must get the same result either way, so this module copies
flake8's rules (checked against flake8 7.5 source and runs), not a nicer dialect:

* The directive is the text `# noqa` (exactly one space after `#`; any casing of `noqa`),
  found anywhere in the comment; the first one in a comment counts. `#noqa` is *not* a
  directive. `# noqanything` and `# noqa : E501` are bare directives (nothing after `noqa`
  forms a code list), which silence everything.
* A code list follows a colon and at most one whitespace character: `# noqa:E1` and
  `# noqa: E1`, but `# noqa:  E1` (two spaces) is bare. It is a run of items shaped like
  letters-then-digits, separated by commas and/or whitespace; it stops at the first word that
  does not have that shape, so trailing explanations are not codes
  (`# noqa: CEL101 because X`). A code is whatever lies between separators, so
  `# noqa: E501CEL101` lists one code, `E501CEL101`.
* A listed code silences every code it is a prefix of (`CEL1` silences `CEL101`), and the
  comparison is case-sensitive: `# noqa: cel101` is recognised as a code list but silences
  nothing, because findings are upper-case. Codes are therefore kept as written.
* flake8 looks for the directive in the text of a whole token range, the lines between two
  NEWLINE/NL tokens. Inside brackets every line ends in an NL token, so each line of a
  bracketed statement stands alone; a multi-line string or a backslash continuation forms
  one range, and a comment at its end silences findings on any of its rows.
  `noqa_for_row` mirrors this.

One deliberate difference: flake8 searches the raw text, so `"# noqa"` inside a string
literal (a docstring, say) silences its line there. Here only real comments, found with
`tokenize`, count, so a noqa inside a string is ignored.

A comment `# celerylint: noqa` (any casing and spacing around the colon) anywhere in the file
makes the whole file skipped. Followed by a code list (`# celerylint: noqa: CEL101`) it skips
nothing: silencing a whole file when the user asked for one code would hide unrelated
findings.

flake8's own file skip is honoured too, exactly as flake8 7.5 finds it (its `NOQA_FILE`): a
physical line that starts, after optional whitespace, with `# flake8: noqa` or
`# flake8=noqa` (any casing, any whitespace before `noqa`). flake8 matches the raw lines,
so such a line inside a multi-line string counts, while one after code on its line
(`x = 1  # flake8: noqa`) or without the space (`#flake8: noqa`) does not; and whatever
follows `noqa` is not looked at, so `# flake8: noqa: E123` skips the file as well.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

# flake8's language, written out: hash, one space, `noqa`, then optionally `:`, at most one
# whitespace character, and items shaped letters+digits, each optionally followed by separators.
_DIRECTIVE = re.compile(
    r"""
    \#[ ]noqa
    (?:
        :\s?
        (?P<codes>(?:[A-Z]+[0-9]+(?:[,\s]+)?)+)
    )?
    """,
    re.IGNORECASE | re.VERBOSE,
)
# flake8 splits the code list on single commas/whitespace and drops empty items.
_CODE_ITEM = re.compile(r"[^,\s]+")
# Ends at the end of the comment or at whitespace not followed by a code list.
_SKIP_FILE = re.compile(r"#\s*celerylint\s*:\s*noqa(?!\S|\s*:)", re.IGNORECASE)
# flake8's NOQA_FILE, applied to every physical line as its `re.match` does.
_FLAKE8_SKIP_FILE = re.compile(r"^\s*# flake8[:=]\s*noqa", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class NoqaCode:
    """One code listed in a directive, with its place so a fix can remove it."""

    code: str  # as written: flake8 compares case-sensitively
    column: int  # 1-based character column in the line
    end_column: int  # exclusive


@dataclass(frozen=True)
class NoqaComment:
    """The noqa directive of one comment.

    `column`..`end_column` spans the directive itself (`# noqa: A1, B2`), which is where
    the comment starts unless the directive follows other comment text
    (`# type: ignore  # noqa`); `text` is the whole comment.
    """

    row: int  # 1-based
    column: int  # 1-based column of the directive's '#'
    end_column: int  # exclusive: after `noqa`, or after the last code
    codes: tuple[NoqaCode, ...] | None  # None: a bare directive, silences everything
    text: str


@dataclass(frozen=True)
class NoqaMap:
    """Every noqa directive of a file, and which rows each one covers.

    `governing_row` maps a row of a multi-line token range (multi-line string, backslash
    continuation) that ends in a noqa comment to that comment's row; rows not in it are
    governed by their own comment, if any. Use `noqa_for_row` rather than reading it.
    """

    comments: Mapping[int, NoqaComment]  # by the row the comment is written on
    skip_file: bool  # by `# celerylint: noqa` or by flake8's `# flake8: noqa`
    governing_row: Mapping[int, int] = field(default_factory=dict)
    # by `# celerylint: noqa`, which flake8 does not know: its plugin applies only this one
    celerylint_skip: bool = False


def scan_noqa(source: str) -> NoqaMap:
    """Find the noqa directives in `source` (text, as read with universal newlines).

    Source that cannot be tokenized (such a file also fails to parse, and flake8 runs no
    AST plugin on it) keeps the comments found before the error; rows after it are governed
    only by their own comment.
    """
    lowered = source.lower()
    if "noqa" not in lowered:
        return NoqaMap(comments={}, skip_file=False)
    # The row (as `tokenize` counts them: it reads lines ending in \n) of the last text
    # that may be a directive: later tokens can neither hold one nor close its range.
    last = lowered.count("\n", 0, lowered.rindex("noqa")) + 1
    scanner = _Scanner()
    try:
        for token in _tokens(source):
            if token.start[0] > last:
                break
            scanner.feed(token)
    except (tokenize.TokenError, SyntaxError):
        pass
    return NoqaMap(
        comments=scanner.comments,
        skip_file=scanner.skip_file or skips_under_flake8(source),
        governing_row=scanner.governing_row,
        celerylint_skip=scanner.skip_file,
    )


def skips_under_flake8(source: str) -> bool:
    """Whether flake8 skips the whole file (`# flake8: noqa`), so the CLI skips it too."""
    return _FLAKE8_SKIP_FILE.search(source) is not None


def relevant_noqa(source: str) -> NoqaMap:
    """The directives that can affect celerylint: `scan_noqa`, but a file whose
    directives all name other tools' codes (`# noqa: F401`, common in large projects)
    is not tokenized, since those never silence a CEL finding nor count as unused."""
    if _may_matter(source):
        return scan_noqa(source)
    return NoqaMap(comments={}, skip_file=False)


def _may_matter(source: str) -> bool:
    """A bare directive, a CEL code or the file skip anywhere in the text."""
    if "noqa" not in source.lower():
        return False
    if _SKIP_FILE.search(source) or skips_under_flake8(source):
        return True
    for match in _DIRECTIVE.finditer(source):
        codes = match.group("codes")
        if codes is None or "CEL" in codes.upper():
            return True
    return False


def noqa_for_row(noqa: NoqaMap, row: int) -> NoqaComment | None:
    """The directive flake8 would apply to a finding reported on `row`."""
    return noqa.comments.get(noqa.governing_row.get(row, row))


def suppresses(comment: NoqaComment, code: str) -> bool:
    """Whether `comment` silences a finding with `code` (bare, or a listed prefix)."""
    return comment.codes is None or bool(matching_codes(comment, code))


def matching_codes(comment: NoqaComment, code: str) -> list[NoqaCode]:
    """The listed codes that silence `code`; empty for a bare directive (nothing listed).

    Used to find dead codes: a listed code that never matches a finding on its rows is
    unused.
    """
    if comment.codes is None:
        return []
    return [listed for listed in comment.codes if code.startswith(listed.code)]


def _tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    return tokenize.generate_tokens(io.StringIO(source).readline)


class _Scanner:
    """Collects directives while tracking flake8's token ranges (NL/NEWLINE to NL/NEWLINE)."""

    def __init__(self) -> None:
        self.comments: dict[int, NoqaComment] = {}
        self.skip_file = False
        self.governing_row: dict[int, int] = {}
        self._first_row: int | None = None
        self._last_row = 0
        self._comment_row: int | None = None

    def feed(self, token: tokenize.TokenInfo) -> None:
        if token.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            return  # flake8 leaves these out of its ranges
        start_row, end_row = token.start[0], token.end[0]
        if self._first_row is None:
            self._first_row = start_row
        self._last_row = max(self._last_row, end_row)
        if token.type == tokenize.COMMENT:
            self._comment(token)
        elif token.type in (tokenize.NL, tokenize.NEWLINE):
            self._close_range()

    def _comment(self, token: tokenize.TokenInfo) -> None:
        row, col = token.start
        if _SKIP_FILE.match(token.string):
            self.skip_file = True
        comment = _parse_comment(row, col + 1, token.string)
        if comment is not None:
            self.comments[row] = comment
            if self._comment_row is None:
                self._comment_row = row

    def _close_range(self) -> None:
        first, comment_row = self._first_row, self._comment_row
        if first is not None and comment_row is not None and self._last_row > first:
            for row in range(first, self._last_row + 1):
                self.governing_row[row] = comment_row
        self._first_row, self._last_row, self._comment_row = None, 0, None


def _parse_comment(row: int, column: int, text: str) -> NoqaComment | None:
    """The directive in comment `text` starting at 1-based `column`, or None."""
    match = _DIRECTIVE.search(text)
    if match is None:
        return None
    start = column + match.start()
    if match.group("codes") is None:
        return NoqaComment(row, start, column + match.end(), None, text)
    offset = column + match.start("codes")
    codes = tuple(
        NoqaCode(item.group(), offset + item.start(), offset + item.end())
        for item in _CODE_ITEM.finditer(match.group("codes"))
    )
    return NoqaComment(row, start, codes[-1].end_column, codes, text)
