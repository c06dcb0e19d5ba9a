"""CEL1: serialization and security."""
