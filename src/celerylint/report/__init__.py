"""Output formats: one module per format, all fed the same sorted findings."""

from __future__ import annotations

import os
from pathlib import Path

from celerylint.catalog.specs import RuleSpec, load_catalog
from celerylint.findings import Finding


def display_path(root: Path, path: str) -> str:
    """A finding's file relative to the current directory, always `/`-separated."""
    return Path(os.path.relpath(root / path, Path.cwd())).as_posix()


def rule_of(finding: Finding) -> RuleSpec:
    return load_catalog()[finding.code]


def severity_of(finding: Finding) -> str:
    """The finding's own severity, else its rule's."""
    return finding.severity or rule_of(finding).severity


# The project's home; SARIF names it as the tool's informationUri and rule links point into
# its docs/rules.md.
PROJECT_URL = "https://github.com/celerylint/celerylint"
DOCS_URL = f"{PROJECT_URL}/blob/main/docs/rules.md"


def rule_url(code: str) -> str:
    """The rule's anchor in docs/rules.md."""
    return f"{DOCS_URL}#{load_catalog()[code].anchor}"
