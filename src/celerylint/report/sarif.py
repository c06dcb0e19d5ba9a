"""``--output-format sarif``: a SARIF 2.1.0 log for GitHub code scanning and other viewers.

Choices that matter to consumers (see ../shared/INTEGRATIONS.md):

* one run per log, listing every rule of the catalog (not only those that fired), so a
  viewer can show the documentation of any rule and ``ruleIndex`` stays stable;
* repository-relative, percent-encoded URIs with ``uriBaseId`` ``%SRCROOT%``, which
  ``originalUriBaseIds`` maps to the absolute repository folder: GitHub resolves relative
  URIs against the repository root, and a valid log needs the base declared;
* ``columnKind`` ``unicodeCodePoints``: our columns count characters, as Python strings do;
* ``partialFingerprints`` under our own versioned key, never ``primaryLocationLineHash``,
  which upload-sarif computes itself and which must match its own recipe exactly;
* findings silenced by ``# noqa`` are left out (GitHub ignores ``suppressions`` and would
  open alerts for them);
* no ``automationDetails``, so the ``category`` input of upload-sarif takes effect;
* a result's ``message.text`` is the finding's message and then its hint, as a second
  sentence: viewers show only that text beside the code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from celerylint import __version__
from celerylint.catalog.specs import RuleSpec, load_catalog
from celerylint.findings import Finding, Fix, Span
from celerylint.integrations.fingerprints import FINGERPRINT_KEY, fingerprints
from celerylint.model.notices import Notice
from celerylint.report import rule_url, severity_of
from celerylint.report.repository import relative_path, repository_root

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "%SRCROOT%"
_DESCRIPTION_LIMIT = 1024  # GitHub's limit for short and full descriptions
# GitHub turns a number into critical (>9), high (7-8.9), medium (4-6.9) or low. A CEL1
# finding is a hole someone with access to the broker or its credentials can use; how bad
# follows the rule's severity.
_SECURITY_SEVERITY = {"error": "8.1", "warning": "5.3", "note": "3.1"}
_SECURITY_FAMILY = "CEL1"


def render(root: Path, findings: Sequence[Finding], internal_errors: Sequence[str] = (),
           notices: Sequence[Notice] = (), url_base: str | None = None,
           compared: bool = False) -> str:
    """The SARIF log of one run, as JSON text (one run; ``results`` is ``[]`` when clean).
    Blind spots (`notices`) are ``toolExecutionNotifications`` of the invocation; rules
    link to docs/rules.md at `url_base` (``rule-url-base``) when one is configured.
    `compared`: the findings are those new since a base (``--new-only``, ``--baseline``),
    so each result's ``baselineState`` is ``new``."""
    catalog = load_catalog()
    index = {code: position for position, code in enumerate(catalog)}
    base = repository_root(root)
    prints = fingerprints(root, findings)
    results = [_result(root, base, finding, index[finding.code], fingerprint)
               for finding, fingerprint in zip(findings, prints)]
    if compared:
        for result in results:
            result["baselineState"] = "new"
    run = {
        "tool": {"driver": _driver(catalog.values(), url_base)},
        "invocations": [_invocation(internal_errors, [_notification(root, base, notice)
                                                      for notice in notices])],
        "originalUriBaseIds": {BASE_ID: {"uri": _folder_uri(base)}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _driver(specs: Iterable[RuleSpec], url_base: str | None) -> dict[str, Any]:
    """The tool; its ``informationUri`` is the rules page, when the user says where it is."""
    driver: dict[str, Any] = {"name": "celerylint", "version": __version__,
                              "semanticVersion": __version__}
    if url_base:
        driver["informationUri"] = url_base
    driver["rules"] = [rule_descriptor(spec, url_base) for spec in specs]
    return driver


def rule_descriptor(spec: RuleSpec, url_base: str | None = None) -> dict[str, Any]:
    """A rule's reportingDescriptor: what GitHub shows in an alert's rule help. It has a
    ``helpUri`` only with a configured base: the schema wants an absolute URI there."""
    properties: dict[str, Any] = {"tags": _tags(spec)}
    if spec.code.startswith(_SECURITY_FAMILY):
        properties["security-severity"] = _SECURITY_SEVERITY[spec.severity]
    link = rule_url(spec.code, url_base)
    descriptor: dict[str, Any] = {
        "id": spec.code,
        "name": spec.name,
        "shortDescription": {"text": _clip(spec.summary)},
        "fullDescription": {"text": _clip(_first_paragraph(spec.rationale))},
        "help": {"text": _help_text(spec, link), "markdown": _help_markdown(spec, link)},
    }
    if link:
        descriptor["helpUri"] = link
    descriptor["defaultConfiguration"] = {"level": spec.severity,
                                          "enabled": spec.default_enabled}
    descriptor["properties"] = properties
    return descriptor


def _tags(spec: RuleSpec) -> list[str]:
    if spec.code.startswith(_SECURITY_FAMILY):
        return ["celery", "security"]
    return ["celery"]


def _first_paragraph(text: str) -> str:
    return " ".join(text.split("\n\n", 1)[0].split())


def _clip(text: str) -> str:
    """At most GitHub's 1024 characters, cut at a word."""
    if len(text) <= _DESCRIPTION_LIMIT:
        return text
    return text[: _DESCRIPTION_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _help_text(spec: RuleSpec, link: str | None) -> str:
    return f"{spec.summary}\n\n{spec.rationale}\n\nDocumentation: {_where(spec, link)}"


def _where(spec: RuleSpec, link: str | None) -> str:
    """The rule's documentation: its link, else the command that prints it."""
    return link or f"`celerylint rule {spec.code}`"


def _help_markdown(spec: RuleSpec, link: str | None) -> str:
    parts = [f"**{spec.summary}**", spec.rationale]
    if spec.silent:
        parts.append("#### Stays silent\n\n" + "\n".join(f"- {item}" for item in spec.silent))
    if spec.fix != "none" and spec.fix_description:
        flags = "`--fix`" if spec.fix == "safe" else "`--fix --unsafe-fixes`"
        parts.append(f"#### Fix ({spec.fix}, applied by {flags})\n\n{spec.fix_description}")
    parts.append(f"[Full documentation and examples]({link})" if link else
                 f"Full documentation and examples: {_where(spec, link)}")
    return "\n\n".join(parts)


def _invocation(internal_errors: Sequence[str], notifications: Sequence[dict[str, Any]] = ()
                ) -> dict[str, Any]:
    """Whether celerylint itself worked; findings and notices do not make a run
    unsuccessful."""
    invocation: dict[str, Any] = {"executionSuccessful": not internal_errors}
    listed = [{"level": "error", "message": {"text": problem}} for problem in internal_errors]
    listed.extend(notifications)
    if listed:
        invocation["toolExecutionNotifications"] = listed
    return invocation


def _notification(root: Path, base: Path, notice: Notice) -> dict[str, Any]:
    """A blind spot: its text, where it is, and its parts under ``properties``."""
    notification: dict[str, Any] = {"level": notice.level, "message": {"text": notice.text()}}
    if notice.path is not None:
        physical: dict[str, Any] = {"artifactLocation": {
            "uri": quote(relative_path(root, notice.path, base)), "uriBaseId": BASE_ID}}
        if notice.row:
            physical["region"] = {"startLine": notice.row}
        notification["locations"] = [{"physicalLocation": physical}]
    properties: dict[str, Any] = {"kind": notice.kind}
    if notice.app is not None:
        properties["app"] = notice.app
    properties.update({"skippedRules": list(notice.skipped), "fix": notice.fix})
    notification["properties"] = properties
    return notification


def _folder_uri(folder: Path) -> str:
    uri = folder.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _result(root: Path, base: Path, finding: Finding, rule_index: int, fingerprint: str
            ) -> dict[str, Any]:
    artifact = {"uri": quote(relative_path(root, finding.path, base)), "uriBaseId": BASE_ID}
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": severity_of(finding),
        "message": {"text": finding.message_with_hint()},
        "locations": [{"physicalLocation": {"artifactLocation": artifact,
                                            "region": region(finding.span)}}],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    if finding.fix is not None and finding.fix.edits:
        result["fixes"] = [_fix(finding.fix, artifact)]
    return result


def region(span: Span) -> dict[str, int]:
    """A SARIF region: 1-based lines and columns, end column exclusive, like our spans.

    Clamped so a degenerate span (an end before its start) still makes a valid region.
    """
    start_line, start_column = max(span.row, 1), max(span.column, 1)
    end_line = max(span.end_row, start_line)
    end_column = max(span.end_column, 1)
    if end_line == start_line:
        end_column = max(end_column, start_column)
    return {"startLine": start_line, "startColumn": start_column,
            "endLine": end_line, "endColumn": end_column}


def _fix(fix: Fix, artifact: dict[str, str]) -> dict[str, Any]:
    """A SARIF fix: the edits, in order, as replacements of regions of the finding's file."""
    replacements = []
    for edit in fix.edits:
        replacement: dict[str, Any] = {"deletedRegion": region(edit.span)}
        if edit.content:
            replacement["insertedContent"] = {"text": edit.content}
        replacements.append(replacement)
    return {
        "description": {"text": fix.message or "Apply the fix"},
        "artifactChanges": [{"artifactLocation": artifact, "replacements": replacements}],
        "properties": {"applicability": fix.applicability},
    }
