"""Setting names the project reads as code (``settings.CELERY_X``, ``getattr(settings,
"BROKER_URL")``, a bare use in a settings module): such a name is the project's own
variable too, so CEL702 does not call it unknown and CEL703 does not rename it.

Files that read ``settings.X`` often show no sign of Celery, so the prefilter passed
them over; a byte search for the few names in question (`model.mentions`, which reads
every Python file unless the facts cache holds its answers) finds the ones to load while
the model is built (a rule's ``needs``), and their facts say whether they really read
them. CEL702 and CEL703 ask, each more than once: `Project.mentions` remembers the
answers until the model is frozen, as the files cannot change meaning meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable

from celerylint.model import mentions
from celerylint.model.build import Model


def files_mentioning(model: Model, names: Iterable[str]) -> set[str]:
    """The project's Python files whose bytes hold one of `names` as a whole word."""
    project = model.project
    words = set(names)
    memo: dict[str, frozenset[str]] = project.mentions if not project.frozen else {}
    memo.update(mentions.search(project, sorted(words - memo.keys())))
    return {path for word in words for path in memo[word]}


def names_read(model: Model) -> set[str]:
    """Every setting-like name some loaded module reads as code."""
    return {name for facts in model.project.modules.values() for name in facts.names_read}
