"""CEL7: configuration hygiene."""
