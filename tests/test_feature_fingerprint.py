"""Stored features are reused only by the code that computed them: part stores record the
causepairs version and FEATURE_CODE_VERSION, and a pipeline rerun after either changed
recomputes its features instead of resuming old parts."""

import json

import pytest

import causepairs
import causepairs.pipeline
from causepairs.errors import CausepairsError
from causepairs.factory import spec
from causepairs.factory.extract import ExtractionReport, extract_features, feature_code_identity
from causepairs.factory.spec import _resolve
from causepairs.pipeline import _drop_parts_of_other_code, run_pipeline
from causepairs.synth import GeneratorConfig, generate_pairs

SPEC = {"name": "tiny", "family": [{"name": "size"}, {"name": "rank_dependence"}]}


@pytest.fixture(scope="module")
def tiny():
    return _resolve(SPEC, "<test spec>")


@pytest.fixture(scope="module")
def pairs():
    return generate_pairs(6, seed=2, config=GeneratorConfig(min_size=30, max_size=60))


def new_version(monkeypatch):
    monkeypatch.setattr(causepairs, "__version__", "0.1.0+kernel-fix")
    monkeypatch.setattr(causepairs.pipeline, "__version__", "0.1.0+kernel-fix")


def test_identity_names_the_code_versions(tiny, monkeypatch):
    identity = feature_code_identity(tiny)
    assert identity == {"feature_set_hash": tiny.hash,
                        "feature_code_version": spec.FEATURE_CODE_VERSION,
                        "causepairs_version": causepairs.__version__,
                        "type_rule_version": identity["type_rule_version"]}
    monkeypatch.setattr(spec, "FEATURE_CODE_VERSION", spec.FEATURE_CODE_VERSION + 1)
    bumped = feature_code_identity(tiny)
    assert bumped["feature_code_version"] == identity["feature_code_version"] + 1
    assert bumped["feature_set_hash"] != identity["feature_set_hash"]


@pytest.mark.parametrize("change, key", [("version", "causepairs_version"),
                                         ("feature_code", "feature_code_version")])
def test_a_part_store_refuses_parts_of_other_code(tiny, pairs, tmp_path, monkeypatch,
                                                  change, key):
    out = tmp_path / "features.parquet"
    extract_features(pairs, feature_set=tiny, out=out, chunk_size=2)
    if change == "version":
        new_version(monkeypatch)
    else:
        monkeypatch.setattr(spec, "FEATURE_CODE_VERSION", spec.FEATURE_CODE_VERSION + 1)
    with pytest.raises(CausepairsError, match=f"written by a different run: '{key}'"):
        extract_features(pairs, feature_set=tiny, out=out, chunk_size=2)


def test_the_pipeline_drops_only_parts_of_other_code(tiny, pairs, tmp_path, monkeypatch):
    out = tmp_path / "features.parquet"
    extract_features(pairs, feature_set=tiny, out=out, chunk_size=2)
    _drop_parts_of_other_code(out, tiny)          # same code: parts kept and resumed
    report = ExtractionReport()
    extract_features(pairs, feature_set=tiny, out=out, chunk_size=2, report=report)
    assert report.n_resumed == len(pairs)

    new_version(monkeypatch)
    _drop_parts_of_other_code(out, tiny)
    assert not out.exists()
    report = ExtractionReport()
    extract_features(pairs, feature_set=tiny, out=out, chunk_size=2, report=report)
    assert report.n_resumed == 0
    manifest = json.loads((out / "_manifest.json").read_text())["manifest"]
    assert manifest["causepairs_version"] == "0.1.0+kernel-fix"


def test_a_pipeline_rerun_under_new_code_recomputes_its_features(tmp_path, monkeypatch):
    toml = tmp_path / "p.toml"
    (tmp_path / "set.toml").write_text(
        'name = "tiny"\n[folds]\nn_folds = 2\n[[family]]\nname = "size"\n'
        '[[family]]\nname = "rank_dependence"\n')
    toml.write_text(f"""
[pipeline]
n_jobs = 1
[data.train]
generate = {{ n_pairs = 12, seed = 4, min_size = 30, max_size = 60 }}
[features]
set = "{tmp_path / 'set.toml'}"
chunk_size = 4
[model]
n_estimators = 3
min_child_samples = 2
[evaluation]
folds = 2
""")
    quiet = {"quiet": True, "log": lambda _: None}
    run_pipeline(toml, out=tmp_path / "run", **quiet)
    assert "features:train" not in run_pipeline(toml, out=tmp_path / "run", **quiet).steps_run

    new_version(monkeypatch)
    again = run_pipeline(toml, out=tmp_path / "run", **quiet)
    assert "features:train" in again.steps_run
    manifest = json.loads((tmp_path / "run" / "features" / "train.parquet" / "_manifest.json")
                          .read_text())["manifest"]
    assert manifest["causepairs_version"] == "0.1.0+kernel-fix"
