"""A saved model directory read and checked without LightGBM or scikit-learn.

:meth:`causepairs.model.CausalDirectionModel.load` and ``causepairs model-info`` share these
checks: the metadata's format and causepairs version, its own SHA-256, and each model file's
SHA-256. Loading the boosters and rebuilding the feature set stay in ``model.py``; the card
needs neither, and importing them (scikit-learn, SciPy, Numba) is most of a command's start.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from . import __version__
from .errors import CausepairsError

__all__ = ["METADATA_FILE", "MODEL_FORMAT_VERSION", "ModelLoadError", "metadata_digest",
           "read_checked_metadata"]

#: Bump when the layout of a saved model directory changes (2: metadata_sha256).
MODEL_FORMAT_VERSION = 2
METADATA_FILE = "metadata.json"


class ModelLoadError(CausepairsError, ValueError):
    """A saved model directory that cannot be loaded safely."""


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def metadata_digest(metadata: Mapping) -> str:
    """SHA-256 of the metadata's canonical JSON, its own digest left out."""
    content = {k: v for k, v in metadata.items() if k != "metadata_sha256"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return sha256_hex(text.encode("utf-8"))


def major_minor(version: str) -> tuple[str, ...]:
    return tuple(str(version).split(".")[:2])


def read_checked_metadata(directory) -> tuple[dict, list[str]]:
    """``metadata.json`` of a model directory and the texts of its model files, in the order
    the metadata lists them, after checking the format version, the causepairs major.minor
    version, the metadata's own SHA-256 and each file's SHA-256.

    Raises
    ------
    ModelLoadError
        Missing or unreadable files, a hash that differs from the recorded one, or another
        format or causepairs version.
    """
    directory = Path(directory)
    meta_path = directory / METADATA_FILE
    if not meta_path.is_file():
        raise ModelLoadError(f"{directory}: not a model directory (no {METADATA_FILE})")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        files = dict(meta["model_files"])
        saved_version = str(meta["causepairs_version"])
        for key in ("feature_set", "params"):
            dict(meta[key])
        tuple(meta["columns"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{meta_path}: unreadable model metadata ({exc})") from None
    if meta.get("format_version") != MODEL_FORMAT_VERSION:
        raise ModelLoadError(f"{meta_path}: model format {meta.get('format_version')!r}, "
                             f"this causepairs reads format {MODEL_FORMAT_VERSION}")
    if major_minor(saved_version) != major_minor(__version__):
        raise ModelLoadError(f"{directory}: saved by causepairs {saved_version}, this is "
                             f"{__version__}; retrain the model (major.minor must match)")
    try:
        digest = metadata_digest(meta)
    except ValueError as exc:
        raise ModelLoadError(f"{meta_path}: unreadable model metadata ({exc})") from None
    if meta.get("metadata_sha256") != digest:
        raise ModelLoadError(f"{meta_path}: its SHA-256 differs from the one recorded in it "
                             "(file edited after saving); retrain, or save the model again")
    texts = []
    for name, expected in files.items():
        path = directory / name
        if Path(name).name != name or not path.is_file():
            raise ModelLoadError(f"{path}: model file missing")
        data = path.read_bytes()
        if sha256_hex(data) != expected:
            raise ModelLoadError(f"{path}: SHA-256 differs from the one in {METADATA_FILE} "
                                 "(file changed after saving)")
        texts.append(data.decode("utf-8"))
    return meta, texts
