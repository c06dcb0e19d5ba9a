"""Validate SARIF logs against the official OASIS SARIF 2.1.0 schema (Errata 01).

The schema is the unmodified OASIS file (see tests/schemas/README.md); its hash is checked
so an accidental edit cannot loosen what "valid" means.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"


@lru_cache(maxsize=1)
def _validator() -> Any:
    data = SCHEMA.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "the SARIF schema was modified"
    schema = json.loads(data)
    validator_class = jsonschema.validators.validator_for(schema)
    assert validator_class is jsonschema.Draft4Validator
    validator_class.check_schema(schema)
    return validator_class(schema)


def schema_errors(log: Any) -> list[str]:
    """Every schema violation of `log`, as readable lines (empty when valid)."""
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator().iter_errors(log)]


def assert_valid_sarif(log: Any) -> None:
    errors = schema_errors(log)
    assert not errors, "\n".join(errors)
