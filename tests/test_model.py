"""The LightGBM direction model: antisymmetry, learning, determinism and safe persistence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from causepairs.errors import CausepairsError
from causepairs.factory.extract import extract_features
from causepairs.factory.spec import _resolve
from causepairs.metrics import bidirectional_auc
from causepairs.model import (FORMULATIONS, PARAMETERS, CausalDirectionModel, cross_validate_model,
                              train_model)
from causepairs.synth import GeneratorConfig, generate_pairs

SPEC = {"name": "tiny", "family": [
    {"name": "size"}, {"name": "rank_dependence"}, {"name": "causal"},
    {"name": "regression", "in": ["raw"], "out": ["std"], "models": ["linear", "knn15"],
     "measures": ["r2", "resid_hsic"]}]}
SMALL = {"n_estimators": 30, "min_child_samples": 5, "n_jobs": 2}


@pytest.fixture(scope="module")
def feature_set():
    return _resolve(SPEC, "<test spec>")


@pytest.fixture(scope="module")
def data(feature_set):
    """Real features of 120 generated pairs and their targets."""
    pairs = generate_pairs(120, seed=0, config=GeneratorConfig(min_size=100, max_size=300))
    X = extract_features(pairs, feature_set=feature_set)
    y = pd.Series(pairs.target["Target"].to_numpy(), index=X.index, name="Target")
    return X, y


@pytest.fixture(scope="module")
def fitted(feature_set, data):
    X, y = data
    return {f: CausalDirectionModel(feature_set, f, **SMALL).fit(X, y) for f in FORMULATIONS}


def _planted(feature_set, X, y, seed=0):
    """X with the target written, plus noise, into one ``diff`` column (mirror-consistent:
    swapping A and B negates both the column and the target)."""
    column = next(c for c in feature_set.columns if c.startswith("diff|"))
    rng = np.random.default_rng(seed)
    planted = X.copy()
    planted[column] = (y.to_numpy() + rng.normal(0, 0.7, len(y))).astype(np.float32)
    return planted


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_predictions_are_exactly_antisymmetric(feature_set, data, fitted, formulation):
    X, _ = data
    model = fitted[formulation]
    score = model.predict(X)
    mirrored = pd.DataFrame(feature_set.mirror(X.to_numpy()), index=X.index, columns=X.columns)
    assert score.dtype == np.float64 and score.shape == (len(X),)
    assert np.array_equal(model.predict(mirrored), -score)
    assert np.array_equal(model.predict(feature_set.mirror(X.to_numpy())), -score)
    assert np.ptp(score) > 0


def test_nan_features_are_accepted(feature_set, data, fitted):
    X, y = data
    holey = X.copy()
    holey.iloc[::3, ::2] = np.nan
    model = CausalDirectionModel(feature_set, **SMALL).fit(holey, y)
    score = model.predict(holey)
    assert np.isfinite(score).all()
    assert np.array_equal(model.predict(feature_set.mirror(holey.to_numpy())), -score)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_cross_validation_learns_a_planted_signal(feature_set, data, formulation):
    X, y = data
    planted = _planted(feature_set, X, y)
    result = cross_validate_model({"feature_set": feature_set, "formulation": formulation,
                                   **SMALL}, planted, y, n_folds=4, seed=1)
    assert result["oof_score"].shape == (len(X),) and np.isfinite(result["oof_score"]).all()
    assert sorted(set(result["fold"])) == [0, 1, 2, 3]
    assert result["auc"] > 0.8
    # Labels shuffled away from the features: nothing to learn.
    shuffled = pd.Series(np.random.default_rng(3).permutation(y.to_numpy()), index=y.index)
    null = cross_validate_model({"feature_set": feature_set, "formulation": formulation,
                                 **SMALL}, planted, shuffled, n_folds=4, seed=1)
    assert null["auc"] < result["auc"] - 0.2


def test_grouped_cross_validation_keeps_groups_together(feature_set, data):
    X, y = data
    groups = np.arange(len(X)) % 6
    model = CausalDirectionModel(feature_set, **SMALL)
    result = cross_validate_model(model, X, y, groups=groups, n_folds=3)
    assert result["grouped"] and result["n_splits"] == 3
    for g in range(6):
        assert len(set(result["fold"][groups == g])) == 1
    assert 0.0 <= result["auc"] <= 1.0


def test_fit_is_deterministic(feature_set, data):
    X, y = data
    params = dict(SMALL, subsample=0.7, colsample_bytree=0.5, random_state=7)
    first = CausalDirectionModel(feature_set, "binary_pair", **params).fit(X, y).predict(X)
    second = CausalDirectionModel(feature_set, "binary_pair", **params).fit(X, y).predict(X)
    assert np.array_equal(first, second)


def test_two_part_learns_the_direction_from_causal_pairs_only(feature_set, data, fitted):
    X, y = data
    two_part = fitted["two_part"]
    # Its direction booster is exactly the regression model of the causal pairs alone: the
    # confounded and independent pairs never reach it.
    causal = (y != 0).to_numpy()
    alone = CausalDirectionModel(feature_set, "regression", **SMALL).fit(X[causal], y[causal])
    assert two_part.boosters_[1].model_to_string() == alone.boosters_[0].model_to_string()
    # score = link * way, with link a probability: the sign is the direction part's own.
    score = two_part.predict(X)
    assert np.array_equal(np.sign(score), np.sign(alone.predict(X)))
    link = two_part.boosters_[0].predict(X.to_numpy(np.float64))
    assert ((link > 0) & (link < 1)).all()
    with pytest.raises(ValueError, match="needs causal pairs"):
        CausalDirectionModel(feature_set, "two_part", **SMALL).fit(X, y * 0)


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_save_load_round_trip_is_bitwise(feature_set, data, fitted, formulation, tmp_path):
    X, y = data
    model = fitted[formulation]
    model.save(tmp_path / "m", cv_scores={"auc": 0.7})
    loaded = CausalDirectionModel.load(tmp_path / "m", feature_set=feature_set)
    assert np.array_equal(loaded.predict(X), model.predict(X))
    rebuilt = CausalDirectionModel.load(tmp_path / "m")  # feature set from the saved spec
    assert rebuilt.feature_set.hash == feature_set.hash
    assert np.array_equal(rebuilt.predict(X), model.predict(X))

    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    assert meta["formulation"] == formulation
    assert meta["columns"] == list(feature_set.columns)
    assert meta["feature_set"]["hash"] == feature_set.hash
    assert meta["training"] == {"n_pairs": len(y), "class_counts": {
        str(v): int((y == v).sum()) for v in (-1, 0, 1)}}
    assert meta["cv_scores"] == {"auc": 0.7}
    expected = (["model-0.txt", "model-1.txt"] if formulation in ("binary_pair", "two_part")
                else ["model.txt"])
    assert sorted(meta["model_files"]) == expected
    assert loaded.get_params()["n_estimators"] == SMALL["n_estimators"]


def test_tampered_model_file_is_refused(fitted, tmp_path):
    fitted["regression"].save(tmp_path)
    path = tmp_path / "model.txt"
    text = path.read_text()
    path.write_text(text.replace("shrinkage=", "shrinkage=1", 1))
    with pytest.raises(CausepairsError, match="model.txt") as info:
        CausalDirectionModel.load(tmp_path)
    assert "\n" not in str(info.value)
    path.unlink()
    with pytest.raises(CausepairsError, match="missing"):
        CausalDirectionModel.load(tmp_path)


def test_mismatched_feature_set_is_refused(fitted, tmp_path):
    fitted["multiclass"].save(tmp_path)
    other = _resolve({**SPEC, "name": "other", "family": SPEC["family"][:3]}, "<other>")
    with pytest.raises(CausepairsError, match="'tiny'.*'other'") as info:
        CausalDirectionModel.load(tmp_path, feature_set=other)
    assert fitted["multiclass"].feature_set.hash in str(info.value)
    assert other.hash in str(info.value)


def test_other_version_is_refused(fitted, tmp_path):
    fitted["regression"].save(tmp_path)
    meta_path = tmp_path / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["causepairs_version"] = "99.0.0"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(CausepairsError, match="99.0.0"):
        CausalDirectionModel.load(tmp_path)


def test_wrong_columns_and_targets_are_refused(feature_set, data, fitted):
    X, y = data
    model = CausalDirectionModel(feature_set, **SMALL)
    dropped = X.columns[3]
    with pytest.raises(ValueError, match=f"missing column '{dropped}'"):
        model.fit(X.drop(columns=dropped), y)
    with pytest.raises(ValueError, match="unexpected column 'extra'"):
        model.fit(X.assign(extra=np.float32(0)), y)
    with pytest.raises(ValueError, match="out of order"):
        model.fit(X[list(reversed(X.columns))], y)
    # A column without NaN: pandas refuses to cast NaN to int64 before the model sees it.
    whole = next(c for c in X.columns if X[c].notna().all())
    with pytest.raises(ValueError, match="float32 or float64"):
        model.fit(X.astype({whole: np.int64}), y)
    with pytest.raises(ValueError, match="-1, 0 and 1"):
        model.fit(X, y * 2)
    with pytest.raises(ValueError, match="formulation"):
        CausalDirectionModel(feature_set, "ranking").fit(X, y)
    with pytest.raises(ValueError, match="missing column"):
        fitted["regression"].predict(X.drop(columns=dropped))
    with pytest.raises(ValueError, match="not fitted"):
        model.predict(X)


def test_training_score_beats_a_permuted_label_model(feature_set, data):
    # Real features, real labels: the fit must at least carry label information.
    X, y = data
    real = CausalDirectionModel(feature_set, **SMALL).fit(X, y)
    permuted = CausalDirectionModel(feature_set, **SMALL).fit(
        X, np.random.default_rng(0).permutation(y.to_numpy()))
    assert bidirectional_auc(y, real.predict(X)) > bidirectional_auc(y, permuted.predict(X)) + 0.1


@pytest.mark.parametrize("formulation", FORMULATIONS)
def test_feature_importances_find_the_planted_column(feature_set, data, formulation):
    X, y = data
    planted = _planted(feature_set, X, y)
    column = next(c for c in feature_set.columns if c.startswith("diff|"))
    model = CausalDirectionModel(feature_set, formulation, **SMALL).fit(planted, y)
    gain = model.feature_importances("gain")
    assert list(gain.index) == list(feature_set.columns) and (gain >= 0).all()
    assert gain.idxmax() == column
    split = model.feature_importances("split")
    assert split.sum() > 0 and split[column] > 0
    with pytest.raises(ValueError, match="gain"):
        model.feature_importances("cover")


def test_parameters_are_defined_once_by_the_constructor():
    # The saved, checked and pipeline-settable parameters are the constructor's, in its order.
    import inspect

    signature = list(inspect.signature(CausalDirectionModel.__init__).parameters)
    assert list(PARAMETERS) == [n for n in signature if n not in ("self", "feature_set")]
    assert set(CausalDirectionModel().get_params()) == {"feature_set", *PARAMETERS}


def test_cross_validate_model_accepts_the_former_n_splits(feature_set, data):
    X, y = data
    params = {"feature_set": feature_set, **SMALL}
    with pytest.warns(DeprecationWarning, match="n_folds"):
        old = cross_validate_model(params, X, y, n_splits=3)
    new = cross_validate_model(params, X, y, n_folds=3)
    assert np.array_equal(old["oof_score"], new["oof_score"])


def test_train_model_records_cv_and_details(feature_set, data, tmp_path):
    X, y = data
    target = pd.DataFrame({"Target": y, "Details": np.where(y == 0, 3, np.where(y > 0, 1, 2))},
                          index=y.index)
    lines = []
    trained = train_model(X, target, feature_set, params=SMALL, folds=3,
                          training={"pairs_file": "p.csv"}, out=tmp_path / "m", log=lines.append)
    assert len(lines) == 1 and lines[0].startswith("cross-validated bidirectional_auc=")
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    assert meta["cv_scores"]["n_splits"] == 3 and len(meta["cv_scores"]["fold_auc"]) == 3
    assert meta["training"]["pairs_file"] == "p.csv"
    assert sum(meta["training"]["details_counts"].values()) == len(y)
    # The same model as fitting it by hand: train_model adds nothing to the fit.
    by_hand = CausalDirectionModel(feature_set, **SMALL).fit(X, y)
    assert np.array_equal(trained.model.predict(X), by_hand.predict(X))
    with pytest.raises(ValueError, match="not both"):
        train_model(X, target, feature_set, folds=3, cv_scores={"bidirectional_auc": 0.5})


# ------------------------------------------------------------------ monotone causal scores

def _score_along(model, X, column, grid):
    """The model's score on every row of X with the ``diff`` column ``column`` set to each
    value of ``grid`` (a diff column is its own mirror, negated)."""
    scores = []
    for value in grid:
        probe = X.copy()
        probe[column] = np.float32(value)
        if model.formulation == "two_part":
            # The constraint is on the direction part (the sign of link x way): the link
            # probability is symmetric and free.
            rows = probe.to_numpy(np.float64)
            way = model.boosters_[1]
            mirrored = model.feature_set_.mirror(rows)
            scores.append((way.predict(rows) - way.predict(mirrored)) / 2)
        else:
            scores.append(model.predict(probe))
    return np.array(scores)              # (grid, rows)


@pytest.mark.parametrize("formulation", ["regression", "two_part"])
def test_monotone_families_make_the_score_follow_each_causal_score_one_way(
        feature_set, data, formulation):
    X, y = data
    planted = _planted(feature_set, X, y)
    planted_column = next(c for c in feature_set.columns if c.startswith("diff|"))
    model = CausalDirectionModel(feature_set, formulation, monotone_families=["causal"],
                                 **SMALL).fit(planted, y)
    causal_diffs = [feature_set.columns[j] for j in feature_set.family_columns(["causal"], "diff")]
    assert planted_column in causal_diffs
    assert set(model.monotone_signs_) <= set(causal_diffs) and model.monotone_signs_
    assert model.monotone_signs_[planted_column] == 1      # the target was planted with +
    for column, sign in model.monotone_signs_.items():
        values = planted[column].to_numpy()
        grid = np.quantile(values[np.isfinite(values)], np.linspace(0, 1, 9))
        steps = np.diff(_score_along(model, planted.iloc[:40], column, grid), axis=0) * sign
        assert (steps >= -1e-12).all(), column
    # Still exactly antisymmetric.
    score = model.predict(planted)
    assert np.array_equal(model.predict(feature_set.mirror(planted.to_numpy())), -score)
    # Unconstrained, the same data gives a score that is not monotone in some causal score.
    free = CausalDirectionModel(feature_set, formulation, **SMALL).fit(planted, y)
    assert free.monotone_signs_ == {}
    assert any((np.diff(_score_along(free, planted.iloc[:40], c, np.quantile(
        planted[c].dropna(), np.linspace(0, 1, 9))), axis=0) * s < -1e-9).any()
        for c, s in model.monotone_signs_.items())


def test_monotone_signs_are_saved_and_older_models_load_without_them(feature_set, data,
                                                                     tmp_path):
    X, y = data
    model = CausalDirectionModel(feature_set, monotone_families=("causal",), **SMALL).fit(X, y)
    model.save(tmp_path / "m")
    loaded = CausalDirectionModel.load(tmp_path / "m")
    assert loaded.monotone_signs_ == model.monotone_signs_
    assert loaded.get_params()["monotone_families"] == ("causal",)
    assert np.array_equal(loaded.predict(X), model.predict(X))
    # A model saved before the parameter existed has no constraints and loads as such.
    meta_path = tmp_path / "m" / "metadata.json"
    meta = json.loads(meta_path.read_text())
    del meta["params"]["monotone_families"], meta["monotone_signs"]
    from causepairs.model_dir import metadata_digest
    meta.pop("metadata_sha256")
    meta["metadata_sha256"] = metadata_digest(meta)
    meta_path.write_text(json.dumps(meta))
    old = CausalDirectionModel.load(tmp_path / "m")
    assert old.monotone_families == () and old.monotone_signs_ == {}


@pytest.mark.parametrize("params, message", [
    ({"monotone_families": ["no_such_family"]}, "has no family 'no_such_family'"),
    ({"monotone_families": "causal"}, "monotone_families must be a list"),
    ({"monotone_families": ["causal", "causal"]}, "monotone_families must be a list"),
    ({"monotone_families": ["causal"], "formulation": "multiclass"}, "needs the formulation"),
])
def test_monotone_families_are_checked(feature_set, data, params, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        CausalDirectionModel(feature_set, **{**SMALL, **params}).fit(X, y)
