"""causepairs: predict the causal direction between two observed variables."""

__version__ = "0.1.0"
