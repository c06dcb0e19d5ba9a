"""CEL0: problems with the files themselves and with noqa comments."""
