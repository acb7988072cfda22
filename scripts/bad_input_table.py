"""Run the bad-input catalogue through the real command line and print a Markdown table.

Each case builds its files in a temporary directory, runs ``python -m causepairs ...`` in a
subprocess and records the exit code and what the user sees (the last line of stderr, or
the report line of stdout for cases that succeed with a warning). A case fails the script if
its output holds a traceback or its exit code is not the expected one.

    python scripts/bad_input_table.py            # ~1-2 min on 2 cores
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def numbers(values) -> str:
    return " ".join(str(int(v)) if float(v).is_integer() else repr(float(v)) for v in values)


def write_dataset(folder: Path, rows, targets=None, prefix="d"):
    folder.mkdir(parents=True, exist_ok=True)
    pairs = folder / f"{prefix}_pairs.csv"
    pairs.write_text("SampleID,A,B\n" + "".join(f"{sid},{numbers(a)},{numbers(b)}\n"
                                                for sid, a, b, _, _ in rows))
    info = folder / f"{prefix}_publicinfo.csv"
    info.write_text("SampleID,A type,B type\n" + "".join(f"{sid},{ta},{tb}\n"
                                                         for sid, _, _, ta, tb in rows))
    target = folder / f"{prefix}_target.csv"
    if targets is not None:
        target.write_text("SampleID,Target\n" + "".join(f"{r[0]},{t}\n"
                                                         for r, t in zip(rows, targets)))
    return pairs, info, target


def numeric_rows(count, n=60, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        a = np.round(rng.standard_normal(n) * 1000)
        b = np.round(a * 0.5 + rng.standard_normal(n) * 800)
        rows.append((f"p{i + 1}", a, b, "Numerical", "Numerical"))
    return rows


def cli(*argv, cwd=None, max_file_bytes=None):
    def limit():
        # A full disk, as far as the writer can tell: writes past the limit fail (EFBIG;
        # Python ignores SIGXFSZ).
        import resource
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    result = subprocess.run([sys.executable, "-m", "causepairs", *map(str, argv)],
                            capture_output=True, text=True, cwd=cwd,
                            preexec_fn=limit if max_file_bytes else None)
    return result.returncode, result.stdout, result.stderr


ROWS: list[tuple[str, str, int, str]] = []
FAILURES: list[str] = []


def record(kind: str, command: str, result, expected_code: int, show: str = "stderr"):
    code, out, err = result
    text = err if show == "stderr" else out
    lines = [line for line in text.strip().splitlines()
             if show == "stderr" or line.startswith("report:")]
    message = lines[-1] if lines else ""
    ROWS.append((kind, command, code, message))
    if "Traceback" in out + err or code != expected_code or (show == "stderr"
                                                             and len(lines) != 1):
        FAILURES.append(f"{kind}: exit {code}, expected {expected_code}: {err[-500:]}")


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="bad-input-"))
    os.chdir(base)
    rng = np.random.default_rng(0)

    # -- types -----------------------------------------------------------------------------
    d = base / "types"
    rows = numeric_rows(2)
    rows[1] = rows[1][:3] + ("Numerical", "Numeric")
    pairs, info, _ = write_dataset(d, rows)
    record("unknown type string 'Numeric'", "features",
           cli("features", "--pairs", pairs, "--publicinfo", info, "--set", "fast", "--out",
               d / "f.parquet", "--quiet"), 1)
    rows[1] = rows[1][:3] + ("", "Numerical")
    write_dataset(d, rows)
    record("empty type string", "check", cli("check", "--pairs", pairs, "--publicinfo", info), 1)

    n = 700
    a = np.round(rng.standard_normal(n) * 100)
    cases = [("Binary with 700 distinct values", np.arange(n, dtype=float), "Binary"),
             ("Binary with 3 values", rng.choice(3, n, p=[.5, .3, .2]).astype(float), "Binary"),
             ("Categorical with fractional codes",
              rng.choice(4, n, p=[.4, .3, .2, .1]) + 0.5, "Categorical"),
             ("Categorical, every value distinct", rng.permutation(n).astype(float),
              "Categorical")]
    for i, (kind, b, b_type) in enumerate(cases):
        d = base / f"retype{i}"
        pairs, info, _ = write_dataset(d, [("x1", a, b, "Numerical", b_type)])
        record(kind, "features", cli("features", "--pairs", pairs, "--publicinfo", info, "--set",
                                     "fast", "--out", d / "f.parquet", "--quiet"), 0,
               show="stdout")

    # -- stale parts -------------------------------------------------------------------------
    d = base / "stale"
    rows = numeric_rows(5)
    pairs, info, _ = write_dataset(d, rows)
    features = ("features", "--pairs", pairs, "--publicinfo", info, "--set", "fast", "--out",
                d / "f.parquet", "--chunk-size", 2, "--quiet")
    cli(*features)
    rows[2] = ("p3", rows[2][1], rows[2][2][::-1].copy(), "Numerical", "Numerical")
    write_dataset(d, rows)
    record("edited pairs file, same SampleIDs: rerun features (recomputes chunk 1, p3-p4; "
           "resumes p1-p2, p5)",
           "features (rerun)", cli(*features), 0, show="stdout")
    target = d / "d_target.csv"
    write_dataset(d, numeric_rows(5), [1, -1, 0, 1, -1])
    record("train --features on parts computed before the pairs file was edited",
           "train --features", cli("train", "--pairs", pairs, "--publicinfo", info, "--target",
                                   target, "--set", "fast", "--features", d / "f.parquet",
                                   "--out", d / "m", "--folds", 1, "--quiet"), 1)

    # -- SampleIDs ---------------------------------------------------------------------------
    d = base / "ids"
    d.mkdir()
    body = "".join(f"p{i},{numbers(range(40))},{numbers(range(40))}\n" for i in range(2, 60))
    (d / "q_pairs.csv").write_text('SampleID,A,B\n"p1,1 2 3,4 5 6\n' + body)
    (d / "info.csv").write_text("SampleID,A type,B type\n")
    record("unterminated quote", "check",
           cli("check", "--pairs", d / "q_pairs.csv", "--publicinfo", d / "info.csv"), 1)
    (d / "c_pairs.csv").write_text('SampleID,A,B\nok,1 2,3 4\n"a,b",1 2,3 4\n')
    record("SampleID containing a comma", "check",
           cli("check", "--pairs", d / "c_pairs.csv", "--publicinfo", d / "info.csv"), 1)
    (d / "l_pairs.csv").write_text("SampleID,A,B\n" + "x" * 250 + ",1 2,3 4\n")
    record("SampleID of 250 characters", "check",
           cli("check", "--pairs", d / "l_pairs.csv", "--publicinfo", d / "info.csv"), 1)

    # -- score and train edge cases ----------------------------------------------------------
    d = base / "targets"
    d.mkdir()
    (d / "t.csv").write_text("SampleID,Target\na,1\nb,1\nc,1\n")
    (d / "s.csv").write_text("SampleID,Target\na,0.5\nb,0.1\nc,-2\n")
    record("score, one-class target", "score",
           cli("score", "--target", d / "t.csv", "--submission", d / "s.csv"), 1)
    for kind, count, targets, extra in (
            ("train, one-class target", 6, [1] * 6, []),
            ("train --folds 100 on 4 pairs", 4, [1, -1, 0, 1], ["--folds", 100]),
            ("train on 1 pair", 1, [1], []),
            ("train on 2 pairs (folds 5)", 2, [1, -1], []),
            ("train --folds 4, largest class 3 pairs", 4, [1, 1, 1, -1], ["--folds", 4]),
            ("train on an empty data set", 0, [], [])):
        sub = d / kind.replace(" ", "_")
        pairs, info, target = write_dataset(sub, numeric_rows(count), targets)
        record(kind, "train", cli("train", "--pairs", pairs, "--publicinfo", info, "--target",
                                  target, "--set", "fast", "--out", sub / "m", "--quiet",
                                  *extra), 1)
    pairs, info, _ = write_dataset(d / "empty", [])
    record("check an empty data set", "check", cli("check", "--pairs", pairs, "--publicinfo",
                                                   info), 1)

    # -- model metadata ----------------------------------------------------------------------
    from causepairs.model_dir import metadata_digest

    d = base / "model"
    pairs, info, target = write_dataset(d, numeric_rows(6), [1, -1, 0, 1, -1, 0])
    code, _, err = cli("train", "--pairs", pairs, "--publicinfo", info, "--target", target,
                       "--set", "fast", "--out", d / "m", "--folds", 1, "--quiet")
    assert code == 0, err
    original = (d / "m" / "metadata.json").read_text()
    edits = [("metadata.json: formulation edited", lambda m: m.update(formulation="multiclass"),
              False),
             ("metadata.json: n_jobs edited", lambda m: m["params"].update(n_jobs=4), False),
             ("metadata.json: n_estimators = \"x\" (digest recomputed)",
              lambda m: m["params"].update(n_estimators="x"), True),
             ("metadata.json: n_jobs = 0 (digest recomputed)",
              lambda m: m["params"].update(n_jobs=0), True)]
    for kind, edit, rehash in edits:
        meta = json.loads(original)
        edit(meta)
        if rehash:
            meta["metadata_sha256"] = metadata_digest(meta)
        (d / "m" / "metadata.json").write_text(json.dumps(meta))
        record(kind, "predict", cli("predict", "--model", d / "m", "--pairs", pairs,
                                    "--publicinfo", info, "--out", d / "s.csv", "--quiet"), 1)
    (d / "m" / "metadata.json").write_text(original)
    before = {p.name: p.read_bytes() for p in (d / "m").iterdir()}
    record("disk full during train (files limited to 8 KB), over an existing model", "train",
           cli("train", "--pairs", pairs, "--publicinfo", info, "--target", target, "--set",
               "fast", "--out", d / "m", "--folds", 1, "--formulation", "binary_pair",
               "--quiet", max_file_bytes=8192), 1)
    assert {p.name: p.read_bytes() for p in (d / "m").iterdir()} == before, "model changed"

    # -- symbolic links ----------------------------------------------------------------------
    victim = d / "victim.txt"
    victim.write_text("precious\n")
    (d / "m2").mkdir()
    (d / "m2" / "model.txt").symlink_to(victim)
    record("planted MODEL_DIR/model.txt symlink", "train",
           cli("train", "--pairs", pairs, "--publicinfo", info, "--target", target, "--set",
               "fast", "--out", d / "m2", "--folds", 1, "--quiet"), 1)
    (d / "f.parquet").mkdir()
    (d / "f.parquet" / ".lock").symlink_to(victim)
    record("planted OUT.parquet/.lock symlink", "features",
           cli("features", "--pairs", pairs, "--publicinfo", info, "--set", "fast", "--out",
               d / "f.parquet", "--quiet"), 1)
    (d / "sub.csv").symlink_to(victim)
    record("submission path is a symlink", "predict",
           cli("predict", "--model", d / "m", "--pairs", pairs, "--publicinfo", info, "--out",
               d / "sub.csv", "--quiet"), 1)
    assert victim.read_text() == "precious\n", "a link was written through"

    # -- pipeline names ----------------------------------------------------------------------
    d = base / "pipelines"
    d.mkdir()
    generated = "[data.train]\ngenerate = {{ n_pairs = 5, seed = 1{extra} }}\n"
    for kind, text in (
            ("pipeline generate.prefix = \"../../x\"",
             generated.format(extra=', prefix = "../../x"')),
            ("pipeline candidate named \"../../x\"",
             generated.format(extra="") + '[evaluation.candidates."../../x"]\nn_estimators = 3\n'),
            ("pipeline submission = \"../x.csv\"",
             generated.format(extra="") + '[outputs]\nsubmission = "../x.csv"\n'),
            ("pipeline folds = 5 on 3 generated pairs",
             "[data.train]\ngenerate = { n_pairs = 3, seed = 1, min_size = 50, max_size = 60 }"
             "\n[evaluation]\nfolds = 5\n")):
        path = d / "p.toml"
        path.write_text(text)
        record(kind, "run", cli("run", path, "--out", d / "out", "--quiet"), 1)

    print("| kind | command | exit | what the user sees |")
    print("|---|---|---|---|")
    for kind, command, code, message in ROWS:
        message = message.replace(str(base), "$TMP").replace("|", "\\|")
        print(f"| {kind} | {command} | {code} | `{message}` |")
    if FAILURES:
        print("\nFAILED:", *FAILURES, sep="\n")
        return 1
    print(f"\n{len(ROWS)} cases, all one line (or exit 0 with a report line), no traceback")
    return 0


if __name__ == "__main__":
    sys.exit(main())
