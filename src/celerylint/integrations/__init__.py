"""What celerylint offers other tools: stable finding fingerprints and baselines (for CI
gates and code-scanning dashboards). The flake8 adapter is ``celerylint.flake8_plugin``."""
