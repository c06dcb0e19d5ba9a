"""celerylint: a static linter and configuration auditor for Celery codebases."""

__version__ = "0.1.0"
