#!/usr/bin/env python
"""Each principled causal score alone on benchmark folders: direction accuracy of its sign.

For a score C(x -> y) where lower means more plausible, the pair's direction score is
C(B -> A) - C(A -> B) (positive: A causes B), the same sign the factory's ``diff`` column
carries after its B>A - A>B orientation is taken into account. Accuracy counts a zero or NaN
score as one half (``causepairs.metrics.direction_accuracy``), weighted where the set has
weights; AUC as ``causepairs benchmark`` prints it. No model, no training: this shows what a
kernel knows by itself.

    python scripts/score_alone.py /work/shared/benchmarks/{SIM,SIM-c,AN,LS-s,MN-U,Lisbon}
    python scripts/score_alone.py --scores quantile_score --n-neighbors 30 DIR [DIR ...]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from causepairs import datasets
from causepairs.kernels import causal
from causepairs.metrics import direction_accuracy, direction_auc

#: The scores this script knows: kernel name -> keyword arguments beyond (x, y).
SCORES = {
    "quantile_score": {"n_neighbors": 30},
    "location_scale_hsic": {"n_neighbors": 30},
    "location_scale_likelihood": {"n_neighbors": 30},
    "reci_isotonic": {},
    "reci_knn": {"n_neighbors": 30},
    "mdl_score": {},
    "anm_score": {"n_neighbors": 10},
    "reci": {},
    "igci_slope": {"reference": "gaussian"},
}


def direction_scores(bench, name, kwargs) -> np.ndarray:
    kernel = getattr(causal, name)
    out = np.empty(len(bench.pairs))
    for i, pair in enumerate(bench.pairs):
        out[i] = kernel(pair.b, pair.a, **kwargs) - kernel(pair.a, pair.b, **kwargs)
    # an undefined score says nothing: zero counts one half
    return np.where(np.isfinite(out), out, 0.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--scores", default="quantile_score,location_scale_hsic,"
                        "location_scale_likelihood", help="comma-separated, of: "
                        + ", ".join(SCORES))
    parser.add_argument("--n-neighbors", type=int, default=None,
                        help="override n_neighbors of the kNN-based scores")
    args = parser.parse_args(argv)
    names = args.scores.split(",")
    unknown = [n for n in names if n not in SCORES]
    if unknown:
        parser.error(f"unknown score(s) {unknown}; known: {list(SCORES)}")
    benches = [datasets.read_benchmark(folder) for folder in args.folders]
    rows = []
    for name in names:
        kwargs = dict(SCORES[name])
        if args.n_neighbors is not None and "n_neighbors" in kwargs:
            kwargs["n_neighbors"] = args.n_neighbors
        label = name + "".join(f" {v}" for v in kwargs.values())
        start = time.perf_counter()
        accs = {}
        for bench in benches:
            score = direction_scores(bench, name, kwargs)
            weights = bench.weights if bench.weighted else None
            accs[bench.name] = (direction_accuracy(bench.ground_truth, score, weights),
                                direction_auc(bench.ground_truth, score, weights))
        rows.append((label, accs, time.perf_counter() - start))
    width = max(len(label) for label, _, _ in rows)
    unweighted = [b.name for b in benches if not b.weighted]
    header = "".join(f"{b.name:>8}" for b in benches)
    mean_header = f"{'mean' + str(len(unweighted)):>8}" if unweighted else ""
    print(f"{'accuracy (AUC below)':<{width}}{header}{mean_header}  seconds")
    for label, accs, seconds in rows:
        cells = "".join(f"{accs[b.name][0]:8.2f}" for b in benches)
        mean = (f"{np.mean([accs[n][0] for n in unweighted]):8.2f}" if unweighted else "")
        print(f"{label:<{width}}{cells}{mean}  {seconds:.1f}")
        cells = "".join(f"{accs[b.name][1]:8.2f}" for b in benches)
        print(f"{'':<{width}}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
