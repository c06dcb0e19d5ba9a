"""Rule implementations, one folder per catalog family.

A family folder (``serialization/`` for CEL1, ``reliability/`` for CEL2, ...) holds what
only its rules need: the rules, one small class per module, the knowledge they share and
their fixes. Rules register themselves when their module is imported (see ``registry``);
nothing else lists them.
"""
