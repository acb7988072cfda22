"""Run-level defaults, in one place, and the one rule for ``n_jobs``.

Every command of the CLI, every pipeline file and every function of the Python API that takes a
number of workers reads it with :func:`resolve_n_jobs`:

- ``None`` (the flag or key not given): :data:`N_JOBS_ENV` if it is set, else 1 (in-process,
  the convention of scikit-learn and joblib);
- ``N > 0``: exactly N worker processes (LightGBM: N threads);
- ``-1``: all cores, ``-2`` all but one, and so on, never fewer than 1 (joblib's rule);
- 0, a bool or a non-integer: an error.

Results never depend on the number of workers (same inputs and seed, same bits), so the rule
only decides speed. The other values here are the sizes of the work units, chosen for cost,
not for results (a feature chunk size is part of a part store's layout, though: a rerun that
resumes a store must use the size it was written with).
"""

from __future__ import annotations

import numbers
import os

__all__ = ["DIRECTION_CHUNK_SIZE", "FEATURE_CHUNK_SIZE", "FOLDS", "GENERATOR_CHUNK_SIZE",
           "GROUP_FOLDS", "MAX_ROWS", "N_JOBS_ENV", "READ_CHUNK_SIZE", "default_n_jobs",
           "n_jobs_problem", "resolve_n_jobs"]

#: An environment variable with the number of workers to use when none is given (same values
#: as ``n_jobs``, e.g. ``-1`` for all cores on a server); unset: 1.
N_JOBS_ENV = "CAUSEPAIRS_N_JOBS"

#: Pairs per feature task and per Parquet part: ~1-5 s of work on the full set, enough to hide
#: the per-task and per-part overheads, small enough to lose little on a crash.
FEATURE_CHUNK_SIZE = 32

#: Pairs per generator task: about 40 ms of work at the default sizes, large enough to hide the
#: per-task overhead, small enough for a smooth progress bar and balanced load at the end.
GENERATOR_CHUNK_SIZE = 32

#: Pairs read from a pairs file at a time when streaming it into feature chunks (reading only;
#: it bounds memory, not the work units).
READ_CHUNK_SIZE = 256

#: Pairs per task when scoring every pair of a table's columns (``direction_table``): its pairs
#: are long (up to :data:`MAX_ROWS` rows), and the table's columns are few, so small tasks keep
#: all workers busy.
DIRECTION_CHUNK_SIZE = 4

#: Pairs longer than this are subsampled when scored from a table: the generator's pairs have
#: 200 to 8,000 rows, and some features cost more than linear time in the number of rows.
MAX_ROWS = 8000

#: Folds of the stratified cross-validation (``causepairs train --folds``, a pipeline's
#: ``[evaluation] folds``, ``cross_validate_model(n_folds=)``).
FOLDS = 5

#: Grouped folds of a pipeline's evaluation; 0 leaves each group out in turn.
GROUP_FOLDS = 0

_N_JOBS_RULE = ("None (the default: $" + N_JOBS_ENV + ", else 1), N > 0 workers, -1 all cores, "
                "-2 all but one")


def _check(n_jobs, what: str) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"{what} must be {_N_JOBS_RULE}; got {n_jobs!r}")
    return int(n_jobs)


def default_n_jobs() -> int:
    """The ``n_jobs`` that ``None`` stands for: :data:`N_JOBS_ENV` if set, else 1.

    Raises
    ------
    ValueError
        If the variable is set to something other than a non-zero integer.
    """
    text = os.environ.get(N_JOBS_ENV, "").strip()
    if not text:
        return 1
    try:
        value = int(text)
    except ValueError:
        value = text
    return _check(value, f"${N_JOBS_ENV}")


def resolve_n_jobs(n_jobs) -> int:
    """The number of workers (>= 1) that ``n_jobs`` asks for, by the rule of this module.

    Parameters
    ----------
    n_jobs : int or None
        ``None``: :func:`default_n_jobs`; ``N > 0``: N; ``-1``: all cores, ``-2``: all but
        one, and so on (never fewer than 1).

    Raises
    ------
    ValueError
        If ``n_jobs`` is 0, a bool or not an integer.

    Examples
    --------
    >>> resolve_n_jobs(3)
    3
    """
    n_jobs = default_n_jobs() if n_jobs is None else _check(n_jobs, "n_jobs")
    if n_jobs > 0:
        return n_jobs
    return max(1, (os.cpu_count() or 1) + 1 + n_jobs)


def n_jobs_problem(n_jobs) -> str | None:
    """Why ``n_jobs`` breaks the rule, or None (for checks that report rather than raise)."""
    if n_jobs is None:
        return None
    try:
        _check(n_jobs, "n_jobs")
    except ValueError as exc:
        return str(exc)
    return None
