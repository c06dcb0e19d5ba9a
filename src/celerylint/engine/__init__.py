"""Generic lint machinery that knows nothing of Celery: which files a run reads
(discover), the options and rule selection, ``# noqa`` comments, and spreading per-file
work over processes. Everything Celery-specific lives in the packages above it."""
