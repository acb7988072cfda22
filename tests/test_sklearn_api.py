"""The front door: lazy top-level exports, and the model and the feature transformer as
scikit-learn estimators (clone, pickle, Pipeline, cross_val_score, GridSearchCV, the
estimator checks that apply)."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import estimator_checks

import causepairs
from causepairs.errors import InvalidInputError
from causepairs.factory.extract import extract_features
from causepairs.factory.spec import _resolve, load_feature_set
from causepairs.io import Pair
from causepairs.metrics import bidirectional_auc
from causepairs.model import CausalDirectionModel
from causepairs.synth import GeneratorConfig, generate_pairs
from causepairs.transformers import PairFeatures, pairs_frame

ROOT = Path(__file__).resolve().parents[1]
SKLEARN_VERSION = tuple(int(part) for part in sklearn.__version__.split(".")[:2])
SPEC = {"name": "tiny", "family": [
    {"name": "size"}, {"name": "rank_dependence"},
    {"name": "regression", "in": ["raw"], "out": ["std"], "models": ["linear"],
     "measures": ["r2"]}]}
SMALL = {"n_estimators": 10, "min_child_samples": 3, "n_jobs": 1}


@pytest.fixture(scope="module")
def tiny():
    return _resolve(SPEC, "<test spec>")


@pytest.fixture(scope="module")
def data():
    pairs = generate_pairs(45, seed=3, config=GeneratorConfig(min_size=60, max_size=150))
    return pairs, pairs_frame(pairs), pairs.target["Target"].to_numpy()


@pytest.fixture(scope="module")
def features(tiny, data):
    pairs, _, y = data
    return extract_features(pairs, feature_set=tiny), y


# -- lazy exports ---------------------------------------------------------------------------

def _python(code: str, env=None) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_causepairs_loads_no_heavy_module():
    out = _python("import sys, causepairs; print(sorted(m for m in ('numpy', 'pandas', "
                  "'numba', 'lightgbm', 'sklearn') if m in sys.modules))")
    assert out.strip() == "[]"


def test_lazy_exports_resolve_to_their_modules():
    for name, module in causepairs._LAZY.items():
        value = getattr(causepairs, name)
        assert sys.modules[f"causepairs.{module}"].__dict__[name] is value
        assert name in dir(causepairs) and name in causepairs.__all__
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        causepairs.no_such_name  # noqa: B018


def test_importing_and_fitting_leave_the_environment_alone():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = _python(
        "import os, numpy as np, pandas as pd\n"
        "before = dict(os.environ)\n"
        "from causepairs.model import CausalDirectionModel\n"
        "from causepairs.factory.spec import _resolve\n"
        "imported = dict(os.environ) == before\n"
        f"fs = _resolve({SPEC!r}, 't')\n"
        "X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, len(fs))), "
        "columns=fs.columns)\n"
        "CausalDirectionModel(fs, n_estimators=3, n_jobs=1).fit(X, np.tile([-1, 0, 1, 1], 10))\n"
        "print(imported, dict(os.environ) == before)", env=env)
    assert out.split() == ["True", "True"]


# -- the model ------------------------------------------------------------------------------

def test_model_is_a_regressor_with_sklearn_parameters():
    model = CausalDirectionModel()
    assert is_regressor(model)
    assert model.get_params()["feature_set"] == "fast"  # loaded by fit, not by __init__
    assert set(model.get_params()) == {
        "feature_set", "formulation", "n_estimators", "learning_rate", "num_leaves",
        "min_child_samples", "subsample", "colsample_bytree", "reg_lambda", "n_jobs",
        "random_state", "monotone_families"}
    assert model.set_params(num_leaves=7) is model and model.num_leaves == 7
    with pytest.raises(ValueError, match="Invalid parameter"):
        model.set_params(leaves=7)
    with pytest.raises(NotFittedError):
        model.predict(np.zeros((1, 3)))
    if SKLEARN_VERSION >= (1, 6):
        assert model.__sklearn_tags__().input_tags.allow_nan


def test_default_feature_set_is_loaded_at_fit():
    fast = load_feature_set("fast")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, len(fast))).astype(np.float32), columns=fast.columns)
    model = CausalDirectionModel(**SMALL).fit(X, np.tile([-1, 0, 1], 10))
    assert model.feature_set == "fast" and model.feature_set_.hash == fast.hash
    assert model.predict(X).shape == (30,)


def test_score_is_the_bidirectional_auc(features, tiny):
    X, y = features
    model = CausalDirectionModel(tiny, **SMALL).fit(X, y)
    assert model.score(X, y) == bidirectional_auc(y, model.predict(X))


def test_clone_and_pickle(features, tiny):
    X, y = features
    model = CausalDirectionModel(tiny, **SMALL)
    twin = clone(model)
    assert twin is not model and twin.get_params() == model.get_params()
    fitted = model.fit(X, y)
    again = pickle.loads(pickle.dumps(fitted))
    assert again.feature_set_.hash == tiny.hash
    assert np.array_equal(again.predict(X), fitted.predict(X))
    # Refitting gives the same model bit for bit, and fit leaves the parameters as set.
    params = clone(model).get_params()
    assert np.array_equal(clone(model).fit(X, y).predict(X), fitted.predict(X))
    assert model.get_params() == params


def test_saved_model_still_loads_after_a_pickle_round_trip(features, tiny, tmp_path):
    X, y = features
    model = pickle.loads(pickle.dumps(CausalDirectionModel(tiny, **SMALL).fit(X, y)))
    loaded = CausalDirectionModel.load(model.save(tmp_path / "m"))
    assert np.array_equal(loaded.predict(X), model.predict(X))


def test_grid_search_and_cross_val_score_on_features(features, tiny):
    X, y = features
    search = GridSearchCV(CausalDirectionModel(tiny, **SMALL), {"num_leaves": [3, 7]},
                          cv=3).fit(X, y)
    assert search.best_params_["num_leaves"] in (3, 7)
    scores = cross_val_score(CausalDirectionModel(tiny, **SMALL), X, y, cv=3)
    assert ((0 <= scores) & (scores <= 1)).all()


# -- the transformer ------------------------------------------------------------------------

def test_pair_features_equal_extract_features(tiny, data, features):
    pairs, frame, _ = data
    transformer = PairFeatures(tiny).fit(frame)
    out = transformer.transform(frame)
    expected, _ = features
    pd.testing.assert_frame_equal(out, expected)
    assert list(transformer.get_feature_names_out()) == list(tiny.columns)
    # Generated pairs directly, and a frame with a SampleID column, give the same rows.
    pd.testing.assert_frame_equal(transformer.transform(pairs), expected)
    pd.testing.assert_frame_equal(transformer.transform(frame.reset_index()), expected)


def test_pairs_frame_from_pairs_and_publicinfo(data):
    pairs, frame, _ = data
    listed = [Pair(s, a, b) for s, a, b in zip(pairs.sample_ids, pairs.a, pairs.b)]
    again = pairs_frame(listed, pairs.publicinfo)
    assert list(again.index) == list(frame.index)
    assert (again[["A type", "B type"]] == frame[["A type", "B type"]]).all().all()
    with pytest.raises(InvalidInputError, match="publicinfo"):
        pairs_frame(listed)
    with pytest.raises(InvalidInputError, match="pairs_frame builds one"):
        PairFeatures("fast").fit().transform(listed)
    with pytest.raises(InvalidInputError, match="no column 'B type'"):
        PairFeatures("fast").fit().transform(frame.drop(columns="B type"))
    bad = frame.copy()
    bad.iloc[1, bad.columns.get_loc("A")] = "1 2 x"
    with pytest.raises(InvalidInputError, match=f"SampleID {frame.index[1]}: A must hold a 1-D"):
        PairFeatures("fast").fit().transform(bad)
    with_nan = frame["A"].iloc[1].copy()
    with_nan[0] = np.nan
    bad.iloc[1, bad.columns.get_loc("A")] = with_nan
    with pytest.raises(ValueError, match=f"{frame.index[1]}.*NaN"):
        PairFeatures("fast").fit().transform(bad)


def test_pipeline_of_pair_features_and_model(tiny, data, features):
    _, frame, y = data
    pipe = make_pipeline(PairFeatures(tiny), CausalDirectionModel(tiny, **SMALL))
    scores = cross_val_score(pipe, frame, y, cv=3)
    X, _ = features
    folds = cross_val_score(CausalDirectionModel(tiny, **SMALL), X, y, cv=3)
    assert np.array_equal(scores, folds)  # features depend on each pair alone: no leakage
    fitted = pickle.loads(pickle.dumps(pipe.fit(frame, y)))
    assert np.array_equal(fitted.predict(frame), pipe.predict(frame))


def test_readme_pipeline_example_runs():
    text = (ROOT / "README.md").read_text()
    section = text.split("## As a library", 1)[1].split("\n## ", 1)[0]
    code = next(block for block in re.findall(r"```python\n(.*?)```", section, re.S)
                if "cross_val_score" in block)
    printed = []
    exec(compile(code, "README.md", "exec"), {"print": printed.append})
    (scores,) = printed
    assert scores.shape == (3,) and ((0 <= scores) & (scores <= 1)).all()


# -- scikit-learn's estimator checks --------------------------------------------------------

#: Why: the model reads only its feature set's columns, in order, because it mirrors every
#: row through the set's A<->B column mapping; the checks fit on random matrices of their own
#: width, which the model refuses (ValueError naming the columns).
_COLUMNS = ("X must hold the feature set's columns in order (mirror mapping): random "
            "matrices refused")
#: Why: these checks also want scikit-learn's own wording of the error ("0 sample(s)",
#: "Complex data not supported"); the model names the missing feature-set columns first.
_WORDING = ("the model refuses this input, but names the feature set's columns, not the "
            "check's words")
MODEL_EXPECTED_FAILURES = {name: _COLUMNS for name in (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_pickle", "check_f_contiguous_array_estimator",
    "check_regressors_train", "check_regressor_data_not_an_array",
    "check_regressors_no_decision_function", "check_supervised_y_2d", "check_regressors_int",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted",
    "check_n_features_in", "check_fit2d_predict1d")}
MODEL_EXPECTED_FAILURES.update({name: _WORDING for name in (
    "check_complex_data", "check_estimators_empty_data_messages", "check_fit2d_1sample",
    "check_fit2d_1feature")})
# What these checks cover is tested above on real feature rows: pickle and clone
# (test_clone_and_pickle: same predictions, fit idempotent, parameters not overwritten),
# Pipeline and cross-validation, score.

#: The transformer takes pairs (rows of arrays and type strings), so scikit-learn runs no
#: data check on it (its tags say it takes no 2-D numeric array); these API checks apply to
#: both estimators.
API_CHECKS = ("check_no_attributes_set_in_init", "check_parameters_default_constructible",
              "check_get_params_invariance", "check_set_params",
              "check_do_not_raise_errors_in_init_or_set_params", "check_estimator_repr",
              "check_mixin_order", "check_valid_tag_types", "check_estimator_cloneable")


def _expected_failures(estimator):
    return MODEL_EXPECTED_FAILURES if isinstance(estimator, CausalDirectionModel) else {}


if hasattr(estimator_checks, "parametrize_with_checks") and SKLEARN_VERSION >= (1, 6):
    _ESTIMATORS = [CausalDirectionModel(_resolve(SPEC, "<test spec>"), **SMALL),
                   PairFeatures(_resolve(SPEC, "<test spec>"))]

    with warnings.catch_warnings():
        # Collecting the checks warns that there are no data checks for the transformer's
        # input (see API_CHECKS).
        warnings.filterwarnings("ignore", message="Can't test estimator PairFeatures")
        _with_checks = estimator_checks.parametrize_with_checks(
            _ESTIMATORS, expected_failed_checks=_expected_failures)

    @_with_checks
    def test_sklearn_estimator_checks(estimator, check):
        check(estimator)
else:  # pragma: no cover (scikit-learn < 1.6: no expected_failed_checks)
    def test_sklearn_estimator_checks():
        pytest.skip("scikit-learn < 1.6 has no expected_failed_checks")


@pytest.mark.parametrize("estimator", [CausalDirectionModel, PairFeatures],
                         ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("check", API_CHECKS)
def test_sklearn_api_checks(estimator, check, tiny):
    function = getattr(estimator_checks, check, None)
    if function is None:  # pragma: no cover (older scikit-learn)
        pytest.skip(f"{check} is not in this scikit-learn")
    function(estimator.__name__, estimator(tiny))
