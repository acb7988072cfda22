"""The package list in setup.cfg covers every package, and a plain install ships the specs."""

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "causepairs").rglob("__init__.py")}
    assert found <= listed, f"add to setup.cfg [options] packages: {sorted(found - listed)}"
    assert "causepairs._features" in listed
    assert (ROOT / "features" / "fast.toml").is_file()


def test_pipelines_ship_as_package_data():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "causepairs._pipelines" in config["options"]["packages"].split()
    assert "causepairs._pipelines = pipelines" in config["options"]["package_dir"]
    assert (ROOT / "pipelines" / "demo.toml").is_file()
    assert (ROOT / "pipelines" / "full.toml").is_file()


def test_shipped_model_ships_as_package_data():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = config["options.package_data"]["causepairs"].split(",")
    # Every kind of file scripts/build_pretrained.py writes into causepairs/pretrained/.
    assert {p.strip() for p in patterns} == {"pretrained/*.txt", "pretrained/*.json"}
    assert (ROOT / "pipelines" / "pretrained.toml").is_file()
