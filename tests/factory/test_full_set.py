"""The full feature set on small pairs of all nine type combinations, against golden values.

A cell whose computation raises only becomes NaN plus a warning in a batch (so one bad cell
never costs a run), which would let a broken kernel hide in the ~13,000 columns of the full
set: here any failed cell is an error. And every value of the fast and the full sets is
compared with the golden values in ``tests/golden/`` written under the current
``FEATURE_CODE_VERSION``: a change that moves a value must bump the version (saved features and
models then refuse to mix with new ones) and regenerate them with
``python scripts/regenerate_golden.py``. The transfer set is pinned through the fast set.

The cost is compiling every kernel once (Numba caches them on disk afterwards).
"""

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from causepairs.factory.extract import ExtractionReport, extract_features
from causepairs.factory.spec import FEATURE_CODE_VERSION, load_feature_set
from causepairs.io import read_pairs, read_publicinfo
from causepairs.synth.adversarial import TYPES

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
COMMAND = "python scripts/regenerate_golden.py"
#: Features are float32; the tolerance allows for a different libm or compiler on another
#: machine (a few units in the last place), far below what a change of method moves.
RTOL, ATOL = 1e-5, 1e-6
GOLDEN_SETS = ("fast", "full")


@pytest.fixture(scope="module")
def golden_pairs():
    return read_pairs(GOLDEN / "pairs.csv"), read_publicinfo(GOLDEN / "publicinfo.csv")


@pytest.fixture(scope="module")
def computed(golden_pairs):
    """Each golden set's features on the golden pairs, and its extraction report."""
    pairs, publicinfo = golden_pairs
    out = {}
    for name in GOLDEN_SETS:
        report = ExtractionReport()
        out[name] = extract_features(pairs, publicinfo, name, report=report), report
    return out


def read_golden_values(name: str) -> pd.DataFrame:
    with gzip.open(GOLDEN / f"{name}.csv.gz", "rt", encoding="utf-8") as handle:
        table = pd.read_csv(handle, index_col="column", dtype={"column": str})
    return table.T.astype(np.float32)


def moved_values(golden: pd.DataFrame, now: pd.DataFrame) -> str | None:
    """Why ``now`` does not reproduce ``golden``, or None."""
    added = sorted(set(now.columns) - set(golden.columns))
    removed = sorted(set(golden.columns) - set(now.columns))
    if added or removed or list(golden.index) != list(now.index):
        first = (added or removed or ["(the pairs)"])[0]
        return (f"the golden values do not cover the same pairs and columns ({len(added)} "
                f"columns added, {len(removed)} removed, e.g. {first}): regenerate with "
                f"{COMMAND}")
    old = golden.to_numpy()
    new = now[golden.columns].to_numpy()
    same_nan = np.isnan(old) == np.isnan(new)
    close = np.isclose(old, new, rtol=RTOL, atol=ATOL) | (np.isnan(old) & np.isnan(new))
    bad = ~(same_nan & close)
    if not bad.any():
        return None
    row, col = np.argwhere(bad)[0]
    return (f"{int(bad.sum())} feature values moved, in {int(bad.any(axis=0).sum())} columns "
            f"(first: {golden.columns[col]} of pair {golden.index[row]}: golden "
            f"{old[row, col]!r}, now {new[row, col]!r}); if the change is meant, bump "
            f"FEATURE_CODE_VERSION in causepairs/factory/spec.py (saying which values moved "
            f"and why) and regenerate with {COMMAND}")


def test_the_golden_pairs_cover_all_nine_type_combinations(golden_pairs):
    pairs, publicinfo = golden_pairs
    combos = set(zip(publicinfo["A type"], publicinfo["B type"]))
    assert combos == {(a, b) for a in TYPES for b in TYPES}
    assert len(pairs) == 9


def test_the_full_set_computes_every_cell_on_every_type_combination(computed):
    features, report = computed["full"]
    assert report.failed_cells == 0, report.summary()
    assert not report.degenerate and not report.crashed, report.summary()
    assert not report.retyped, report.summary()
    assert features.shape == (9, len(load_feature_set("full")))
    # No column is undefined on every pair: each is computed for some pair of types.
    dead = features.columns[features.isna().all()]
    assert len(dead) == 0, f"{len(dead)} columns are NaN on all nine pairs, e.g. {dead[0]}"


@pytest.mark.parametrize("name", GOLDEN_SETS)
def test_values_equal_the_golden_values_of_this_feature_code_version(computed, name):
    meta = json.loads((GOLDEN / "golden.json").read_text(encoding="utf-8"))
    assert meta["feature_code_version"] == FEATURE_CODE_VERSION, (
        f"the golden values were written under FEATURE_CODE_VERSION "
        f"{meta['feature_code_version']}, the code is at {FEATURE_CODE_VERSION}: regenerate "
        f"them with {COMMAND}")
    features, _ = computed[name]
    problem = moved_values(read_golden_values(name), features)
    assert problem is None, problem


def test_a_moved_value_asks_for_a_version_bump(computed):
    features, _ = computed["fast"]
    golden = features.copy()
    column = golden.columns[np.isfinite(golden.iloc[0].to_numpy())][5]
    golden.loc[golden.index[0], column] *= np.float32(1.001)
    assert "bump FEATURE_CODE_VERSION" in moved_values(golden, features)
    nan_moved = features.copy()
    nan_moved.loc[nan_moved.index[0], column] = np.nan
    assert column in moved_values(nan_moved, features)
    assert "regenerate" in moved_values(features.drop(columns=column), features)
    assert moved_values(features, features) is None


def test_the_transfer_set_computes_the_fast_sets_values(golden_pairs, computed):
    # The same columns under the same folds have the same values, so the fast set's golden
    # values pin the transfer set too. (Not so between fast and full: a cross-validated fit's
    # column depends on the set's n_folds, 5 for fast and transfer, 10 for full.)
    pairs, publicinfo = golden_pairs
    transfer = extract_features(pairs, publicinfo, "transfer")
    fast, _ = computed["fast"]
    assert np.array_equal(transfer.to_numpy(), fast[transfer.columns].to_numpy(), equal_nan=True)
