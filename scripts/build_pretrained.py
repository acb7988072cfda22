"""Build the model shipped in the package: train, calibrate, describe, copy into place.

From the repository root::

    python scripts/build_pretrained.py                  # pipelines/pretrained.toml
    python scripts/build_pretrained.py --n-jobs 16 --benchmark ../shared/benchmarks

runs the pipeline (resuming its run folder, runs/pretrained), fits the three-class calibration
on the held-out pairs' scores, writes the model card, and copies metadata.json, the LightGBM
text model(s), calibration.json and card.json into causepairs/pretrained/, which
``pip install .`` ships and ``causepairs direction``/``predict``/``model-info`` use by default.
The validation suite (``--benchmark``; by default ../shared/benchmarks when it exists) is
scored and recorded in the card, never used to fit or choose anything.

``--check`` builds a second time from a fresh run folder and compares the shipped files'
bytes: the build is reproducible when they are equal (it exits 1 when they are not).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pipeline", default=str(ROOT / "pipelines" / "pretrained.toml"),
                        help="pipeline file (default: pipelines/pretrained.toml)")
    parser.add_argument("--out", type=Path, help="run folder (default: the pipeline's out)")
    parser.add_argument("--dest", type=Path, default=ROOT / "causepairs" / "pretrained",
                        help="where the shipped files go (default: causepairs/pretrained)")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="J",
                        help="workers (default: the pipeline's); the files do not depend on it")
    parser.add_argument("--benchmark", nargs="+", type=Path, metavar="DIR",
                        help="validation-suite folders to score and record in the card "
                             f"(default: {DEFAULT_BENCHMARKS} when it exists)")
    parser.add_argument("--no-benchmark", action="store_true",
                        help="do not score the validation suite")
    parser.add_argument("--baselines", type=Path, metavar="DIR_OR_FILE",
                        help="published methods' scores (default: beside the sets)")
    parser.add_argument("--check", action="store_true",
                        help="build again from a fresh run folder and compare the files")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    from causepairs.errors import CausepairsError
    from causepairs.shipped import build_pretrained

    benchmark = None
    if not args.no_benchmark:
        benchmark = args.benchmark or ([DEFAULT_BENCHMARKS] if DEFAULT_BENCHMARKS.is_dir()
                                       else None)
    options = dict(n_jobs=args.n_jobs, benchmark=benchmark, baselines=args.baselines,
                   quiet=args.quiet)
    try:
        facts = build_pretrained(args.pipeline, out=args.out, dest=args.dest, **options)
        print(f"built in {facts['seconds']:.1f} s on {facts['machine_cores']} cores; "
              f"run folder {facts['run']}")
        for name, digest in facts["files"].items():
            print(f"  {name}  sha256 {digest}")
        if args.check:
            # Again from an empty run folder at the same path (the model's metadata records
            # its training file's path, relative to the working directory unless --out is
            # absolute); the first run's folder is kept aside until the second one is done.
            run = Path(facts["run"])
            aside = run.with_name(run.name + ".before-check")
            if aside.exists():
                shutil.rmtree(aside)
            run.rename(aside)
            try:
                with tempfile.TemporaryDirectory(prefix="build-check-") as scratch:
                    again = build_pretrained(args.pipeline, out=run, dest=Path(scratch),
                                             **options)
            except BaseException:
                shutil.rmtree(run, ignore_errors=True)
                aside.rename(run)
                raise
            shutil.rmtree(aside)
            same = again["files"] == facts["files"]
            print("reproducible: " + ("yes, the same bytes" if same else
                                      "NO, the files differ: " + ", ".join(
                                          n for n in facts["files"]
                                          if again["files"].get(n) != facts["files"][n])))
            if not same:
                return 1
    except CausepairsError as exc:
        print(f"build_pretrained: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
