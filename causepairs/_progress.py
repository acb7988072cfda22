"""Progress bars that show on a terminal and stay silent in logs, pipes and CI."""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int, desc: str, *, quiet: bool = False, unit: str = "pair") -> tqdm:
    """A tqdm bar on stderr, disabled with ``quiet`` or when stderr is not a terminal."""
    enabled = not quiet and sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)
