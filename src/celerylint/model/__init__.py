"""The project model: every file's facts linked across modules. Apps and their effective
configuration with provenance, tasks with names and options, worker process definitions,
Celery's settings table and version facts. Built completely, then frozen, before any rule
runs: rules only read it."""
