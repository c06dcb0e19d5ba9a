"""CEL3: result storage and expiry."""
