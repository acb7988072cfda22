"""Pairs in, feature rows out: the feature factory as a scikit-learn transformer.

:class:`PairFeatures` sits in front of :class:`~causepairs.model.CausalDirectionModel` in a
scikit-learn ``Pipeline``, so that cross-validation and grid searches take pairs, not feature
matrices. Its input is a DataFrame in the challenge's layout (one row per pair: the arrays
``A`` and ``B`` and the types ``A type`` and ``B type``), which scikit-learn can split into
folds; :func:`pairs_frame` builds one from generated pairs or from pairs and their publicinfo.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .errors import InvalidInputError
from .factory.spec import FeatureSet, load_feature_set
from .io import Pair

__all__ = ["PairFeatures", "pairs_frame", "PAIR_COLUMNS"]

#: The columns of a pairs frame; the SampleID is its index (or a ``SampleID`` column).
PAIR_COLUMNS = ("A", "B", "A type", "B type")


def pairs_frame(pairs, publicinfo=None) -> pd.DataFrame:
    """Pairs and their variable types as one DataFrame, one row per pair.

    Parameters
    ----------
    pairs : SyntheticPairs, or iterable of :class:`~causepairs.io.Pair`
        Generated pairs carry their own types; other pairs need ``publicinfo``.
    publicinfo : pandas.DataFrame, optional
        ``A type`` and ``B type`` indexed by SampleID (as :func:`causepairs.io.read_publicinfo`
        returns them), or with a ``SampleID`` column.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``SampleID``; columns ``A`` and ``B`` (float64 arrays), ``A type`` and
        ``B type``.
    """
    from .synth import SyntheticPairs

    if isinstance(pairs, SyntheticPairs):
        publicinfo = pairs.publicinfo
        pairs = [Pair(s, a, b) for s, a, b in zip(pairs.sample_ids, pairs.a, pairs.b)]
    elif publicinfo is None:
        raise InvalidInputError("pairs_frame: pairs other than generated ones need their "
                                "publicinfo (A type and B type by SampleID)")
    pairs = list(pairs)
    types = publicinfo.set_index("SampleID") if "SampleID" in publicinfo.columns else publicinfo
    ids = [p.sample_id for p in pairs]
    missing = [sid for sid in ids if sid not in types.index]
    if missing:
        raise InvalidInputError(f"pairs_frame: no types for SampleID {missing[0]}")
    return pd.DataFrame({"A": [np.asarray(p.a, dtype=np.float64) for p in pairs],
                         "B": [np.asarray(p.b, dtype=np.float64) for p in pairs],
                         "A type": types.loc[ids, "A type"].to_numpy(),
                         "B type": types.loc[ids, "B type"].to_numpy()},
                        index=pd.Index(ids, name="SampleID"))


def _values(cell, sid: str, column: str) -> np.ndarray:
    """One variable's values as float64; finiteness and lengths are checked by extraction."""
    try:
        values = np.asarray(cell, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1:
        raise InvalidInputError(f"pairs frame: SampleID {sid}: {column} must hold a 1-D array "
                                f"of numbers, got {type(cell).__name__}")
    return values


def _pairs_and_types(X) -> tuple[list[Pair], pd.DataFrame]:
    """The pairs and the publicinfo frame of a pairs frame (or of generated pairs)."""
    from .synth import SyntheticPairs

    if isinstance(X, SyntheticPairs):
        X = pairs_frame(X)
    if not isinstance(X, pd.DataFrame):
        raise InvalidInputError(
            f"PairFeatures takes a DataFrame of pairs (columns {', '.join(PAIR_COLUMNS)}; "
            f"causepairs.pairs_frame builds one), got {type(X).__name__}")
    if "SampleID" in X.columns:
        X = X.set_index("SampleID")
    missing = [c for c in PAIR_COLUMNS if c not in X.columns]
    if missing:
        raise InvalidInputError(f"pairs frame: no column {missing[0]!r} (has "
                                f"{', '.join(map(str, X.columns))}); causepairs.pairs_frame "
                                "builds one")
    ids = [str(sid) for sid in X.index]
    pairs = [Pair(sid, _values(a, sid, "A"), _values(b, sid, "B"))
             for sid, a, b in zip(ids, X["A"], X["B"])]
    types = pd.DataFrame({"A type": X["A type"].to_numpy(), "B type": X["B type"].to_numpy()},
                         index=pd.Index(ids, name="SampleID"))
    return pairs, types


class PairFeatures(TransformerMixin, BaseEstimator):
    """Compute a feature set's columns for pairs: a scikit-learn transformer.

    Nothing is learned: ``fit`` only loads the feature set, and every pair's row depends on
    that pair alone, so the transformer can sit inside cross-validation without leaking.

    Parameters
    ----------
    feature_set : FeatureSet, str or path
        ``"fast"`` (default), another built-in name, a ``.toml`` path or a loaded set; it must
        be the set the model downstream reads.
    n_jobs : int or None
        Worker processes for the features (None: the default, 1 = in-process unless
        ``CAUSEPAIRS_N_JOBS`` says otherwise; -1: all cores; see :mod:`causepairs.defaults`).

    Attributes
    ----------
    feature_set_ : FeatureSet
        The loaded feature set.
    n_features_out_ : int
        Number of feature columns.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline                  # doctest: +SKIP
    >>> pipe = make_pipeline(PairFeatures("fast"), CausalDirectionModel("fast"))
    >>> pipe.fit(pairs_frame(train), y).predict(pairs_frame(test))
    """

    def __init__(self, feature_set: FeatureSet | str = "fast", n_jobs: int | None = None):
        self.feature_set = feature_set
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Rows of arrays and type strings, not a numeric matrix.
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags

    def fit(self, X=None, y=None) -> "PairFeatures":
        """Load the feature set (nothing is learned from ``X``); returns ``self``."""
        feature_set = self.feature_set
        if isinstance(feature_set, (str, os.PathLike)):
            feature_set = load_feature_set(feature_set)
        elif not isinstance(feature_set, FeatureSet):
            raise TypeError(f"feature_set must be a FeatureSet, a built-in name such as 'fast' "
                            f"or a .toml path, got {type(feature_set).__name__}")
        self.feature_set_ = feature_set
        self.n_features_out_ = len(feature_set)
        return self

    def transform(self, X) -> pd.DataFrame:
        """Feature rows of the pairs in ``X``.

        Parameters
        ----------
        X : pandas.DataFrame or SyntheticPairs
            One row per pair: columns ``A`` and ``B`` (arrays of one pair's values, equal
            lengths) and ``A type``, ``B type`` (Numerical, Categorical or Binary); SampleID as
            the index or a ``SampleID`` column. :func:`pairs_frame` builds it.

        Returns
        -------
        pandas.DataFrame
            float32, the feature set's columns in order, indexed by SampleID, rows in the
            order of ``X``.
        """
        from .factory.extract import extract_features

        check_is_fitted(self, "feature_set_")
        pairs, types = _pairs_and_types(X)
        return extract_features(pairs, types, self.feature_set_, n_jobs=self.n_jobs)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The feature set's column names, in the order of :meth:`transform`'s columns."""
        check_is_fitted(self, "feature_set_")
        return np.asarray(self.feature_set_.columns, dtype=object)
