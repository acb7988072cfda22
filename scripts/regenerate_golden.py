"""Write the golden feature values that pin every column to ``FEATURE_CODE_VERSION``.

``tests/golden/`` holds nine small pairs, one per (A type, B type) combination, in the
challenge's layout, and the values of the fast and the full feature sets on them (the transfer
set is a subset of the fast one, with the same folds; the fast set is not one of the full set's
values, whose cross-validated fits use 10 folds, not 5). ``tests/factory/test_full_set.py`` recomputes them and fails when a value
moves; after a deliberate change, bump ``FEATURE_CODE_VERSION`` in
``causepairs/factory/spec.py`` (say which values moved and why) and rerun::

    python scripts/regenerate_golden.py

The pairs are kept as they are unless ``--new-pairs`` is given, so that the values are always
compared on the same inputs (NumPy's generators may change their streams between versions).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
COMMAND = "python scripts/regenerate_golden.py"
TYPES = ("Numerical", "Categorical", "Binary")
SETS = ("fast", "full")
N = 80


def _variable(kind: str, driver: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A variable of the declared type that follows ``driver`` (so the pair is dependent)."""
    z = driver + 0.5 * rng.standard_normal(len(driver))
    if kind == "Numerical":
        return np.round(np.exp(0.5 * z) * 100.0, 2)
    if kind == "Categorical":   # four levels, unequal counts
        return np.searchsorted(np.quantile(z, [0.2, 0.5, 0.9]), z).astype(np.float64)
    return (z > 0.3).astype(np.float64)


def make_pairs(seed: int = 0):
    """Nine dependent pairs of ``N`` points, one per type combination, and their types."""
    from causepairs.io import Pair

    rng = np.random.default_rng(seed)
    pairs, rows = [], []
    for a_type in TYPES:
        for b_type in TYPES:
            driver = rng.standard_normal(N)
            a = _variable(a_type, driver, rng)
            # A non-monotone effect of a numerical cause, so fits differ by direction.
            b = _variable(b_type, driver ** 2 if a_type == "Numerical" else driver, rng)
            sid = f"{a_type[:3]}{b_type[:3]}"
            pairs.append(Pair(sid, a, b))
            rows.append((sid, a_type, b_type))
    publicinfo = pd.DataFrame(rows, columns=["SampleID", "A type", "B type"]).set_index(
        "SampleID")
    return pairs, publicinfo


def write_values(path: Path, features: pd.DataFrame) -> None:
    """One row per feature column, one column per pair; float32 at 9 significant digits (exact
    round trip), NaN as empty; gzip without a time stamp, so equal values give equal bytes."""
    text = features.T.rename_axis("column").to_csv(float_format="%.9g", lineterminator="\n")
    path.write_bytes(gzip.compress(text.encode("utf-8"), 9, mtime=0))


def read_values(path: Path) -> pd.DataFrame:
    """The golden values as a (pairs x columns) float32 frame."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table = pd.read_csv(handle, index_col="column", dtype={"column": str})
    return table.T.astype(np.float32)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--new-pairs", action="store_true",
                        help="draw the pairs again instead of reusing tests/golden/pairs.csv")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from causepairs import __version__
    from causepairs.factory.extract import ExtractionReport, extract_features
    from causepairs.factory.spec import FEATURE_CODE_VERSION, load_feature_set
    from causepairs.io import read_pairs, read_publicinfo, write_pairs, write_publicinfo

    GOLDEN.mkdir(parents=True, exist_ok=True)
    pairs_path, info_path = GOLDEN / "pairs.csv", GOLDEN / "publicinfo.csv"
    if args.new_pairs or not pairs_path.exists():
        pairs, publicinfo = make_pairs()
        write_pairs(pairs_path, pairs)
        write_publicinfo(info_path, publicinfo)
    pairs, publicinfo = read_pairs(pairs_path), read_publicinfo(info_path)

    sets = {}
    for name in SETS:
        feature_set = load_feature_set(name)
        report = ExtractionReport()
        features = extract_features(pairs, publicinfo, feature_set, report=report)
        if report.failed_cells or report.crashed or report.degenerate:
            print(f"{name}: refusing to write golden values from an incomplete extraction: "
                  f"{report.summary()}", file=sys.stderr)
            return 1
        write_values(GOLDEN / f"{name}.csv.gz", features)
        sets[name] = {"hash": feature_set.hash, "n_columns": len(feature_set)}
        print(f"wrote {GOLDEN.relative_to(ROOT)}/{name}.csv.gz: {len(pairs)} pairs x "
              f"{len(feature_set)} columns")
    meta = {"feature_code_version": FEATURE_CODE_VERSION, "causepairs_version": __version__,
            "n_pairs": len(pairs), "feature_sets": sets, "command": COMMAND}
    (GOLDEN / "golden.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"FEATURE_CODE_VERSION {FEATURE_CODE_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
