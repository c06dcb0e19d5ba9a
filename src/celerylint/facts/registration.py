"""What a module makes a worker import, and which of its definitions are alternatives.

CEL405 follows a worker's imports from its entry points to every task module; CEL608 must
tell two definitions of one name apart from the two arms of one ``if``/``try``. Both read
a module's top-level statements (one walk of the statement lists, with the calls of its
simple statements), plus the import and call nodes the file's single walk found.
"""

from __future__ import annotations

import ast
from bisect import bisect_left
from collections.abc import Iterator, Sequence

from celerylint.facts.imports import ImportMap, absolute_module
from celerylint.facts.schema import Autodiscovery, Registration
from celerylint.facts.walk import TreeIndex

# Functions that import the module a string names (a literal one is an import; any other
# argument makes the answer unknown). Django's ``autodiscover_modules("x")`` imports the
# ``x`` module of every installed app: unknown too.
_IMPORT_FUNCTIONS = {
    "importlib.import_module", "importlib.__import__", "__import__", "import_module",
    "django.utils.module_loading.import_string",
    "celery.utils.imports.symbol_by_name", "kombu.utils.imports.symbol_by_name",
    "celery.utils.imports.instantiate", "kombu.utils.imports.instantiate",
}
_IMPORTS_PER_APP = {"django.utils.module_loading.autodiscover_modules"}
_TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"}


# Calls worth looking at; a file whose text holds none of these words has none.
_CALL_WORDS = ("import_module", "__import__", "import_string", "autodiscover_modules",
               "symbol_by_name", "instantiate", "autodiscover_tasks", "register_task")


def collect_registration(index: TreeIndex, imports: ImportMap, text: str) -> Registration:
    """The module's import-time imports and calls, dynamic-import marks, the imports
    inside its functions and methods, ``autodiscover_tasks`` calls and the branch of
    each top-level definition (`index`: the module's one walk). `text` is the module's
    source (a word test spares the walk over every call); the rows of its import
    statements spare the walk of every function that has none."""
    tree = index.tree
    import_rows = sorted(getattr(node, "lineno", 0)
                         for node in index.of(ast.Import, ast.ImportFrom))
    collector = _Collector(imports, import_rows)
    collector.block(tree.body, ())
    collector.scopes(tree.body)
    if any(word in text for word in _CALL_WORDS):
        for node in index.each(ast.Call):
            collector.call(node)
    return Registration(
        imports=tuple(dict.fromkeys(collector.imports)),
        dynamic=collector.dynamic,
        autodiscovery=tuple(collector.autodiscovery),
        branches=collector.branches,
        calls=tuple(dict.fromkeys(collector.calls)),
        registered=tuple(dict.fromkeys(collector.registered)),
        main_guard=collector.main_guard,
        local_imports={k: tuple(dict.fromkeys(v)) for k, v in collector.local.items() if v},
    )


def _blocks(stmt: ast.stmt) -> list[ast.stmt]:
    """The statements directly inside a compound statement, every arm of it."""
    found: list[ast.stmt] = []
    for name in ("body", "orelse", "finalbody"):
        found.extend(getattr(stmt, name, ()))
    for name in ("handlers", "cases"):
        for part in getattr(stmt, name, ()):
            found.extend(part.body)
    return found


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of a block and of the blocks nested in it (no expressions)."""
    for stmt in body:
        yield stmt
        yield from _statements(_blocks(stmt))


class _Collector:
    def __init__(self, imports: ImportMap, import_rows: Sequence[int]) -> None:
        self.map = imports
        self.import_rows = import_rows
        self.imports: list[str] = []
        self.dynamic = ""
        self.autodiscovery: list[Autodiscovery] = []
        self.branches: dict[str, tuple[tuple[int, str], ...]] = {}
        self.calls: list[str] = []  # what module-level statements call
        self.registered: list[str] = []  # Task classes given to register_task()
        self.local: dict[str, list[str]] = {}  # imports inside functions and methods
        self.main_guard = False  # ``if __name__ == "__main__":``

    def block(self, body: list[ast.stmt], branch: tuple[tuple[int, str], ...]) -> None:
        """Top-level statements as Python runs them at import: ``if TYPE_CHECKING``
        bodies never run; each arm of an ``if``/``try`` is its own branch."""
        for stmt in body:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self.imports.extend(self.imported(stmt))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.branches[definition_key(stmt.name, stmt.lineno)] = branch
            elif isinstance(stmt, ast.If):
                self.main_guard = self.main_guard or _is_main_guard(stmt.test)
                if not self._type_checking(stmt.test):
                    self.block(stmt.body, (*branch, (stmt.lineno, "if")))
                self.block(stmt.orelse, (*branch, (stmt.lineno, "else")))
            elif isinstance(stmt, ast.Try):
                self.block(stmt.body + stmt.orelse, (*branch, (stmt.lineno, "try")))
                for number, handler in enumerate(stmt.handlers):
                    self.block(handler.body, (*branch, (stmt.lineno, f"except{number}")))
                self.block(stmt.finalbody, branch)
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                self.block(stmt.body, branch)
            elif isinstance(stmt, (ast.Expr, ast.Assign, ast.AnnAssign)):
                self.calls.extend(self.called(stmt))

    def called(self, stmt: ast.Expr | ast.Assign | ast.AnnAssign) -> Iterator[str]:
        """The origins a module-level statement calls: its value's call and the calls
        among that call's arguments (``celery = make_celery(create_app())``)."""
        pending = [stmt.value]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Call):
                origin = self.map.resolve_bound(node.func)
                if origin:
                    yield origin
                pending.extend(node.args)
                pending.extend(kw.value for kw in node.keywords)

    def scopes(self, body: list[ast.stmt]) -> None:
        """The imports inside each top-level function and method (``Class.method``):
        they run when it is called (a module-level ``create_app()`` runs them)."""
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.local[stmt.name] = list(self.local_imports(stmt))
            elif isinstance(stmt, ast.ClassDef):
                for method in stmt.body:
                    if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        self.local[f"{stmt.name}.{method.name}"] = list(
                            self.local_imports(method))
            elif isinstance(stmt, (ast.If, ast.Try, ast.With)):
                self.scopes(_blocks(stmt))

    def local_imports(self, scope: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[str]:
        rows = self.import_rows
        index = bisect_left(rows, scope.lineno)
        if index == len(rows) or rows[index] > (scope.end_lineno or scope.lineno):
            return  # no import statement is written within its lines
        for stmt in _statements(scope.body):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                yield from self.imported(stmt)

    def imported(self, stmt: ast.Import | ast.ImportFrom) -> Iterator[str]:
        """Absolute module names an import statement may run: ``from pkg import name``
        runs ``pkg`` and, when it is one, the submodule ``pkg.name``."""
        if isinstance(stmt, ast.Import):
            yield from (alias.name for alias in stmt.names)
            return
        base = absolute_module(self.map.module, self.map.is_package, stmt.level, stmt.module)
        if base:
            yield base
        for alias in stmt.names:
            if alias.name != "*":
                yield f"{base}.{alias.name}" if base else alias.name

    def call(self, node: ast.Call) -> None:
        """``import_module(<expr>)`` and ``autodiscover_tasks(...)`` anywhere."""
        function = self.map.resolve(node.func)
        if function in _IMPORT_FUNCTIONS or function in _IMPORTS_PER_APP:
            literal = _literal_argument(node) if function in _IMPORT_FUNCTIONS else None
            if literal is None:
                self.dynamic = self.dynamic or f"a dynamic import at line {node.lineno}"
            else:
                self.imports.append(literal)  # counted as imported wherever it is called
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "autodiscover_tasks":
            self.autodiscovery.append(self.discovery(node))
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "register_task":
            registered = self.registered_class(node)
            if registered:
                self.registered.append(registered)

    def registered_class(self, node: ast.Call) -> str | None:
        """The class ``app.register_task(MyTask())`` / ``app.register_task(MyTask)``
        registers."""
        argument = node.args[0] if node.args else None
        if isinstance(argument, ast.Call) and not argument.args and not argument.keywords:
            argument = argument.func
        return self.map.resolve_bound(argument) if argument is not None else None

    def discovery(self, node: ast.Call) -> Autodiscovery:
        """One ``autodiscover_tasks`` call: its packages when literal (or the Django
        ``lambda: settings.INSTALLED_APPS``), its ``related_name``."""
        arguments = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        if node.args:
            arguments.setdefault("packages", node.args[0])
        if len(node.args) > 1:
            arguments.setdefault("related_name", node.args[1])
        related = arguments.get("related_name", ast.Constant("tasks"))
        related_name = related.value if isinstance(related, ast.Constant) and isinstance(
            related.value, str) else None
        known = related_name is not None and not any(kw.arg is None for kw in node.keywords)
        packages = arguments.get("packages")
        if packages is None or self._installed_apps(packages):
            return Autodiscovery(node.lineno, known, (), True, related_name or "")
        names = _literal_strings(packages)
        # Celery asks the fix-ups when the packages are empty (``if packages:``).
        return Autodiscovery(node.lineno, known and names is not None, names or (), not names,
                             related_name or "")

    def _installed_apps(self, node: ast.expr) -> bool:
        """``lambda: settings.INSTALLED_APPS`` (Django's settings object)."""
        return isinstance(node, ast.Lambda) and self.map.resolve(node.body) in {
            "django.conf.settings.INSTALLED_APPS"}

    def _type_checking(self, test: ast.expr) -> bool:
        return self.map.resolve(test) in _TYPE_CHECKING


def definition_key(name: str, line: int) -> str:
    """How `Registration.branches` names a top-level definition (a name may be defined
    once per arm)."""
    return f"{name}:{line}"


def alternatives(first: tuple[tuple[int, str], ...], second: tuple[tuple[int, str], ...]
                 ) -> bool:
    """Are two branch paths different arms of one ``if``/``try`` (never both run)?"""
    for (line_a, arm_a), (line_b, arm_b) in zip(first, second):
        if line_a != line_b:
            return False
        if arm_a != arm_b:
            return True
    return False


def _literal_argument(node: ast.Call) -> str | None:
    """The module an ``import_module("a.b")`` names (relative names count as dynamic;
    ``import_string("a.b.C")`` gives ``a.b.C``, whose prefixes are modules)."""
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        name: str = node.args[0].value
        if not name.startswith(".") and not any(kw.arg == "package" for kw in node.keywords):
            return name.replace(":", ".")  # symbol_by_name("pkg.mod:attr")
    return None


def _is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either way round)."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(
            test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in sides) and any(
        isinstance(n, ast.Constant) and n.value == "__main__" for n in sides)


def _literal_strings(node: ast.expr) -> tuple[str, ...] | None:
    """A literal list or tuple of strings, else None."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    found = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return tuple(found) if len(found) == len(node.elts) else None
