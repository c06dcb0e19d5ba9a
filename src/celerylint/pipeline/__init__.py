"""A run from end to end: build the model, run the selected rules, apply per-file ignores
and ``# noqa``; and the fix loop around it (apply edits atomically, re-check, diff)."""
