"""Turning a file's bytes into an ``ast`` tree whatever Python version its syntax targets
(lowering newer syntax for older hosts), and report positions in characters."""
