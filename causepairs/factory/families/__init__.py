"""Every feature family, registered on import: one module per group of families."""

from . import fits, measures  # noqa: F401
