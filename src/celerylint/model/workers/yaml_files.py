"""Compose files and Kubernetes manifests: their `command`, `args` and `entrypoint` values.

These are YAML with anchors, merge keys (`<<: *x`), flow and block styles and several
documents per file, so PyYAML's composer reads them: `compose_all` only builds the node
graph, whose nodes keep their start and end offsets; nothing is constructed or executed.
The keys of one mapping combine in argv order, entrypoint + command (compose) and
command + args (Kubernetes), and a merged mapping supplies the keys a mapping leaves out.

Helm templates are not YAML: lines that hold only a `{{ ... }}` directive are blanked and
the braces of inline `{{ ... }}` swapped for private-use characters before composing (and
swapped back in the values read), so every offset stays that of the file. A file that
still is not YAML yields the commands of the documents before the error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml  # type: ignore[import-untyped, unused-ignore]

from celerylint.model.workers.shell import Sources, Word, script_words
from celerylint.model.workers.source_text import SourceText

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_KEY_ORDER = ("entrypoint", "command", "args")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BLOCK_STYLES = ("|", ">")
_QUOTE_STYLES = ('"', "'")

# Characters YAML rejects, or reads as line breaks where the file's line table does not.
_NOT_YAML = re.compile(
    "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_TEMPLATE_LINE = re.compile(r"(?m)^[ \t]*\{\{.*$")
_INLINE_TEMPLATE = re.compile(r"\{\{.*?\}\}")
_MASK_BRACES = str.maketrans("{}", "\ue000\ue001")
_RESTORE_BRACES = str.maketrans("\ue000\ue001", "{}")
# An anchor (`&name`) or tag (`!!str`, `!local`) before a node's content, which its start
# mark includes, with the blanks and comments after it.
_PROPERTIES = re.compile(r"(?:(?:&[\w-]+|![^\s,\[\]{}]*)(?:\s+|#[^\n]*)*)*")


def yaml_sources(source: SourceText) -> Sources:
    """The words of every mapping with a command key, document by document."""
    return [
        words
        for document in _documents(_composable(source.text))
        for words in _document_sources(source.text, document)
    ]


def _document_sources(text: str, document: yaml.Node) -> Sources:
    """One word list per mapping with command keys, once per distinct set of values.

    A mapping merged into others (`<<: *worker`) without overrides gives the same values
    to each of them, which is one command, not several.
    """
    sources: Sources = []
    seen: set[tuple[int, ...]] = set()
    for mapping in _mappings(document):
        values = _command_values(mapping)
        identity = tuple(id(node) for node in values)
        if values and identity not in seen:
            seen.add(identity)
            sources.append([word for node in values for word in _words(text, node)])
    return sources


def _composable(text: str) -> str:
    """The text with Helm templates and non-YAML characters masked, offsets unchanged."""
    text = _NOT_YAML.sub(" ", text)
    text = _TEMPLATE_LINE.sub(lambda match: " " * len(match.group()), text)
    return _INLINE_TEMPLATE.sub(lambda match: match.group().translate(_MASK_BRACES), text)


def _documents(text: str) -> Iterator[yaml.Node]:
    """The root node of each document, up to the first YAML error."""
    try:
        yield from yaml.compose_all(text, Loader=_LOADER)
    except (yaml.YAMLError, RecursionError):
        return  # the documents composed before the error stand


def _mappings(root: yaml.Node) -> Iterator[yaml.MappingNode]:
    """Every mapping in a document, in document order, each once (aliases share nodes)."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            yield node
            stack.extend(child for pair in reversed(node.value) for child in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))


def _command_values(mapping: yaml.MappingNode) -> list[yaml.Node]:
    """Values of a mapping's command keys, in argv order."""
    keys = _command_keys(mapping, frozenset())
    return [keys[name] for name in _KEY_ORDER if name in keys]


def _command_keys(mapping: yaml.MappingNode, merging: frozenset[int]) -> dict[str, yaml.Node]:
    """A mapping's command keys, the mappings it merges (`<<`) filling in those it lacks.

    Own keys win over merged ones, and earlier merged mappings over later ones, as in
    YAML's merge key; `merging` holds the mappings being merged, against merge cycles.
    """
    keys: dict[str, yaml.Node] = {}
    merged: list[yaml.Node] = []
    for key, value in mapping.value:
        if key.tag == _MERGE_TAG:
            merged.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
        elif isinstance(key, yaml.ScalarNode) and key.value in _KEY_ORDER:
            keys[key.value] = value
    merging = merging | {id(mapping)}
    for node in merged:
        if isinstance(node, yaml.MappingNode) and id(node) not in merging:
            for name, value in _command_keys(node, merging).items():
                keys.setdefault(name, value)
    return keys


def _words(text: str, node: yaml.Node) -> list[Word]:
    """A string value is a command line; a list holds one word per item."""
    if isinstance(node, yaml.ScalarNode):
        return script_words(text, _scalar_word(text, node))
    if isinstance(node, yaml.SequenceNode):
        return [_scalar_word(text, item) for item in node.value if _is_word(item)]
    return []


def _is_word(item: yaml.Node) -> bool:
    """A list item that is a string, but not an empty `-` item."""
    return isinstance(item, yaml.ScalarNode) and bool(item.value or item.style)


def _scalar_word(text: str, node: yaml.ScalarNode) -> Word:
    """A scalar as a word: its value, its raw span and, if it reads like the value, inner."""
    end = node.end_mark.index
    start = _content_start(text, node.start_mark.index, end)
    value = node.value.translate(_RESTORE_BRACES)
    if node.style in _BLOCK_STYLES:
        return _block_word(text, start, end, value)
    if node.style in _QUOTE_STYLES:
        raw = text[start + 1:end - 1]
        escaped = "\\" in raw if node.style == '"' else "''" in raw
        return Word(value, start, end, None if escaped else (start + 1, end - 1))
    return Word(value, start, end, (start, end))


def _content_start(text: str, start: int, end: int) -> int:
    """Where a node's content starts: after the anchor and tag its start mark includes."""
    properties = _PROPERTIES.match(text, start, end)
    return properties.end() if properties else start


def _block_word(text: str, header: int, end: int, value: str) -> Word:
    """A `|` or `>` scalar whose header is at `header`.

    Its span runs from the first character of its content to the end of its last content
    line; an empty one sits at the end of the header line. The value loses its final line
    break, so that a one-line block is one command line.
    """
    header_end = _line_end(text, header)
    body = text[header_end:end]
    if not body.strip():
        return Word("", header_end, header_end, (header_end, header_end))
    first = header_end + len(body) - len(body.lstrip())
    last = _line_end(text, header_end + len(body.rstrip()))
    return Word(value.rstrip("\n"), first, last, (first, last))


def _line_end(text: str, offset: int) -> int:
    """Offset of the end of the line holding `offset`, before its newline."""
    newline = text.find("\n", offset)
    return len(text) if newline < 0 else newline
