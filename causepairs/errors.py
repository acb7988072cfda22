"""Exceptions that carry a one-line, user-facing message.

The CLI prints ``str(error)`` of any :class:`CausepairsError` as a single line and exits
non-zero; everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import os


class CausepairsError(Exception):
    """Base class for errors caused by the user's input, not by a bug."""


class ChallengeFormatError(CausepairsError, ValueError):
    """A challenge-format file breaks the format.

    Parameters
    ----------
    path : str or os.PathLike
        The offending file.
    problem : str
        What is wrong, phrased so a user can fix it.
    line : int, optional
        1-based physical line of the file (the header is line 1).
    sample_id : str, optional
        The SampleID of the offending row, when known.
    """

    def __init__(self, path, problem: str, *, line: int | None = None,
                 sample_id: str | None = None):
        self.path = os.fspath(path)
        self.problem = problem
        self.line = line
        self.sample_id = sample_id
        where = [self.path]
        if line is not None:
            where.append(f"line {line}")
        if sample_id is not None:
            where.append(f"SampleID {sample_id}")
        # One line, always: a problem text never spans lines in the message.
        super().__init__(": ".join([", ".join(where), " ".join(problem.split())]))


class InvalidInputError(CausepairsError, ValueError):
    """Input given in memory (not a file) breaks the rules: e.g. an unknown variable type.

    A ValueError for library callers; the CLI prints it as one line like any
    :class:`CausepairsError`.
    """


class SymlinkRefusedError(CausepairsError, OSError):
    """A file to be created is a symbolic link: written through, it could overwrite anything."""
