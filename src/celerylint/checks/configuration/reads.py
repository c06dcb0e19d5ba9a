"""Setting names the project reads as code (``settings.CELERY_X``, ``getattr(settings,
"BROKER_URL")``, a bare use in a settings module): such a name is the project's own
variable too, so CEL702 does not call it unknown and CEL703 does not rename it.

Files that read ``settings.X`` often show no sign of Celery, so the prefilter passed
them over; a byte search for the few names in question finds the ones to load while the
model is built (a rule's ``needs``), and their facts say whether they really read them.

The search reads every Python file of the project, so it is done once per word while the
model is built (CEL702 and CEL703 ask, each more than once: `Project.mentions` remembers
the answers until the model is frozen, as the files cannot change meaning meanwhile), and
a literal ``in`` test comes before the whole-word regex, which only a file holding the
word at all needs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from celerylint.engine.readable import read_regular
from celerylint.model.build import Model
from celerylint.model.project import Project


def files_mentioning(model: Model, names: Iterable[str]) -> set[str]:
    """The project's Python files whose bytes hold one of `names` as a whole word."""
    project = model.project
    words = set(names)
    memo: dict[str, frozenset[str]] = project.mentions if not project.frozen else {}
    _search(project, sorted(words - memo.keys()), memo)
    return {path for word in words for path in memo[word]}


def _search(project: Project, words: list[str], memo: dict[str, frozenset[str]]) -> None:
    """Fill `memo` for `words`, reading each file once for all of them."""
    if not words:
        return
    wanted = [(word, word.encode()) for word in words]
    patterns: dict[str, re.Pattern[bytes]] = {}
    found: dict[str, set[str]] = {word: set() for word in words}
    top = str(project.root)
    for path in project.names:
        try:
            data = read_regular(os.path.join(top, path))
        except OSError:
            continue
        for word, literal in wanted:
            if literal not in data:
                continue
            pattern = patterns.get(word)
            if pattern is None:
                pattern = patterns[word] = re.compile(rb"\b" + re.escape(literal) + rb"\b")
            if pattern.search(data):
                found[word].add(path)
    memo.update((word, frozenset(paths)) for word, paths in found.items())


def names_read(model: Model) -> set[str]:
    """Every setting-like name some loaded module reads as code."""
    return {name for facts in model.project.modules.values() for name in facts.names_read}
