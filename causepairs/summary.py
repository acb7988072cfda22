"""Plain-text summaries of a labelled or unlabelled set of pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .io import TYPE_CODES
from .metrics import DETAILS_NAMES, TYPE_COMBINATIONS

__all__ = ["dataset_summary"]


def _share_table(counts: pd.Series, total: int) -> str:
    width = max(len(str(k)) for k in counts.index)
    return "\n".join(f"  {str(k):<{width}}  {v:>7d}  {100.0 * v / total:5.1f}%"
                     for k, v in counts.items())


def dataset_summary(sizes, publicinfo: pd.DataFrame, target: pd.DataFrame | None = None) -> str:
    """Describe a set of pairs: count, sizes, type combinations and (if labelled) classes.

    Parameters
    ----------
    sizes : array-like of int
        Number of samples of each pair.
    publicinfo : pandas.DataFrame
        With columns ``A type`` and ``B type``, one row per pair.
    target : pandas.DataFrame, optional
        With columns ``Target`` and ``Details`` (Details may be all missing).
    """
    sizes = np.asarray(sizes)
    n = len(sizes)
    lines = [f"pairs: {n}"]
    if n == 0:
        return lines[0]
    q = np.percentile(sizes, [0, 25, 50, 75, 100]).astype(int)
    lines.append(f"samples per pair: min {q[0]}, q1 {q[1]}, median {q[2]}, q3 {q[3]}, max {q[4]} "
                 f"(mean log2 size {np.log2(sizes).mean():.2f}); {int(sizes.sum())} in all")

    combos = pd.Series([TYPE_CODES[a] + TYPE_CODES[b]
                        for a, b in zip(publicinfo["A type"], publicinfo["B type"])])
    counts = combos.value_counts().reindex(TYPE_COMBINATIONS).dropna().astype(int)
    lines += ["type combinations (A then B; N numerical, C categorical, B binary):",
              _share_table(counts, n)]

    if target is not None:
        details = target["Details"]
        if details.notna().all():
            counts = details.astype(int).value_counts().reindex(sorted(DETAILS_NAMES), fill_value=0)
            counts.index = [f"{k} {DETAILS_NAMES[k]}" for k in counts.index]
            lines += ["Details classes:", _share_table(counts, n)]
        counts = target["Target"].value_counts().reindex([1, -1, 0], fill_value=0)
        counts.index = ["1 (A->B)", "-1 (B->A)", "0 (neither)"]
        lines += ["Target:", _share_table(counts, n)]
    return "\n".join(lines)
