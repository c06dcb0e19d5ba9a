"""Rules register themselves, and the registry, the specs and the catalog agree; the model
is frozen before rules run, so their order never changes the output; the scaffold starts
a rule that registers and whose spec loads."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from celerylint import cli
from celerylint.catalog.scaffold import FAMILIES, scaffold
from celerylint.catalog.specs import load_catalog, load_spec
from celerylint.checks import registry
from celerylint.pipeline import check as pipeline_check

ROOT = Path(__file__).resolve().parents[1]
CATALOG_MD = ROOT.parent / "shared" / "CATALOG.md"
FIXTURES = ROOT / "tests" / "fixtures"
_ROW = re.compile(r"^\| (CEL\d{3}) \| ([a-z0-9-]+) \| ([^|]+) \|", re.MULTILINE)

def _catalog_rows() -> dict[str, tuple[str, set[str]]]:
    """Code -> (name, the severities its cell names: "note / warning" varies by finding)."""
    if not CATALOG_MD.is_file():
        pytest.skip(f"the catalog is not at {CATALOG_MD} (shared/ beside the checkout)")
    text = CATALOG_MD.read_text(encoding="utf-8")
    return {code: (name, set(re.findall(r"error|warning|note", cell)))
            for code, name, cell in _ROW.findall(text)}


def test_registered_codes_are_exactly_the_specs() -> None:
    assert set(registry.all_rules()) == set(load_catalog())


def test_specs_match_their_catalog_rows() -> None:
    rows = _catalog_rows()
    for code, spec in load_catalog().items():
        assert code in rows, f"{code} has a spec but is not in CATALOG.md"
        name, severities = rows[code]
        assert spec.name == name and spec.severity in severities, code


def test_every_catalog_code_is_built() -> None:
    rows = _catalog_rows()
    assert set(rows) - set(registry.all_rules()) == set()


def test_each_rule_lives_in_its_family_folder() -> None:
    for code, rule in registry.all_rules().items():
        folder = FAMILIES[code[3]][0]
        assert type(rule).__module__.startswith(f"celerylint.checks.{folder}."), code
        assert code in (sys.modules[type(rule).__module__].__doc__ or ""), code


def test_a_code_cannot_be_registered_twice() -> None:
    with pytest.raises(TypeError, match="CEL101 is registered twice"):
        type("Impostor", (registry.Rule,), {"code": "CEL101"})


def _json_output(project: Path, order: list[str]) -> str:
    """`check --select ALL --output-format json` with the rules run in `order`."""
    rules = registry.all_rules()
    shuffled = {code: rules[code] for code in order}
    original = pipeline_check.all_rules
    pipeline_check.all_rules = lambda: shuffled  # type: ignore[assignment]
    try:
        result = CliRunner().invoke(cli.cli, ["check", "--select", "ALL", "--no-cache",
                                              "--jobs", "1", "--output-format", "json",
                                              "--exit-zero", str(project)])
    finally:
        pipeline_check.all_rules = original  # type: ignore[assignment]
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "project", [*sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()), "../../examples/shop"])
def test_rules_in_any_order_give_byte_identical_output(project: str) -> None:
    path = (FIXTURES / project).resolve()
    codes = list(registry.all_rules())
    expected = _json_output(path, codes)
    shuffler = random.Random(2026)
    for _ in range(3):
        order = codes[:]
        shuffler.shuffle(order)
        assert _json_output(path, order) == expected, order
    assert _json_output(path, codes[::-1]) == expected


def test_scaffold_writes_a_rule_that_registers_and_a_spec_that_loads(tmp_path: Path) -> None:
    source, rules = tmp_path / "src" / "celerylint", tmp_path / "rules"
    rules.mkdir()
    written = scaffold("CEL799", "example-rule", "note", source, rules)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        "rules/CEL799.toml", "src/celerylint/checks/configuration/example_rule.py"]
    spec = load_spec(rules / "CEL799.toml")
    assert (spec.code, spec.name, spec.severity) == ("CEL799", "example-rule", "note")
    assert {e.kind for e in spec.examples} == {"bad", "good"}
    module = source / "checks" / "configuration" / "example_rule.py"
    probe = ("import runpy, sys\n"
             "from celerylint.checks import registry\n"
             f"runpy.run_path({str(module)!r}, run_name='celerylint.checks.configuration.x')\n"
             "print(registry._REGISTRY['CEL799'].__name__)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False)
    assert done.stdout.strip() == "ExampleRule", done.stderr
    with pytest.raises(FileExistsError):
        scaffold("CEL799", "example-rule", "note", source, rules)


@pytest.mark.parametrize(("code", "name"), [("CEL8", "x"), ("CEL101", "Bad_Name")])
def test_scaffold_refuses_bad_codes_and_names(tmp_path: Path, code: str, name: str) -> None:
    with pytest.raises(ValueError):
        scaffold(code, name, "note", tmp_path, tmp_path)


def test_contributing_worked_example_runs(tmp_path: Path) -> None:
    """The rule class of CONTRIBUTING.md's worked example, as written there, fires on its
    bad example and stays silent on test settings (in a subprocess: it registers)."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert block is not None
    code = "\n".join(line[3:] for line in block.group(1).splitlines())
    project = tmp_path / "project"
    (project / "proj" / "settings").mkdir(parents=True)
    (project / "proj" / "__init__.py").write_text("", encoding="utf-8")
    (project / "proj" / "settings" / "__init__.py").write_text("", encoding="utf-8")
    (project / "proj" / "celery.py").write_text(
        'from celery import Celery\n\napp = Celery("proj")\n'
        'app.config_from_object("celeryconfig")\n', encoding="utf-8")
    (project / "celeryconfig.py").write_text("task_always_eager = True\n", encoding="utf-8")
    probe = (
        "from collections.abc import Iterator\n"
        "from pathlib import Path\n"
        "from celerylint.checks.registry import Rule\n"
        "from celerylint.engine.options import FileOptions\n"
        "from celerylint.findings import Finding\n"
        "from celerylint.model.build import Model, build_model\n"
        "from celerylint.model.celery_version import TargetVersion\n"
        f"{code}\n"
        f"model = build_model(Path({str(project)!r}), FileOptions(), TargetVersion(None, ''))\n"
        "for f in AlwaysEagerOutsideTests().check(model):\n"
        "    print(f.code, f.path, f.span.row, f.message, '|', f.hint)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("CEL701 celeryconfig.py 1 task_always_eager is on for app 'proj' "
                           "| Set it only in test settings.\n")
