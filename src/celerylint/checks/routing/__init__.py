"""CEL6: beat and routing."""
