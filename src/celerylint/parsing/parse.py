"""Turn a Python file into an ``ast`` tree, whatever Python version its syntax targets.

Facts are extracted from :mod:`ast` because it is fast and exact about positions, but
its grammar is the host interpreter's. ``parse_python`` therefore tries ``ast`` first and
only on failure lowers the newer constructs (see :mod:`celerylint.parsing.lowering`:
the common 3.12 forms without libcst, the others with it) before trying ``ast`` again.
Only text that neither accepts is reported as a syntax error, with the interpreter's own
message.

Positions in the returned tree refer to the original text: line numbers are exact for
every node that survives lowering, and ``col_offset`` stays a UTF-8 byte offset into the
original line except where ``celerylint.parsing.lowering`` documents a shift.
"""

from __future__ import annotations

import ast
import codecs
import io
import re
import sys
import tokenize
import warnings
from dataclasses import dataclass

_NEWLINE = re.compile(r"\r\n|\r|\n")
_TOO_DEEP = "too deeply nested for the parser"
_UNDECLARED = "invalid or missing encoding declaration"


class SourceDecodeError(ValueError):
    """The bytes of a file cannot be decoded the way Python would decode them."""


@dataclass(frozen=True)
class ParseFailure:
    """A real syntax error: the host parser's message and where it points.

    ``row`` and ``column`` are 1-based; ``column`` counts characters, not bytes, so it
    can be shown to a user as is.
    """

    message: str
    row: int
    column: int


def decode_source(data: bytes) -> str:
    """Decode a Python file's bytes exactly as the interpreter would.

    A UTF-8 BOM or a PEP 263 coding cookie in the first two lines decides the encoding,
    otherwise UTF-8. The BOM is dropped and line endings are left untouched, so offsets
    computed on the result match the file. Raises ``SourceDecodeError`` when the cookie is
    bad or the bytes do not decode, with the offending line in the message.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if _UNDECLARED not in error.msg:
            raise SourceDecodeError(f"bad source encoding: {error.msg}") from error
        # Non-UTF-8 bytes in line 1 or 2 without a cookie: decoding names the byte and line.
        encoding = "utf-8"
    try:
        return codecs.decode(data, encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 1].hex()
        raise SourceDecodeError(
            f"cannot decode line {line} as {encoding}: byte 0x{bad}: {error.reason}"
        ) from error


def parse_python(source: str, filename: str) -> ast.Module | ParseFailure:
    """Parse ``source`` with ``ast``, lowering syntax newer than the host when needed.

    The fast path is a plain ``ast.parse``; libcst is neither imported nor run for a file
    the host already accepts. When libcst rejects the text too, or the lowered text still
    fails, the failure reported is the host parser's original one.
    """
    try:
        return _ast_parse(source, filename)
    except SyntaxError as error:
        original = error
    except ValueError as error:  # null bytes, on Pythons that raise ValueError for them
        return _null_byte_failure(source, str(error))
    except (RecursionError, MemoryError):  # what CPython raises for absurdly deep nesting
        return ParseFailure(_TOO_DEEP, 1, 1)
    if "\0" in source:
        return _null_byte_failure(source, original.msg)
    return _parse_lowered(source, filename, original)


def _ast_parse(source: str, filename: str) -> ast.Module:
    """``ast.parse`` without compile-time warnings.

    Invalid escape sequences warn at compile time (a SyntaxWarning since 3.12); a linter
    must neither print them nor turn them into errors under ``-W error``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(source, filename)


def _parse_lowered(source: str, filename: str, original: SyntaxError) -> ast.Module | ParseFailure:
    from celerylint.parsing.lowering import (  # off the path of files the host reads
        lower_source,
        quick_lowered,
    )

    quick = quick_lowered(source)
    if quick is not None:
        try:
            return _ast_parse(quick, filename)
        except (SyntaxError, RecursionError, MemoryError):
            pass  # then the quick path was not enough: libcst reads it as before
    lowered = lower_source(source, (sys.version_info[0], sys.version_info[1]))
    if lowered is None:
        return _failure(original)
    try:
        return _ast_parse(lowered, filename)
    except SyntaxError:
        return _failure(original)
    except (RecursionError, MemoryError):
        return ParseFailure(_TOO_DEEP, 1, 1)


def _failure(error: SyntaxError) -> ParseFailure:
    """Build a failure from a SyntaxError; ``offset`` is already 1-based characters."""
    return ParseFailure(error.msg, max(error.lineno or 1, 1), max(error.offset or 1, 1))


def _null_byte_failure(source: str, message: str) -> ParseFailure:
    """Point at the first NUL: some Pythons give no position for this error."""
    lines = _NEWLINE.split(source[: source.find("\0")])
    return ParseFailure(message, len(lines), len(lines[-1]) + 1)
