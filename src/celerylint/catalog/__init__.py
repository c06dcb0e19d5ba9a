"""The rule catalog as data: the ``rules/CELnnn.toml`` specs, the documentation rendered
from them, and the scaffold that starts a new rule's spec and class."""
