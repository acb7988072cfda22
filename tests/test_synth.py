"""Tests of the synthetic pair generator (causepairs.synth)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from causepairs.synth import (
    CAUSE_DISTRIBUTIONS, MECHANISM_FAMILIES, MECHANISMS, NOISE_DISTRIBUTIONS, NOISE_MODELS,
    RECIPE_COLUMNS, GeneratorConfig, SyntheticPairs, generate_pairs,
)
from causepairs.synth.mechanisms import evaluate_mechanism
from causepairs.synth.variables import (
    coarsen, discretise, draw_categorical_cause, replace_marginal,
)

N_LARGE = 1000
TYPES = {"Numerical", "Categorical", "Binary"}


@pytest.fixture(scope="module")
def large_set() -> SyntheticPairs:
    """1,000 pairs with default settings, shared by the statistical checks."""
    return generate_pairs(N_LARGE, seed=2013, n_jobs=2)


def binned_mutual_information(x: np.ndarray, y: np.ndarray, bins: int = 8) -> float:
    """Plug-in mutual information (nats) after cutting each variable at its quantiles."""
    def codes(values: np.ndarray) -> np.ndarray:
        distinct, position = np.unique(values, return_inverse=True)
        if distinct.size <= bins:
            return position.ravel()
        edges = np.quantile(values, np.linspace(0.0, 1.0, bins + 1)[1:-1])
        return np.searchsorted(edges, values, side="right")
    x_codes, y_codes = codes(x), codes(y)
    joint = np.zeros((x_codes.max() + 1, y_codes.max() + 1))
    np.add.at(joint, (x_codes, y_codes), 1.0)
    joint /= joint.sum()
    independent = joint.sum(axis=1, keepdims=True) @ joint.sum(axis=0, keepdims=True)
    present = joint > 0
    return float(np.sum(joint[present] * np.log(joint[present] / independent[present])))


# ------------------------------------------------------------------------- classes and types

def test_details_classes_are_balanced(large_set):
    shares = large_set.target["Details"].value_counts(normalize=True)
    assert set(shares.index) == {1, 2, 3, 4}
    assert shares.between(0.20, 0.30).all(), shares


def test_class_counts_are_balanced_in_every_block_of_32():
    config = GeneratorConfig(min_size=20, max_size=20)
    details = generate_pairs(96, seed=9, config=config).target["Details"].to_numpy()
    for block in details.reshape(3, 32):
        assert (np.bincount(block, minlength=5)[1:] == 8).all()


def test_class_weights_of_zero_are_never_drawn():
    config = GeneratorConfig(details_weights=(0.5, 0.0, 0.0, 0.5), min_size=20, max_size=20)
    counts = generate_pairs(64, seed=1, config=config).target["Details"].value_counts()
    assert counts.to_dict() == {1: 32, 4: 32}


def test_target_follows_details(large_set):
    expected = large_set.target["Details"].map({1: 1, 2: -1, 3: 0, 4: 0})
    assert (large_set.target["Target"] == expected).all()


def test_numerical_numerical_share_is_challenge_like(large_set):
    info = large_set.publicinfo
    share = ((info["A type"] == "Numerical") & (info["B type"] == "Numerical")).mean()
    assert abs(share - 0.58) <= 0.08
    assert set(info["A type"]) == TYPES and set(info["B type"]) == TYPES


def test_types_are_drawn_independently_of_class(large_set):
    info = large_set.publicinfo.assign(Details=large_set.target["Details"])
    numerical_share = (info["A type"] == "Numerical").groupby(info["Details"]).mean()
    assert numerical_share.between(0.62, 0.90).all(), numerical_share


# ---------------------------------------------------------------------------- values, sizes

def test_sizes_are_log_uniform_within_bounds(large_set):
    sizes = np.array([len(a) for a in large_set.a])
    low, high = GeneratorConfig().min_size, GeneratorConfig().max_size
    assert (low, high) == (200, 8000)
    assert sizes.min() >= low and sizes.max() <= high
    assert all(len(a) == len(b) for a, b in zip(large_set.a, large_set.b))
    assert abs(np.log2(sizes).mean() - (np.log2(low) + np.log2(high)) / 2) < 0.2
    # log2(1000 / 200) / log2(8000 / 200) = 0.44 of the log2 range lies below 1000.
    assert 0.37 <= np.mean(sizes < 1000) <= 0.51
    assert (large_set.recipes["n"].to_numpy() == sizes).all()


def test_values_are_int64_and_codes_valid(large_set):
    recipes = large_set.recipes
    for index in range(len(large_set)):
        for column, values in (("a", large_set.a[index]), ("b", large_set.b[index])):
            assert values.dtype == np.int64
            kind = recipes.at[index, f"{column}_type"]
            levels = recipes.at[index, f"{column}_levels"]
            distinct = np.unique(values)
            if kind == "Binary":
                assert set(distinct) == {0, 1} and levels == 2
            elif kind == "Categorical":
                assert distinct.tolist() == list(range(1, levels + 1))
            else:
                assert levels == 0


def test_numerical_variables_are_scaled_and_rarely_constant(large_set):
    numerical = [values for index in range(len(large_set))
                 for values, kind in ((large_set.a[index], large_set.publicinfo.at[index, "A type"]),
                                      (large_set.b[index], large_set.publicinfo.at[index, "B type"]))
                 if kind == "Numerical"]
    constant = sum(values.min() == values.max() for values in numerical)
    assert constant <= 0.002 * len(numerical)
    for values in numerical[:200]:
        # Standardised then multiplied by 10,000: mean ~0, std ~10,000 up to rounding.
        assert abs(values.mean()) < 1.0
        assert abs(values.std() - 10000.0) < 5.0


def test_categorical_levels_within_configured_range(large_set):
    recipes = large_set.recipes
    for column in ("a", "b"):
        categorical = recipes[recipes[f"{column}_type"] == "Categorical"][f"{column}_levels"]
        assert categorical.between(2, 12).all()
        assert categorical.max() >= 6, "the number of levels should vary"


# ---------------------------------------------------------------------------------- recipes

def test_recipe_columns_and_consistency(large_set):
    recipes = large_set.recipes
    assert list(recipes.columns) == ["SampleID", *RECIPE_COLUMNS]
    assert list(large_set.publicinfo.columns) == ["SampleID", "A type", "B type"]
    assert list(large_set.target.columns) == ["SampleID", "Target", "Details"]
    assert (recipes["SampleID"] == large_set.target["SampleID"]).all()
    assert (recipes["details"] == large_set.target["Details"]).all()
    assert (recipes["a_type"] == large_set.publicinfo["A type"]).all()
    assert (recipes["b_type"] == large_set.publicinfo["B type"]).all()
    assert (recipes["spawn_key"] == np.arange(len(large_set))).all()
    assert (recipes["seed"] == 2013).all()


def test_recipe_families_are_coarse_and_none_for_independent(large_set):
    recipes = large_set.recipes
    independent = recipes["details"] == 4
    assert (recipes.loc[independent, ["mechanism_family", "noise_family"]] == "none").all().all()
    assert recipes.loc[independent, "snr"].isna().all()
    dependent = recipes[~independent]
    assert set(dependent["mechanism_family"]) == set(MECHANISM_FAMILIES)
    assert set(dependent["noise_family"]) == set(NOISE_MODELS)
    assert dependent["snr"].gt(0).all()
    assert set(dependent["mechanism"]) <= set(MECHANISMS)
    assert dependent["noise_on_cause"].any() and not dependent["noise_on_cause"].all()


def test_recipe_roles_follow_the_direction(large_set):
    recipes = large_set.recipes
    roles = recipes.groupby("details")[["a_role", "b_role"]].agg(lambda s: set(s))
    assert roles.loc[1].tolist() == [{"cause"}, {"effect"}]
    assert roles.loc[2].tolist() == [{"effect"}, {"cause"}]
    assert roles.loc[3].tolist() == [{"effect"}, {"effect"}]
    confounded = recipes[recipes["details"] == 3]
    assert (confounded["confounder_distribution"] != "").all()
    assert (confounded["cause_distribution"] == "").all()
    assert confounded["snr_b"].gt(0).all()
    same_family = confounded["mechanism_b"].map(lambda name: MECHANISMS[name].family)
    assert (same_family == confounded["mechanism_family"]).all()
    directed = recipes[recipes["details"] <= 2]
    cause_type = np.where(directed["details"] == 1, directed["a_type"], directed["b_type"])
    categorical_cause = directed["cause_distribution"].isin(["categorical", "binary"])
    assert (categorical_cause == (cause_type != "Numerical")).all()


def test_causal_pairs_are_sometimes_confounded_too(large_set):
    recipes = large_set.recipes
    directed = recipes["details"] <= 2
    cause_type = np.where(recipes["details"] == 1, recipes["a_type"], recipes["b_type"])
    confounded = recipes["confounding"].notna()
    # Only causal pairs with a numeric cause get a hidden confounder, about a quarter of them.
    assert not (confounded & ~(directed & (cause_type == "Numerical"))).any()
    share = confounded[directed & (cause_type == "Numerical")].mean()
    assert 0.15 < share < 0.35
    low, high = GeneratorConfig().confounding_strength_range
    assert recipes.loc[confounded, "confounding"].between(low, high).all()
    assert (recipes.loc[confounded, "confounder_distribution"] != "").all()
    assert (recipes.loc[directed & ~confounded, "confounder_distribution"] == "").all()


def test_confounding_adds_dependence_beyond_the_mechanism():
    """With the mechanism's own effect drowned in noise, a strong confounder still ties A to B."""
    weak = dict(snr_range=(0.01, 0.01), details_weights=(1, 0, 0, 0), type_weights=(1, 0, 0),
                min_size=2000, max_size=2000, measurement_noise_probability=0.0,
                noise_model_weights={"additive": 1})
    clean = generate_pairs(40, 5, config=GeneratorConfig(causal_confounding_probability=0.0, **weak))
    mixed = generate_pairs(40, 5, config=GeneratorConfig(causal_confounding_probability=1.0,
                                                         confounding_strength_range=(0.6, 0.7), **weak))
    def information(data):
        return np.mean([binned_mutual_information(a, b) for a, b in zip(data.a, data.b)])
    assert mixed.recipes["confounding"].notna().all() and clean.recipes["confounding"].isna().all()
    assert information(mixed) > 3 * information(clean)


def test_measurement_noise_is_recorded_for_numerical_variables_only(large_set):
    recipes = large_set.recipes
    for side in ("a", "b"):
        noisy = recipes[f"{side}_measurement_snr"].notna()
        assert (recipes.loc[noisy, f"{side}_type"] == "Numerical").all()
        numerical = recipes[f"{side}_type"] == "Numerical"
        assert 0.15 < noisy[numerical].mean() < 0.35
        low, high = GeneratorConfig().measurement_snr_range
        assert recipes.loc[noisy, f"{side}_measurement_snr"].between(low, high).all()


def test_measurement_noise_blurs_a_deterministic_relation():
    exact = dict(snr_range=(1e6, 1e6), details_weights=(1, 0, 0, 0), type_weights=(1, 0, 0),
                 min_size=500, max_size=500, mechanism_weights={"linear": 1},
                 noise_model_weights={"additive": 1}, noise_on_cause_probability=0.0,
                 causal_confounding_probability=0.0, marginal_replacement_probability=0.0,
                 coarsen_probability=0.0, cause_warp_probability=0.0)
    clean = generate_pairs(10, 1, config=GeneratorConfig(measurement_noise_probability=0.0, **exact))
    noisy = generate_pairs(10, 1, config=GeneratorConfig(measurement_noise_probability=1.0,
                                                         measurement_snr_range=(4.0, 4.0), **exact))
    assert min(abs(np.corrcoef(a, b)[0, 1]) for a, b in zip(clean.a, clean.b)) > 0.999
    # Noise of a quarter of the variance on each side: |r| = 1 / (1 + 1/4) = 0.8.
    assert max(abs(np.corrcoef(a, b)[0, 1]) for a, b in zip(noisy.a, noisy.b)) < 0.9


def test_gaussian_process_draws_have_the_kernel_covariance():
    from causepairs.synth.mechanisms import gaussian_process_draw
    rng = np.random.default_rng(11)
    points = np.array([0.0, 0.25, 1.0])
    draws = np.array([gaussian_process_draw(rng, 0.0, 1.0, 0.5)(points) for _ in range(4000)])
    expected = np.exp(-0.5 * (np.subtract.outer(points, points) / 0.5) ** 2)
    np.testing.assert_allclose(np.cov(draws.T), expected, atol=0.08)


def test_cause_distributions_are_diverse(large_set):
    names = large_set.recipes["cause_distribution"].str.replace("warped_", "", regex=False)
    assert set(CAUSE_DISTRIBUTIONS) <= set(names)


# ------------------------------------------------------------------------------- dependence

def test_dependence_present_for_dependent_pairs_and_absent_for_independent(large_set):
    recipes = large_set.recipes
    information = np.array([binned_mutual_information(a, b)
                            for a, b in zip(large_set.a, large_set.b)])
    strong = (recipes["details"].isin([1, 2]) & (recipes["snr"] > 10)) | (
        (recipes["details"] == 3) & (recipes["snr"] > 10) & (recipes["snr_b"] > 10))
    independent = recipes["details"] == 4
    assert strong.sum() > 50 and independent.sum() > 150
    assert information[independent].mean() < 0.03
    assert information[strong].mean() > 10 * information[independent].mean()
    # Among dependent pairs, stronger noise means weaker dependence.
    directed = recipes["details"].isin([1, 2])
    weak = directed & (recipes["snr"] < 0.3)
    assert information[strong & directed].mean() > 2 * information[weak].mean()


def test_confounded_pairs_are_dependent(large_set):
    recipes = large_set.recipes
    information = np.array([binned_mutual_information(large_set.a[i], large_set.b[i])
                            for i in recipes.index[recipes["details"].isin([3, 4])]])
    details = recipes.loc[recipes["details"].isin([3, 4]), "details"].to_numpy()
    assert information[details == 3].mean() > 4 * information[details == 4].mean()


# ---------------------------------------------------------------------------- determinism

def _assert_same(first: SyntheticPairs, second: SyntheticPairs) -> None:
    assert first.sample_ids == second.sample_ids
    for x, y in zip(first.a + first.b, second.a + second.b):
        np.testing.assert_array_equal(x, y)
    pd.testing.assert_frame_equal(first.publicinfo, second.publicinfo)
    pd.testing.assert_frame_equal(first.target, second.target)
    pd.testing.assert_frame_equal(first.recipes, second.recipes)


def test_result_does_not_depend_on_n_jobs_or_chunking():
    serial = generate_pairs(60, seed=5, n_jobs=1)
    parallel = generate_pairs(60, seed=5, n_jobs=2, chunk_size=7)
    _assert_same(serial, parallel)
    _assert_same(serial, generate_pairs(60, seed=5, n_jobs=-1, chunk_size=64))


def test_pair_does_not_depend_on_pairs_requested_after_it():
    short, long = generate_pairs(5, seed=11), generate_pairs(12, seed=11)
    for index in range(5):
        np.testing.assert_array_equal(short.a[index], long.a[index])
        np.testing.assert_array_equal(short.b[index], long.b[index])
    pd.testing.assert_frame_equal(short.recipes, long.recipes.iloc[:5])


def test_different_seeds_give_different_pairs():
    first, second = generate_pairs(3, seed=1), generate_pairs(3, seed=2)
    assert not all(np.array_equal(x, y) for x, y in zip(first.a, second.a))


def test_prefix_sets_sample_ids_only():
    plain, valid = generate_pairs(3, seed=4), generate_pairs(3, seed=4, prefix="valid")
    assert valid.sample_ids == ["valid1", "valid2", "valid3"]
    assert plain.sample_ids == ["train1", "train2", "train3"]
    assert valid.publicinfo["SampleID"].tolist() == valid.sample_ids
    assert valid.target["SampleID"].tolist() == valid.sample_ids
    for x, y in zip(plain.a, valid.a):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_reports_every_pair_once(n_jobs):
    reported: list[int] = []
    generate_pairs(45, seed=0, n_jobs=n_jobs, chunk_size=10, progress=reported.append)
    assert reported == [10, 10, 10, 10, 5]


# ------------------------------------------------------------------------------ settings

def test_config_weights_steer_the_generator():
    config = GeneratorConfig(details_weights=(1, 0, 0, 0), type_weights={"Numerical": 1.0},
                             mechanism_weights={"sine": 1.0}, min_size=100, max_size=100)
    pairs = generate_pairs(20, seed=3, config=config)
    assert (pairs.target["Details"] == 1).all() and (pairs.target["Target"] == 1).all()
    assert (pairs.publicinfo[["A type", "B type"]] == "Numerical").all().all()
    assert (pairs.recipes["mechanism"] == "sine").all()
    assert all(len(a) == 100 for a in pairs.a)


def test_config_is_normalised_hashable_and_picklable():
    from_dict = GeneratorConfig(type_weights={"Numerical": 0.76, "Categorical": 0.12, "Binary": 0.12},
                                noise_model_weights={"additive": 1})
    assert from_dict == GeneratorConfig(type_weights=[0.76, 0.12, 0.12],
                                        noise_model_weights=[("additive", 1.0)])
    hash(from_dict)
    assert pickle.loads(pickle.dumps(from_dict)) == from_dict


@pytest.mark.parametrize("settings, message", [
    ({"details_weights": (1, 1, 1)}, "details_weights must have 4"),
    ({"details_weights": (0, 0, 0, 0)}, "positive sum"),
    ({"type_weights": (1, -1, 0)}, "non-negative"),
    ({"type_weights": {"Ordinal": 1}}, "type_weights keys"),
    ({"min_size": 5}, "min_size must be an integer >= 10"),
    ({"min_size": 900, "max_size": 800}, "max_size must be >= min_size"),
    ({"scale": 0}, "scale must be a positive"),
    ({"min_levels": 5, "max_levels": 3}, "max_levels must be >= min_levels"),
    ({"snr_range": (0, 1)}, "snr_range"),
    ({"noise_on_cause_probability": 1.5}, "probability"),
    ({"mechanism_weights": {"fourier": 1}}, "unknown entries"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"causal_confounding_probability": -0.1}, "causal_confounding_probability"),
    ({"confounding_strength_range": (0.5, 1.0)}, "within \\[0, 1\\)"),
    ({"confounding_strength_range": (0.5, 0.2)}, "low <= high"),
    ({"measurement_noise_probability": 2}, "measurement_noise_probability"),
    ({"measurement_snr_range": (0, 10)}, "measurement_snr_range"),
    ({"coarsen_step_range": (0, 1)}, "coarsen_step_range"),
    ({"coarsen_step_range": (1, 0.1)}, "coarsen_step_range"),
])
def test_config_rejects_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        GeneratorConfig(**settings)


@pytest.mark.parametrize("arguments, message", [
    ({"n_pairs": 0}, "n_pairs must be an integer >= 1"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"prefix": ""}, "prefix"),
    ({"prefix": "a b"}, "prefix"),
    ({"n_jobs": 0}, "n_jobs"),
    ({"chunk_size": 0}, "chunk_size"),
    ({"config": {"min_size": 10}}, "config must be a GeneratorConfig"),
    ({"progress": 3}, "progress"),
])
def test_generate_pairs_rejects_bad_arguments(arguments, message):
    call = {"n_pairs": 2, "seed": 0} | arguments
    with pytest.raises(ValueError, match=message):
        generate_pairs(call.pop("n_pairs"), call.pop("seed"), **call)


# --------------------------------------------------------------------- registries, building blocks

def _awkward_inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "gaussian": rng.standard_normal(600),
        "heavy_tailed": rng.standard_t(1.5, 600),
        "binary": rng.integers(0, 2, 600).astype(float),
        "few_values": rng.integers(0, 4, 600).astype(float),
    }


@pytest.mark.parametrize("name", list(MECHANISMS))
def test_mechanisms_give_finite_standardised_output(name):
    assert MECHANISMS[name].family in MECHANISM_FAMILIES
    rng = np.random.default_rng(1)
    for label, inputs in _awkward_inputs().items():
        for _ in range(5):
            output = evaluate_mechanism(rng, name, inputs)
            assert output.shape == inputs.shape and np.isfinite(output).all(), label
            assert abs(output.std() - 1.0) < 1e-9 or not output.any(), label


@pytest.mark.parametrize("name", [name for name, m in MECHANISMS.items() if m.monotone])
def test_monotone_mechanisms_are_monotone(name):
    rng = np.random.default_rng(2)
    cause = rng.standard_normal(500)
    grid = np.linspace(-6.0, 6.0, 400)
    for _ in range(10):
        function = MECHANISMS[name].make(rng, cause)
        steps = np.diff(function(grid))
        assert (steps >= -1e-9).all() or (steps <= 1e-9).all()


@pytest.mark.parametrize("name", list(CAUSE_DISTRIBUTIONS))
def test_cause_distributions_are_finite_and_varied(name):
    rng = np.random.default_rng(3)
    sample = CAUSE_DISTRIBUTIONS[name].sample(rng, 500)
    assert sample.shape == (500,) and np.isfinite(sample).all() and sample.std() > 0


@pytest.mark.parametrize("name", list(NOISE_DISTRIBUTIONS))
def test_noise_distributions_have_unit_variance(name):
    noise = NOISE_DISTRIBUTIONS[name].sample(np.random.default_rng(4), 2000)
    assert abs(noise.mean()) < 1e-9 and abs(noise.std() - 1.0) < 1e-9


@pytest.mark.parametrize("name", list(NOISE_MODELS))
def test_noise_models_are_finite_and_follow_the_signal(name):
    rng = np.random.default_rng(5)
    cause = rng.standard_normal(2000)
    signal = (cause - cause.mean()) / cause.std()
    noise = NOISE_DISTRIBUTIONS["gaussian"].sample(rng, 2000)
    quiet = NOISE_MODELS[name].apply(rng, signal, cause, noise, 0.05)
    assert np.isfinite(quiet).all()
    # Nearly noiseless: the effect is a monotone function of the signal up to small noise.
    ranks = lambda values: np.argsort(np.argsort(values))  # noqa: E731
    assert abs(np.corrcoef(ranks(quiet), ranks(signal))[0, 1]) > 0.95


def test_categorical_cause_mechanism_input_depends_only_on_category():
    rng = np.random.default_rng(6)
    cause = draw_categorical_cause(rng, 1000, "Categorical", 3, 12)
    assert sorted(np.unique(cause.codes)) == list(range(1, cause.n_levels + 1))
    for code in np.unique(cause.codes):
        assert np.ptp(cause.mechanism_input[cause.codes == code]) == 0.0
    binary = draw_categorical_cause(rng, 1000, "Binary", 3, 12)
    assert set(np.unique(binary.codes)) == {0, 1}


def test_discretised_labels_are_permuted():
    rng = np.random.default_rng(7)
    values = np.arange(3000, dtype=float)
    increasing = 0
    for _ in range(20):
        codes, n_levels = discretise(rng, values, "Categorical", 4, 4)
        first_seen = codes[np.sort(np.unique(codes, return_index=True)[1])]
        increasing += first_seen.tolist() == sorted(first_seen.tolist())
        assert n_levels == 4
    assert increasing < 20, "labels must not follow the order of the underlying values"


def test_marginal_replacement_keeps_ranks():
    rng = np.random.default_rng(8)
    values, replacement = rng.standard_normal(300), rng.exponential(size=300)
    replaced = replace_marginal(values, replacement)
    np.testing.assert_array_equal(np.argsort(replaced), np.argsort(values))
    np.testing.assert_array_equal(np.sort(replaced), np.sort(replacement))


@pytest.mark.parametrize("step", [0.005, 0.05, 1.0])
def test_coarsening_rounds_to_a_grid_of_the_drawn_step(step):
    rng = np.random.default_rng(9)
    values = rng.standard_normal(2000) * 7.0 + 3.0
    rounded = coarsen(rng, values, (step, step))
    grid = np.unique(np.round(np.diff(np.unique(rounded)) / step, 9))
    assert grid.min() >= 1.0 and np.allclose(grid, np.round(grid))
    standard = (values - values.mean()) / values.std()
    assert np.max(np.abs(rounded - standard)) <= step / 2 + step + 1e-12   # rounding + offset


def test_coarsen_step_range_sets_how_many_ties_coarsened_variables_have():
    def distinct_shares(step_range):
        config = GeneratorConfig(coarsen_probability=1.0, coarsen_step_range=step_range,
                                 type_weights=(1, 0, 0), min_size=300, max_size=300)
        pairs = generate_pairs(40, seed=5, config=config)
        return np.array([len(np.unique(v)) / len(v) for a, b in zip(pairs.a, pairs.b)
                         for v in (a, b)])
    fine, coarse = distinct_shares((0.005, 0.005)), distinct_shares((1.0, 1.0))
    assert np.median(fine) > 0.6 and coarse.max() < 0.05
