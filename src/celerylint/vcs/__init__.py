"""Other versions of the project, read from version control (``--base-ref``)."""
