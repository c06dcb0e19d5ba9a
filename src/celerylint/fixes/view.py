"""The one file a fix edits: its text, its ``ast`` and the mapping between positions.

Findings carry report positions (1-based rows, 1-based character columns). A builder
finds the node a finding points at by comparing spans computed exactly as the extractor
computes them, then turns positions into string offsets to slice and edit the text.
Rows follow Python's own line breaks (``\\r\\n``, ``\\r``, ``\\n``), so CRLF files map
the same way as LF files.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import accumulate
from pathlib import Path

from celerylint.engine.readable import read_regular
from celerylint.findings import Span
from celerylint.parsing.parse import ParseFailure, SourceDecodeError, decode_source, parse_python
from celerylint.parsing.source import SourceFile

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def newline_of(text: str) -> str:
    """The file's line ending: the first one it uses, ``\\n`` when it has none."""
    match = _LINE_BREAK.search(text)
    return match.group() if match else "\n"


def line_starts(text: str) -> list[int]:
    """Offset of the first character of every row."""
    return [0] + [match.end() for match in _LINE_BREAK.finditer(text)]


class FileView:
    """A parsed file, with lookups by report span."""

    def __init__(self, path: str, text: str, tree: ast.Module) -> None:
        self.path = path
        self.text = text
        self.tree = tree
        self.source = SourceFile(path, text)
        self.newline = newline_of(text)
        self._starts = line_starts(text)
        self._parents: dict[int, ast.AST] = {}
        self._index: dict[int, _Children] = {}

    def offset(self, row: int, column: int) -> int:
        """String offset of a report position; ValueError when it is outside the text."""
        if not 1 <= row <= len(self._starts):
            raise ValueError(f"row {row} is outside {self.path}")
        start = self._starts[row - 1]
        end = self._starts[row] if row < len(self._starts) else len(self.text)
        if not 1 <= column <= end - start + 1:
            raise ValueError(f"column {column} is outside row {row} of {self.path}")
        return start + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        """Report position (row, column) of a string offset."""
        row = _row_of(self._starts, offset)
        return row, offset - self._starts[row - 1] + 1

    def span_offsets(self, span: Span) -> tuple[int, int]:
        return self.offset(span.row, span.column), self.offset(span.end_row, span.end_column)

    def slice(self, span: Span) -> str:
        start, end = self.span_offsets(span)
        return self.text[start:end]

    def line(self, row: int) -> str:
        """The text of a row, without its line break."""
        start = self._starts[row - 1]
        end = self._starts[row] if row < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    @property
    def rows(self) -> int:
        return len(self._starts)

    def span_of(self, node: ast.AST) -> Span:
        """The report span of a node, as the extractor computes it."""
        return self.source.span(node)

    def nodes_at(self, span: Span) -> list[ast.AST]:
        """Every expression, statement or keyword node whose span is exactly `span`.

        Only the branches of the tree whose rows enclose the span are walked (found by
        bisection in each node's children, so that a file with thousands of findings is
        not walked once per finding); the parents met on the way are remembered for
        `parent`.
        """
        found: list[ast.AST] = []
        pending: list[ast.AST] = [self.tree]
        while pending:
            node = pending.pop()
            for child in self._children(node).enclosing(span):
                self._parents[id(child)] = node
                if isinstance(child, (ast.expr, ast.stmt, ast.keyword)) and (
                        self.span_of(child) == span):
                    found.append(child)
                pending.append(child)
        return found

    def _children(self, node: ast.AST) -> _Children:
        children = self._index.get(id(node))
        if children is None:
            children = self._index[id(node)] = _Children(node)
        return children

    def parent(self, node: ast.AST) -> ast.AST | None:
        """The node that directly holds `node`, for nodes on the way to a node that
        `nodes_at` found (None for the module, and for nodes it never walked)."""
        return self._parents.get(id(node))


class _Children:
    """The children of one node, sorted by first row, to find those whose rows enclose a
    span without looking at every child; `enclosing` gives them in the order of
    ``ast.iter_child_nodes`` (children without rows always enclose)."""

    def __init__(self, node: ast.AST) -> None:
        ranked: list[tuple[int, int, int, ast.AST]] = []
        self._rowless: list[tuple[int, ast.AST]] = []
        for order, child in enumerate(ast.iter_child_nodes(node)):
            rows = _rows(child)
            if rows is None:
                self._rowless.append((order, child))
            else:
                ranked.append((rows[0], rows[1], order, child))
        ranked.sort(key=lambda entry: (entry[0], entry[2]))
        self._firsts = [entry[0] for entry in ranked]
        self._ranked = ranked
        self._reach = list(accumulate((entry[1] for entry in ranked), max))

    def enclosing(self, span: Span) -> list[ast.AST]:
        """Children whose first row is at most `span.row` and last row at least
        `span.end_row`; the running maximum of last rows stops the scan early."""
        chosen = list(self._rowless)
        index = bisect_right(self._firsts, span.row) - 1
        while index >= 0 and self._reach[index] >= span.end_row:
            _, last, order, child = self._ranked[index]
            if last >= span.end_row:
                chosen.append((order, child))
            index -= 1
        chosen.sort(key=lambda entry: entry[0])
        return [child for _, child in chosen]


def _rows(node: ast.AST) -> tuple[int, int] | None:
    """First and last row of a node, decorators included; None for nodes without rows."""
    first = getattr(node, "lineno", None)
    if first is None:
        return None
    for decorator in getattr(node, "decorator_list", ()):
        first = min(first, decorator.lineno)
    return first, getattr(node, "end_lineno", None) or first


def _row_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1


_CHECKED: dict[str, bytes] = {}
_LAST_READ: dict[str, tuple[bytes, bytes, FileView | None]] = {}  # path -> (content, digest, view)
# Which files a fix may be built for now; None: every file (see `_narrowed`).
_WANTED: ContextVar[Callable[[str], bool] | None] = ContextVar("celerylint_fixes_wanted",
                                                               default=None)
EAGER_FIXES_ENV = "CELERYLINT_EAGER_FIXES"  # build every fix, even those nobody will see


@contextmanager
def _narrowed(wanted: Callable[[str], bool]) -> Iterator[None]:
    """Within: a fix is built only for a file `wanted` accepts and every enclosing block
    accepts too; ``CELERYLINT_EAGER_FIXES=1`` leaves every file wanted, so that tests and
    the bench can prove the output is the same either way."""
    if os.environ.get(EAGER_FIXES_ENV):
        yield
        return
    outer = _WANTED.get()
    token = _WANTED.set(wanted if outer is None else lambda path: outer(path) and wanted(path))
    try:
        yield
    finally:
        _WANTED.reset(token)


def _no_file(path: str) -> bool:
    return False


@contextmanager
def skipping_fixes(skip: bool) -> Iterator[None]:
    """Within (when `skip`): no file is loaded for a fix, so every builder returns None.

    For runs whose output shows neither the edits nor whether a finding has a fix
    (github, gitlab, flake8): building the fixes there is pure cost (a file with
    thousands of findings took seconds)."""
    if not skip:
        yield
        return
    with _narrowed(_no_file):
        yield


@contextmanager
def fixes_only_in(reported: Callable[[str], bool]) -> Iterator[None]:
    """Within: no file that `reported` rejects is loaded for a fix, so its findings get
    none. An `Edit` has no path: a fix edits its own finding's file, the one file its
    builder loads; and a finding outside the paths a run reports is dropped before any
    output. So only the fixes nobody sees go (one file checked after an edit built them
    for the whole project)."""
    with _narrowed(reported):
        yield


def load_view(root: Path, path: str) -> FileView | None:
    """The current content of a project file, parsed; None when it cannot be read or
    parsed (such a file is never fixed), or when no fix is wanted (`skipping_fixes`, a
    file outside `fixes_only_in`). What was read is remembered (`checked_digest`) so
    that edits are never applied to other content than they were computed on."""
    wanted = _WANTED.get()
    if wanted is not None and not wanted(path):
        return None
    try:
        data = read_regular(root / path)
    except OSError:
        return None
    last = _LAST_READ.get(path)
    if last is None or last[0] != data:
        # The rules of one run ask for the same file once per finding: the file is read
        # each time (it may have changed), but hashed and parsed only when it did.
        if len(_LAST_READ) >= _REMEMBERED:
            _LAST_READ.clear()
        last = _LAST_READ[path] = (data, digest(data), _view(path, data))
    _CHECKED[path] = last[1]
    return last[2]


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def checked_digest(path: str) -> bytes | None:
    """The digest of the content fixes for the project file `path` were last computed on."""
    return _CHECKED.get(path)


_REMEMBERED = 16  # files whose content, digest and view are kept between calls


def _view(path: str, data: bytes) -> FileView | None:
    try:
        text = decode_source(data)
    except SourceDecodeError:
        return None
    tree = parse_python(text, path)
    if isinstance(tree, ParseFailure):
        return None
    return FileView(path, text, tree)
