"""Setting names the project reads as code (``settings.CELERY_X``, ``getattr(settings,
"BROKER_URL")``, a bare use in a settings module): such a name is the project's own
variable too, so CEL702 does not call it unknown and CEL703 does not rename it.

Files that read ``settings.X`` often show no sign of Celery, so the prefilter passed
them over; a byte search for the few names in question finds the ones to load while the
model is built (a rule's ``needs``), and their facts say whether they really read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from celerylint.model.build import Model


def files_mentioning(model: Model, names: Iterable[str]) -> set[str]:
    """The project's Python files whose bytes hold one of `names` as a whole word."""
    words = sorted(set(names))
    if not words:
        return set()
    pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\b")
    found = set()
    for path in model.project.names:
        try:
            data = (model.project.root / path).read_bytes()
        except OSError:
            continue
        if pattern.search(data):
            found.add(path)
    return found


def names_read(model: Model) -> set[str]:
    """Every setting-like name some loaded module reads as code."""
    return {name for facts in model.project.modules.values() for name in facts.names_read}
