"""The combinatorial feature factory: registry, feature sets, per-pair compute, batch extraction."""

from .extract import ExtractionReport, extract_features
from .spec import FeatureSet, load_feature_set

__all__ = ["ExtractionReport", "FeatureSet", "extract_features", "load_feature_set"]
