"""Links from findings to the rule documentation (``rule-url-base``).

celerylint has no documentation site of its own: the rule documentation is the
``docs/rules.md`` page of the repository it is built from. So a link can only be made
when the user says where that page is published (their fork, a pinned tag, an internal
mirror), and then it is that page plus the rule's anchor. Without one, reports carry no
link rather than one to a site that does not exist. The base must be an absolute URL:
SARIF's ``helpUri`` is a ``uri`` (not a relative reference), and a path relative to
celerylint's own source tree would resolve against the user's repository instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

_SCHEMES = ("https", "http", "file")


def url_base_problem(text: str) -> str | None:
    """Why `text` cannot be the address of docs/rules.md, or None when it can."""
    parts = urlsplit(text)
    if parts.scheme not in _SCHEMES or (parts.scheme != "file" and not parts.netloc):
        return "an absolute http(s) URL of docs/rules.md"
    if parts.fragment or text.endswith("#"):
        return "a URL without a #fragment (the rule's anchor is added)"
    if any(character.isspace() for character in text):
        return "a URL without spaces"
    return None


def rule_link(base: str | None, anchor: str) -> str | None:
    """The rule's anchor on the page at `base`; None when no base is configured."""
    return f"{base}#{anchor}" if base else None
