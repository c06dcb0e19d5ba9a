"""CEL5: what task bodies do."""
