"""Start a new rule: its spec in ``rules/`` and its class in its family folder.

    python -m celerylint.catalog.scaffold CEL604 undeclared-queue --severity warning

The spec gets the catalog's required keys and one bad and one good example to replace;
the class registers itself and yields nothing yet, so the spec-driven test fails on the
bad example until the rule is written. Nothing existing is ever overwritten.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from celerylint.catalog.specs import rules_dir

# The catalog's families, by the code's first digit: the folder under checks/ and the
# docstring a new family folder starts with.
FAMILIES = {
    "0": ("meta", "CEL0: problems with the files themselves and with noqa comments."),
    "1": ("serialization", "CEL1: serialization and security."),
    "2": ("reliability", "CEL2: reliability — acknowledgement, time limits, retries."),
    "3": ("results", "CEL3: result storage and expiry."),
    "4": ("calling", "CEL4: calling tasks."),
    "5": ("bodies", "CEL5: what task bodies do."),
    "6": ("routing", "CEL6: beat and routing."),
    "7": ("configuration", "CEL7: configuration hygiene."),
}
_CODE = re.compile(r"CEL[0-7][0-9]{2}\Z")
_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")

_SPEC = '''code = "{code}"
name = "{name}"
severity = "{severity}"
default-enabled = true
fix = "none"
summary = "TODO: one sentence: what is wrong."
rationale = """
TODO: why it matters, with the Celery facts behind it (../shared/CELERY_FACTS.md), what the
rule reports, where the finding lands, how to fix it by hand.
"""
silent = [
    "TODO: every case of the catalog's \\"stays silent\\" column, each also a good example",
]
fix-description = ""

[[examples]]
kind = "bad"
title = "TODO: the plainest case that fires"
expect = ["proj/tasks.py:4"]
[examples.files]
"proj/__init__.py" = ""
"proj/tasks.py" = \'\'\'
from celery import shared_task


@shared_task
def todo():
    pass
\'\'\'

[[examples]]
kind = "good"
title = "TODO: a trap that must stay silent"
[examples.files]
"proj/__init__.py" = ""
"proj/tasks.py" = \'\'\'
from celery import shared_task
\'\'\'
'''

_RULE = '''"""{code} {name}: TODO: what it reports, in one line."""

from __future__ import annotations

from collections.abc import Iterator

from celerylint.checks.registry import Rule
from celerylint.findings import Finding
from celerylint.model.build import Model


class {cls}(Rule):
    """TODO: what the rule reports and why, in a sentence or two."""

    code = "{code}"

    def check(self, model: Model) -> Iterator[Finding]:
        return iter(())
'''


def class_name(name: str) -> str:
    """``undeclared-queue`` -> ``UndeclaredQueue``."""
    return "".join(part.capitalize() for part in name.split("-"))


def scaffold(code: str, name: str, severity: str, source: Path, rules: Path) -> list[Path]:
    """Write the spec and the rule module; the paths written. Raises ValueError on a bad
    code or name, FileExistsError when either file exists."""
    if not _CODE.match(code):
        raise ValueError(f"{code!r} is not a catalog code (CEL followed by three digits)")
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a rule name (lowercase words joined by '-')")
    if severity not in ("error", "warning", "note"):
        raise ValueError("severity must be error, warning or note")
    folder, family_doc = FAMILIES[code[3]]
    family = source / "checks" / folder
    spec = rules / f"{code}.toml"
    module = family / f"{name.replace('-', '_')}.py"
    for path in (spec, module):
        if path.exists():
            raise FileExistsError(f"{path} already exists")
    family.mkdir(parents=True, exist_ok=True)
    init = family / "__init__.py"
    if not init.exists():
        init.write_text(f'"""{family_doc}"""\n', encoding="utf-8")
    spec.write_text(_SPEC.format(code=code, name=name, severity=severity), encoding="utf-8")
    module.write_text(_RULE.format(code=code, name=name, cls=class_name(name)),
                      encoding="utf-8")
    return [spec, module]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m celerylint.catalog.scaffold",
                                     description="Start a new rule: spec and class.")
    parser.add_argument("code", help="the catalog code, e.g. CEL604")
    parser.add_argument("name", help="the catalog name, e.g. undeclared-queue")
    parser.add_argument("--severity", default="warning", help="error, warning or note")
    args = parser.parse_args(argv)
    source = Path(__file__).resolve().parents[1]
    try:
        written = scaffold(args.code, args.name, args.severity, source, rules_dir())
    except (ValueError, FileExistsError) as exc:
        print(f"scaffold: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"created {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
