"""GRU cell derivations (filled in by the GRU issue)."""

BUILDERS: tuple = ()
