"""Three-class calibration: exact antisymmetry, sums to one, fit quality, JSON round trip."""

import json

import numpy as np
import pytest

from causepairs.calibration import (Calibration, CalibrationLoadError, brier_score,
                                    reliability_table, write_calibration_report)


def labelled_scores(n=600, seed=0):
    rng = np.random.default_rng(seed)
    target = rng.choice([-1, 0, 1], size=n, p=[0.25, 0.5, 0.25])
    return 0.5 * target + rng.normal(0.0, 0.35, size=n), target


@pytest.fixture(scope="module")
def fitted():
    scores, target = labelled_scores()
    return Calibration.fit(scores, target, model_digest="d" * 64, source="test"), scores, target


def test_swapping_the_pair_swaps_the_directions_bit_for_bit(fitted):
    calibration, scores, _ = fitted
    rng = np.random.default_rng(1)
    s = np.concatenate([scores, rng.normal(0, 50, 200), [0.0, -0.0, 1e-300, 1e300, -7.25]])
    forward, backward = calibration.probabilities(s), calibration.probabilities(-s)
    assert np.array_equal(forward[:, 0], backward[:, 1])
    assert np.array_equal(forward[:, 1], backward[:, 0])
    assert np.array_equal(forward[:, 2], backward[:, 2])
    assert np.all(np.isfinite(forward)) and np.all(forward >= 0)
    np.testing.assert_allclose(forward.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # A score of 0 says nothing about the direction: the two directions are equal.
    zero = calibration.probabilities([0.0])[0]
    assert zero[0] == zero[1]


def test_nan_score_gives_a_nan_row(fitted):
    assert np.isnan(fitted[0].probabilities([np.nan])).all()


def test_fit_is_informative_and_repeatable(fitted):
    calibration, scores, target = fitted
    info = calibration.fit_info
    assert info["n_pairs"] == len(target) and info["n_folds"] == 5
    # The scores carry the direction: calibrated probabilities beat the class frequencies.
    assert info["brier"] < info["brier_class_frequencies"] - 0.1
    assert info["log_loss"] < info["log_loss_class_frequencies"]
    # A larger positive score means a more probable X->Y.
    p = calibration.probabilities(np.array([0.0, 0.3, 0.6, 1.0]))
    assert np.all(np.diff(p[:, 0]) > 0) and np.all(np.diff(p[:, 1]) < 0)
    again = Calibration.fit(scores, target, model_digest="d" * 64, source="test")
    assert np.array_equal(again.coefficients, calibration.coefficients)
    assert np.array_equal(again.cross_fitted_, calibration.cross_fitted_)
    assert brier_score(calibration.cross_fitted_, target) == info["brier"]


def test_reliability_of_a_calibrated_map_is_close_to_the_diagonal(fitted):
    calibration, _, target = fitted
    table = reliability_table(calibration.cross_fitted_, target, n_bins=5)
    big = table[table["n"] >= 60]
    assert len(big) >= 5
    assert np.abs(big["mean predicted"] - big["observed"]).max() < 0.15


def test_save_and_load_round_trip_bitwise(fitted, tmp_path):
    calibration, scores, _ = fitted
    path = calibration.save(tmp_path / "calibration.json")
    loaded = Calibration.load(tmp_path, model_digest="d" * 64)
    assert np.array_equal(loaded.probabilities(scores), calibration.probabilities(scores))
    assert loaded.fit_info == json.loads(json.dumps(calibration.fit_info))
    # Saving again writes the same bytes.
    first = path.read_bytes()
    loaded.save(path)
    assert path.read_bytes() == first


def test_load_refuses_another_model_an_edit_and_bad_numbers(fitted, tmp_path):
    calibration, _, _ = fitted
    path = calibration.save(tmp_path / "calibration.json")
    with pytest.raises(CalibrationLoadError, match="not this model"):
        Calibration.load(path, model_digest="e" * 64)
    content = json.loads(path.read_text())
    content["coefficients"]["odd"] += 1.0
    path.write_text(json.dumps(content))
    with pytest.raises(CalibrationLoadError, match="edited after saving"):
        Calibration.load(path)
    from causepairs.calibration import _digest

    content["scale"] = -1.0
    content["calibration_sha256"] = _digest(content)
    path.write_text(json.dumps(content))
    with pytest.raises(CalibrationLoadError, match="finite numbers"):
        Calibration.load(path)
    path.write_text("{not json")
    with pytest.raises(CalibrationLoadError, match="unreadable"):
        Calibration.load(path)
    with pytest.raises(CalibrationLoadError, match="no calibration file"):
        Calibration.load(tmp_path / "missing.json")


def test_fit_refuses_too_few_pairs_or_one_kind_of_pair():
    scores, target = labelled_scores(n=20)
    with pytest.raises(ValueError, match="at least 30 pairs"):
        Calibration.fit(scores, target)
    scores, target = labelled_scores(n=100)
    with pytest.raises(ValueError, match="non-causal pairs"):
        Calibration.fit(scores[target != 0], target[target != 0])
    with pytest.raises(ValueError, match="finite"):
        Calibration.fit(np.where(target == 0, np.nan, scores), target)


def test_report_has_brier_score_and_reliability_plot(fitted, tmp_path):
    calibration, _, target = fitted
    paths = write_calibration_report(calibration, target, tmp_path / "report")
    text = paths["markdown"].read_text()
    assert "Brier score (cross-fitted)" in text and "reliability.png" in text
    assert paths["reliability"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads(paths["json"].read_text())
    assert report["calibration"]["Brier score (cross-fitted)"] == pytest.approx(
        calibration.fit_info["brier"])
