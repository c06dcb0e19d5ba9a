"""CEL4: calling tasks."""
