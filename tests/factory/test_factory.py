"""The feature factory: declared sets, names and mirrors, per-pair compute, batch extraction."""


import numpy as np
import pandas as pd
import pytest

from causepairs.factory import extract_features, load_feature_set
from causepairs.factory.compute import compute_pair
from causepairs.factory.extract import ExtractionReport
from causepairs.factory.names import parse_column
from causepairs.factory.registry import REGISTRY, get_family
from causepairs.factory.spec import FeatureSetError, builtin_feature_sets
from causepairs.synth import GeneratorConfig, generate_pairs

SMALL = GeneratorConfig(min_size=120, max_size=300)


@pytest.fixture(scope="module")
def fast():
    return load_feature_set("fast")


@pytest.fixture(scope="module")
def full():
    return load_feature_set("full")


@pytest.fixture(scope="module")
def pairs():
    return generate_pairs(16, 21, config=SMALL)


def types_of(data, i):
    return data.publicinfo["A type"][i], data.publicinfo["B type"][i]


# -- declared sets ---------------------------------------------------------------------------

def test_builtin_sets_and_sizes(fast, full):
    assert {"fast", "transfer", "full"} <= set(builtin_feature_sets())
    assert 300 <= len(fast) <= 1500
    assert len(full) >= 10_000
    get_family("regression")  # imports the registry
    used = {plan.family.name for plan in full.plans}
    assert used == set(REGISTRY), "every registered family belongs in the full set"


@pytest.mark.parametrize("name", ["fast", "transfer", "full"])
def test_columns_sorted_unique_parseable(name):
    fs = load_feature_set(name)
    assert list(fs.columns) == sorted(set(fs.columns))
    for column in fs.columns:
        assert str(parse_column(column)) == column
    # Symmetric measures never get a difference column.
    sym_tokens = {parse_column(c).tokens for c in fs.columns if c.startswith("sym|")}
    assert not any(parse_column(c).tokens in sym_tokens for c in fs.columns
                   if c.startswith("diff|"))


def test_transfer_set_is_the_fast_set_without_fitted_models_and_shapes():
    fast, transfer = load_feature_set("fast"), load_feature_set("transfer")
    fitted = {"regression", "classification", "univariate"}
    expected = [column for plan, cells in zip(fast.plans, fast.layout)
                if plan.family.name not in fitted
                for scopes in cells for indices in scopes.values()
                for column in (fast.columns[i] for i in indices)]
    assert sorted(expected) == list(transfer.columns)
    assert {plan.family.name for plan in transfer.plans}.isdisjoint(fitted)
    assert transfer.spec["folds"] == fast.spec["folds"]


@pytest.mark.parametrize("name", ["fast", "full"])
def test_mirror_is_an_involution(name):
    fs = load_feature_set(name)
    assert np.array_equal(fs.mirror_index[fs.mirror_index], np.arange(len(fs)))
    assert np.all(fs.mirror_sign * fs.mirror_sign[fs.mirror_index] == 1)
    i = fs.column_index["A>B|in=raw|out=std|knn15|r2"]
    assert fs.columns[fs.mirror_index[i]] == "B>A|in=raw|out=std|knn15|r2"
    j = fs.column_index["diff|in=raw|out=std|knn15|r2"]
    assert fs.mirror_index[j] == j and fs.mirror_sign[j] == -1


@pytest.mark.parametrize("text,match", [
    ('name = "x"\n', "at least one"),
    ('name = "x"\n[[family]]\nname = "nope"\n', "unknown feature family 'nope'"),
    ('name = "x"\n[[family]]\nname = "regression"\nmodels = ["knn7"]\n', "unknown models"),
    ('name = "x"\n[[family]]\nname = "regression"\ncolour = "red"\n', "unknown key"),
    ('name = "x"\n[[family]]\nname = "regression"\nin = ["rank"]\nmodels = ["iso_inc"]\n',
     "selects no cell"),
    ('name = "x"\n[[family]]\nname = "regression"\nscopes = ["A>B"]\n', "has no mirror"),
    ('name = "x"\n[[family]]\nname = "size"\n[[family]]\nname = "size"\n', "twice"),
    ('name = [\n', "not valid TOML"),
])
def test_bad_feature_sets(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(FeatureSetError, match=match):
        load_feature_set(path)
    with pytest.raises(FeatureSetError, match="unknown feature set"):
        load_feature_set("no_such_set")


def test_exclude_and_order_only_models(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text('name = "small"\n[[family]]\nname = "regression"\nin = ["raw", "rank"]\n'
                    'out = ["std"]\nmodels = ["knn15", "tree2"]\nmeasures = ["r2"]\n'
                    '[[family.exclude]]\nmodels = ["knn15"]\nin = ["raw"]\n')
    fs = load_feature_set(path)
    # tree2 sees only the order of its input: not crossed with rank; knn15 on raw excluded.
    assert sorted({parse_column(c).get("in") + "/" + parse_column(c).tokens[0]
                   for c in fs.columns}) == ["rank/knn15", "raw/tree2"]


# -- one pair ----------------------------------------------------------------------------------

@pytest.mark.parametrize("i", range(8))
def test_swapping_a_and_b_gives_the_mirrored_row(fast, pairs, i):
    at, bt = types_of(pairs, i)
    ab = compute_pair(fast, pairs.a[i], pairs.b[i], at, bt)
    ba = compute_pair(fast, pairs.b[i], pairs.a[i], bt, at)
    assert not ab.errors and not ba.errors
    mirrored = fast.mirror(ab.values[None, :])[0]
    np.testing.assert_allclose(mirrored, ba.values, rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("a,b,types", [
    (np.full(50, 3.0), np.arange(50.0), ("Numerical", "Numerical")),   # constant A
    (np.arange(5.0), np.arange(5.0), ("Numerical", "Numerical")),      # too short
    (np.r_[np.arange(49.0), np.nan], np.arange(50.0), ("Numerical", "Numerical")),
    (np.zeros(40), np.ones(40), ("Binary", "Binary")),                 # one category each
])
def test_degenerate_pairs_give_nan_not_exceptions(fast, a, b, types):
    # too short, non-finite, or a constant variable: a degenerate pair (NaN row, counted)
    result = compute_pair(fast, a, b, *types)
    assert result.values.shape == (len(fast),)
    assert not result.errors
    assert result.degenerate and np.isnan(result.values).all()


def test_failing_cell_is_caught_and_reported(fast, pairs, monkeypatch):
    family = get_family("causal")

    def broken(ctx, cell):
        raise RuntimeError("boom")

    monkeypatch.setitem(REGISTRY, "causal", type(family)(**{**family.__dict__, "compute": broken}))
    fs = load_feature_set("fast")
    result = compute_pair(fs, pairs.a[0], pairs.b[0], *types_of(pairs, 0))
    assert any("boom" in e for e in result.errors)
    causal = [fs.column_index[c] for c in fs.columns if "igci" in c]
    assert np.isnan(result.values[causal]).all()
    assert not np.isnan(result.values[fs.column_index["sym|in=raw|pearson"]])


# -- engines -----------------------------------------------------------------------------------

def test_numba_and_reference_engines_agree(fast):
    data = generate_pairs(3, 5, config=GeneratorConfig(
        min_size=150, max_size=250, type_weights={"Numerical": 1.0, "Categorical": 0.0,
                                                  "Binary": 0.0}))
    agree, total = 0, 0
    for i in range(len(data)):
        fast_values = compute_pair(fast, data.a[i], data.b[i], "Numerical", "Numerical").values
        slow_values = compute_pair(fast, data.a[i], data.b[i], "Numerical", "Numerical",
                                   engine="reference").values
        same = np.isclose(fast_values, slow_values, rtol=1e-6, atol=1e-9, equal_nan=True)
        agree += same.sum()
        total += same.size
        # Continuous fit-quality metrics agree tightly; the few that can differ are metrics
        # on ranks or bins of residuals, where rounding noise (1e-16) breaks exact ties.
        for j in np.flatnonzero(~same):
            assert parse_column(fast.columns[j]).tokens[-1] in {
                "resid_x_mi", "abs_resid_x_spearman", "abs_resid_xdev_spearman", "medae_std",
                "resid_entropy", "accuracy_gain", "accuracy", "auc_ovr_mean",
                "log_loss_gain", "brier_skill"}, fast.columns[j]
    assert agree / total > 0.98


# -- batches -----------------------------------------------------------------------------------

def test_extract_is_identical_for_any_n_jobs_and_chunking(fast, pairs):
    one = extract_features(pairs, feature_set=fast, n_jobs=1, chunk_size=5)
    two = extract_features(pairs, feature_set=fast, n_jobs=2, chunk_size=3)
    assert one.dtypes.unique().tolist() == [np.float32]
    assert one.index.tolist() == pairs.sample_ids
    assert list(one.columns) == list(fast.columns)
    assert np.array_equal(one.to_numpy(), two.to_numpy(), equal_nan=True)


def test_parquet_output_resumes(fast, pairs, tmp_path):
    expected = extract_features(pairs, feature_set=fast, chunk_size=4)
    out = tmp_path / "f.parquet"
    done = []

    def crash_after_two_chunks(count):
        # Progress is reported as a chunk's result arrives, before its part is written:
        # dying on the third report leaves two finished parts.
        done.append(count)
        if len(done) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        extract_features(pairs, feature_set=fast, chunk_size=4, out=out,
                         progress=crash_after_two_chunks)
    assert len(list(out.glob("part-*.parquet"))) == 2
    report = ExtractionReport()
    again = extract_features(pairs, feature_set=fast, chunk_size=4, out=out, report=report)
    assert report.n_resumed == 8
    assert np.array_equal(expected.to_numpy(), again.to_numpy(), equal_nan=True)
    from_disk = pd.read_parquet(out)
    assert from_disk.index.tolist() == pairs.sample_ids


def test_bad_pair_in_a_batch_is_counted_not_fatal(fast, pairs):
    from causepairs.io import Pair

    batch = [Pair(s, a, b) for s, a, b in zip(pairs.sample_ids[:4], pairs.a, pairs.b)]
    batch.append(Pair("short", np.arange(4.0), np.arange(4.0)))
    info = pairs.publicinfo.set_index("SampleID").iloc[:4]
    info.loc["short"] = ["Numerical", "Numerical"]
    report = ExtractionReport()
    with pytest.warns(RuntimeWarning, match="1 degenerate"):
        frame = extract_features(batch, info, fast, report=report)
    assert report.degenerate == ["short"]
    assert frame.loc["short"].isna().all() and not frame.iloc[0].isna().all()


def test_direction_difference_is_zero_on_rounding_ties_and_antisymmetric():
    from causepairs.factory.compute import DIFF_TIE_TOLERANCE, direction_difference

    first = np.array([0.5, 1.0, 2.0, np.nan, 1e-300, 3.0, np.inf, -1.0])
    second = np.array([0.5 + 4e-16, 1.0 - 1e-12, 1.5, 1.0, 0.0, np.nan, np.inf, -1.0])
    forward = direction_difference(first, second)
    backward = direction_difference(second, first)
    np.testing.assert_array_equal(forward[[0, 1, 7]], 0.0)     # rounding ties are exactly 0
    assert forward[2] == 0.5 and forward[4] == 1e-300          # real differences are kept
    assert np.isnan(forward[[3, 5, 6]]).all()                  # NaN in, NaN out (inf - inf)
    np.testing.assert_array_equal(forward, -backward)
    assert direction_difference(np.array([1.0]), np.array([1.0 + 10 * DIFF_TIE_TOLERANCE]))[0] != 0


def test_tied_directions_give_the_same_zero_on_both_engines(fast):
    # Two continuous variables without ties fill equal-frequency bins alike, so their
    # conditional entropies are equal both ways; the two engines round them differently.
    rng = np.random.default_rng(5)
    a = rng.normal(size=500)
    b = np.tanh(a) + 0.3 * rng.normal(size=500)
    columns = list(fast.columns)
    for engine in ("numba", "reference"):
        values = compute_pair(fast, a, b, "Numerical", "Numerical", engine=engine).values
        for name in ("diff|out=eqfreq5|cond_entropy", "diff|out=eqfreq10|cond_entropy"):
            assert values[columns.index(name)] == 0.0, (engine, name)


def test_a_slow_warm_up_says_it_is_compiling_once(fast, monkeypatch, capsys):
    import time

    from causepairs.factory import extract

    real = extract.compute_pair

    def slow_compute(*args, **kwargs):
        time.sleep(0.05)       # stands in for Numba compiling on a first run
        return real(*args, **kwargs)

    monkeypatch.setattr(extract, "COMPILE_NOTICE_AFTER_SECONDS", 0.01)
    monkeypatch.setattr(extract, "compute_pair", slow_compute)
    extract.warm_up(fast)
    err = capsys.readouterr().err
    assert err.count("compiling the feature kernels of set 'fast'") == 1
    assert err.count("compiled in") == 1


def test_a_fast_warm_up_is_silent(fast, monkeypatch, capsys):
    from causepairs.factory import extract

    extract.warm_up(fast)                        # compiles now if nothing else did before
    capsys.readouterr()
    monkeypatch.setattr(extract, "COMPILE_NOTICE_AFTER_SECONDS", 60.0)
    extract.warm_up(fast)
    assert "compil" not in capsys.readouterr().err
