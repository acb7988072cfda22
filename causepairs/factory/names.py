"""Feature column names: generated from a cell of the feature product, parsed back, mirrored.

A name is ``|``-separated: a *scope*, then ``key=value`` settings, then bare tokens (the model
with its parameters, the metric)::

    A>B|in=rank|out=std|knn15|r2        fit of B on A (input A in rank view, target B standardised)
    B>A|in=rank|out=std|knn15|r2        the same fit the other way round
    diff|in=rank|out=std|knn15|r2       A>B minus B>A
    sym|in=raw|hsic                     a symmetric measure of the pair
    A|in=raw|entropy_spacing            a statistic of A alone

Swapping A and B maps every column to its *mirror* with a sign: ``A>B`` <-> ``B>A`` and
``A`` <-> ``B`` with sign +1, ``diff`` to itself with sign -1, ``sym`` to itself with sign +1.
The model uses this to augment training data and to score f(A, B) - f(B, A) without
recomputing features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SCOPES", "ColumnName", "parse_column", "mirror_column"]

#: Every scope and its image under swapping A and B, with the sign of the mirrored value.
SCOPES = {"A>B": ("B>A", 1), "B>A": ("A>B", 1), "diff": ("diff", -1), "sym": ("sym", 1),
          "A": ("B", 1), "B": ("A", 1)}
_TOKEN = re.compile(r"[A-Za-z0-9_.+\-]+")


@dataclass(frozen=True, order=True)
class ColumnName:
    """One feature column, as structured data.

    scope : one of :data:`SCOPES`
    settings : ``(key, value)`` pairs, e.g. ``(("in", "rank"), ("out", "std"))``, in name order
    tokens : bare tokens after the settings, e.g. ``("knn15", "r2")``
    """

    scope: str
    settings: tuple[tuple[str, str], ...] = ()
    tokens: tuple[str, ...] = ()

    def __post_init__(self):
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}; expected one of {list(SCOPES)}")
        for key, value in self.settings:
            if not (_TOKEN.fullmatch(key) and _TOKEN.fullmatch(value)):
                raise ValueError(f"bad setting {key}={value} in a column name")
        for token in self.tokens:
            if not _TOKEN.fullmatch(token):
                raise ValueError(f"bad token {token!r} in a column name")
        if not self.tokens:
            raise ValueError("a column name needs at least one token (the measure)")

    def __str__(self) -> str:
        parts = [self.scope, *(f"{k}={v}" for k, v in self.settings), *self.tokens]
        return "|".join(parts)

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of setting ``key``."""
        return dict(self.settings).get(key, default)

    def with_scope(self, scope: str) -> "ColumnName":
        return ColumnName(scope, self.settings, self.tokens)

    def mirror(self) -> tuple["ColumnName", int]:
        """The column this one becomes when A and B are swapped, and the sign to apply."""
        scope, sign = SCOPES[self.scope]
        return self.with_scope(scope), sign


def parse_column(name: str) -> ColumnName:
    """Parse a column name back into its :class:`ColumnName`; raise ValueError if malformed."""
    parts = name.split("|")
    scope, rest = parts[0], parts[1:]
    settings, tokens = [], []
    for part in rest:
        if "=" in part:
            if tokens:
                raise ValueError(f"column {name!r}: settings must come before tokens")
            key, _, value = part.partition("=")
            settings.append((key, value))
        else:
            tokens.append(part)
    column = ColumnName(scope, tuple(settings), tuple(tokens))
    if str(column) != name:
        raise ValueError(f"column {name!r} does not round-trip")
    return column


def mirror_column(name: str) -> tuple[str, int]:
    """The mirror of a column name under swapping A and B, and its sign."""
    column, sign = parse_column(name).mirror()
    return str(column), sign
