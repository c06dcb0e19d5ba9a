"""Autofix: turning findings into edits, and edits into files.

Rules attach a ``Fix`` to a finding by calling one function of ``builders`` (the
catalog's fixes). Builders read only the file they edit (``view``), find the node the
finding points at, and compute exact, minimal edits in report positions (``edits``,
``brackets`` for calls and literals, ``minimal``, ``settings_style`` for the names of
added settings), so JSON output can show them and ``--fix`` can apply them. ``apply``
writes edits safely (valid code only, atomically, in the file's own encoding and newline
style), ``runner`` repeats fix-and-recheck to a fixed point, ``diff`` renders what would
change, and ``session`` is what the command line calls.
"""
