"""Render the rule catalog (``rules/CELnnn.toml``) as Markdown.

``docs/rules.md`` and ``celerylint rule CODE`` are both produced here, from the same specs
the spec-driven tests run, so the published documentation cannot drift from what the rules
are proven to do. The output is deterministic (spec order, no dates, no environment) so a
test can compare the committed file byte for byte and fail when it is stale.

Run ``python -m celerylint.catalog.docs`` to regenerate ``docs/rules.md``; ``--check`` only reports
whether it is stale (exit status 1), for CI.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from celerylint.catalog.specs import Example, RuleSpec, load_catalog

DOCS_PATH = Path(__file__).resolve().parents[3] / "docs" / "rules.md"
REGENERATE_COMMAND = "python -m celerylint.catalog.docs"

# Fence languages by file suffix or whole name; anything else is shown as plain text.
_LANGUAGE_BY_SUFFIX: dict[str, str] = {
    ".py": "python",
    ".toml": "toml",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".cfg": "ini",
    ".ini": "ini",
    ".service": "ini",
    ".json": "json",
    ".sh": "sh",
}
_LANGUAGE_BY_NAME: dict[str, str] = {"Dockerfile": "dockerfile"}

_DEFAULT_TEXT = {True: "on", False: "off"}
_FIX_TEXT = {
    "safe": "safe (applied by `--fix`)",
    "unsafe": "unsafe (applied by `--fix --unsafe-fixes`)",
    "none": "none",
}
_KIND_HEADING = {"bad": "Bad", "good": "Good", "fixed": "Fix"}


def render_rule(spec: RuleSpec, with_anchor: bool = True) -> str:
    """Markdown for one rule: heading with a stable anchor, facts, rationale, examples.

    The explicit ``<a id>`` makes the anchor independent of how a Markdown renderer
    slugifies headings, because finding URLs (`url` in JSON, SARIF help links) point at it.
    ``celerylint rule`` leaves it out (`with_anchor` false): a terminal has no links.
    """
    parts: list[str] = [f'<a id="{spec.anchor}"></a>'] if with_anchor else []
    parts += [
        f"## {spec.code} {spec.name}",
        _facts_table(spec),
        spec.summary,
        spec.rationale,
    ]
    if spec.silent:
        parts.append("### Stays silent")
        parts.append("\n".join(f"- {item}" for item in spec.silent))
    parts.append("### Fix")
    parts.append(_fix_text(spec))
    if spec.examples:
        parts.append("### Examples")
        parts.extend(_render_example(spec, example) for example in spec.examples)
    return "\n\n".join(parts) + "\n"


def render_catalog(specs: Mapping[str, RuleSpec]) -> str:
    """The whole of ``docs/rules.md``: an index table, then every rule in code order."""
    ordered = [specs[code] for code in sorted(specs)]
    header = "\n\n".join(
        [
            "# celerylint rules",
            f"<!-- Generated from rules/*.toml by `{REGENERATE_COMMAND}`; do not edit. -->",
            (
                "This page is generated from the rule specs in `rules/`: edit a spec, then run "
                f"`{REGENERATE_COMMAND}` to regenerate it (a test fails while it is stale). "
                "`celerylint rule CODE` prints the same text for one rule."
            ),
            (
                "Severity maps to SARIF levels: `error` (a security hole or a certain bug), "
                "`warning` (a reliability risk), `note` (hygiene). Rules that are off by "
                "default run only when selected by code or prefix (`--select`, "
                "`extend-select`, `ALL`). A finding is silenced by `# noqa: CODE` on the line "
                "where it lands."
            ),
            _index_table(ordered),
        ]
    )
    rules = "\n---\n\n".join(render_rule(spec) for spec in ordered)
    return header + "\n\n" + rules


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m celerylint.catalog.docs [--check]``: write or verify ``docs/rules.md``."""
    parser = argparse.ArgumentParser(
        prog=REGENERATE_COMMAND,
        description="Regenerate docs/rules.md from the rule specs in rules/.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit with status 1 when docs/rules.md is stale",
    )
    options = parser.parse_args(argv)
    status = sync_docs(DOCS_PATH, render_catalog(load_catalog()), check=options.check)
    if status:
        raise SystemExit(status)


def sync_docs(path: Path, text: str, check: bool) -> int:
    """Write `text` to `path`, or with `check` only compare; return the exit status.

    Bytes are compared and written as UTF-8 with ``\\n`` line ends, so the result does not
    depend on the platform's newline translation.
    """
    current = path.read_bytes().decode("utf-8") if path.is_file() else None
    if current == text:
        print(f"{path} is up to date")
        return 0
    if check:
        print(f"{path} is stale: regenerate it with `{REGENERATE_COMMAND}`", file=sys.stderr)
        return 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    print(f"wrote {path}")
    return 0


def _index_table(specs: Sequence[RuleSpec]) -> str:
    rows = ["| Code | Name | Severity | Default | Fix | Summary |", "|---|---|---|---|---|---|"]
    for spec in specs:
        cells = [
            f"[{spec.code}](#{spec.anchor})",
            spec.name,
            spec.severity,
            _DEFAULT_TEXT[spec.default_enabled],
            spec.fix,
            _table_cell(spec.summary),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _facts_table(spec: RuleSpec) -> str:
    default = _DEFAULT_TEXT[spec.default_enabled]
    if not spec.default_enabled:
        default += f" (enable with `--extend-select {spec.code}`)"
    return "\n".join(
        [
            "| Severity | Default | Fix |",
            "|---|---|---|",
            f"| {spec.severity} | {default} | {_FIX_TEXT[spec.fix]} |",
        ]
    )


def _fix_text(spec: RuleSpec) -> str:
    if spec.fix == "none":
        lead = "No automatic fix."
    elif spec.fix == "safe":
        lead = "Safe fix, applied by `celerylint check --fix`."
    else:
        lead = (
            "Unsafe fix: it changes run-time behaviour, so only "
            "`celerylint check --fix --unsafe-fixes` applies it."
        )
    return lead + (" " + spec.fix_description if spec.fix_description else "")


def _render_example(spec: RuleSpec, example: Example) -> str:
    parts = [f"#### {_KIND_HEADING[example.kind]}: {example.title}"]
    command = _command(spec, example)
    if example.command_args:
        parts.append(f"Checked with `{command}`.")
    if example.base:
        parts.append("At the base ref (the last commit):")
        parts.extend(_render_files(example.base, {}))
        parts.append("In the working tree:")
    findings = _findings_by_file(example)
    if example.kind == "bad":
        where = ", ".join(f"`{item}`" for item in example.expect)
        parts.append(f"{spec.code} reports: {where}.")
    elif example.kind == "good":
        parts.append(f"{spec.code} reports nothing.")
    parts.extend(_render_files(example.files, findings))
    if example.kind == "fixed":
        parts.append(f"After `{command} --fix{_unsafe_flag(spec)}`:")
        parts.extend(_render_files(example.fixed, {}))
    return "\n\n".join(parts)


def _command(spec: RuleSpec, example: Example) -> str:
    return " ".join(["celerylint check --select", spec.code, *example.command_args])


def _unsafe_flag(spec: RuleSpec) -> str:
    return " --unsafe-fixes" if spec.fix == "unsafe" else ""


def _findings_by_file(example: Example) -> dict[str, list[int]]:
    """Expected finding lines per file, from ``"file:line"`` entries."""
    lines: dict[str, list[int]] = {}
    for item in example.expect:
        name, _, line = item.rpartition(":")
        lines.setdefault(name, []).append(int(line))
    return lines


def _render_files(files: Mapping[str, str], findings: Mapping[str, list[int]]) -> list[str]:
    """One fenced block per file; empty files are listed in one line, not shown as blocks."""
    blocks: list[str] = []
    empty = [name for name, text in files.items() if not text.strip()]
    for name, text in files.items():
        if text.strip():
            blocks.append(_caption(name, text, findings.get(name, [])))
            blocks.append(_fenced(name, text))
    if empty:
        blocks.append("Empty: " + ", ".join(f"`{name}`" for name in empty) + ".")
    return blocks


def _caption(name: str, text: str, lines: Sequence[int]) -> str:
    """The file name, plus each finding line quoted so readers see exactly what is marked."""
    if not lines:
        return f"`{name}`"
    source = text.splitlines()
    marks = [f"line {n}: {_inline_code(source[n - 1].strip())}" for n in sorted(lines)]
    return f"`{name}`, finding on " + "; ".join(marks)


def _fenced(name: str, text: str) -> str:
    """A code fence longer than any backtick run in `text`, so content can never close it."""
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{_language(name)}\n{body}{fence}"


def _language(name: str) -> str:
    path = PurePosixPath(name)
    if path.name in _LANGUAGE_BY_NAME:
        return _LANGUAGE_BY_NAME[path.name]
    return _LANGUAGE_BY_SUFFIX.get(path.suffix, "text")


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


def _inline_code(text: str) -> str:
    """A code span whose delimiter is longer than any backtick run inside `text`."""
    delimiter = "`" * (_longest_backtick_run(text) + 1)
    padding = " " if "`" in text else ""
    return f"{delimiter}{padding}{text}{padding}{delimiter}"


def _table_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    main()
