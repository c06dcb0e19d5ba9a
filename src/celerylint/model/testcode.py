"""Which files are test code: test code is exempt from several rules (a test app may
well use pickle or eager mode) and its tasks are not production tasks."""

from __future__ import annotations

import re
from fnmatch import fnmatch

from celerylint.model.modules import ModuleName

_TEST_WORDS = re.compile(r"(^|[._/-])(tests?|testing|testutils|conftest)([._/-]|$)")


class TestCodePolicy:
    """The test-code half of ``Project``: its fields are declared there."""

    test_patterns: tuple[str, ...]
    names: dict[str, ModuleName]
    _test_paths: dict[str, bool]  # answers of `is_test_path`, asked per task and per rule

    def is_test_path(self, path: str) -> bool:
        """Test code by path: tests/ folders, test_*.py, *_test.py, conftest.py, patterns."""
        known = self._test_paths.get(path)
        if known is None:
            known = self._test_paths[path] = self._matches_test_path(path)
        return known

    def _matches_test_path(self, path: str) -> bool:
        parts = path.split("/")
        base = parts[-1]
        if any(p in ("tests", "test") for p in parts[:-1]):
            return True
        if base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py":
            return True
        return any(fnmatch(path, pattern) for pattern in self.test_patterns)

    def is_test_config(self, path: str) -> bool:
        """Test code for a config or settings module: also by its dotted module path."""
        return self.is_test_path(path) or bool(_TEST_WORDS.search(self._module_name(path)))

    def _module_name(self, path: str) -> str:
        name = self.names.get(path)
        return name.name if name else ""
