"""Numba kernels for 1-D pairs: conversions, out-of-fold models, fit metrics, dependence,
causal and univariate measures.

Each family is a module here; each kernel is a private ``@jit`` core behind a public function
that validates its input once. The slow, obvious twin of every public kernel (NumPy, SciPy or
scikit-learn) lives in the module of the same name under ``causepairs.kernels.reference``;
tests compare the two and benchmarks time them side by side.

Helpers that several families need are defined once: sorted-array helpers (quantiles, ranks,
Pearson, fold counts, entropy of counts, the sort -> core -> unsort round trip) in ``shared``,
binning (equal-frequency under a named tie rule, equal-width) in ``binning``, and input checks,
including the one fold validator ``as_folds``, in ``_validation``.

Numba's disk cache is dropped, as a whole, when any module here has changed since it was
written (``_cache_guard``): Numba itself only checks each function's own file.
"""

from ._cache_guard import numba_cache_directory
from ._validation import as_folds, make_folds

__all__ = ["as_folds", "make_folds", "numba_cache_directory"]
