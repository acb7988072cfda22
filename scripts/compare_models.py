"""Compare feature sets and model formulations on the same pairs, ordinary and grouped CV.

Reads feature matrices already computed (``causepairs features``) for one labelled data set
and prints, per feature set and formulation, the bidirectional AUC of out-of-fold scores from
stratified K-fold and from K-fold grouped by each generator-family column of the recipes
(pairs of one family are never in both the training and the scoring folds), and the LightGBM
fit time::

    python scripts/compare_models.py --data DIR --prefix train \
        --features fast=fast.parquet full=full.parquet --n-estimators 150

The grouped scores are the ones to choose by: the model is judged on real pairs that no
generator made.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from causepairs.factory.spec import load_feature_set
from causepairs.io import read_target
from causepairs.model import FORMULATIONS, cross_validate_model


def _variant(text: str) -> tuple[str, dict]:
    """``NAME:K=V,K=V`` -> (NAME, {K: V}) with numbers parsed."""
    name, _, assignments = text.partition(":")
    params = {}
    for item in filter(None, assignments.split(",")):
        key, _, value = item.partition("=")
        params[key] = float(value) if "." in value else int(value)
    return name, params


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True,
                        help="directory with PREFIX_target.csv and PREFIX_recipes.csv")
    parser.add_argument("--prefix", default="train")
    parser.add_argument("--features", nargs="+", required=True, metavar="SET=PATH",
                        help="feature set name and its Parquet matrix, e.g. fast=f.parquet")
    parser.add_argument("--formulations", default=",".join(FORMULATIONS))
    parser.add_argument("--variant", action="append", default=[], metavar="NAME:K=V[,K=V]",
                        help="extra model parameters to compare (repeatable), e.g. "
                             "leaves15:num_leaves=15; default: the model's defaults only")
    parser.add_argument("--group-by", default="mechanism_family,noise_family")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--group-folds", type=int, default=4)
    parser.add_argument("--n-estimators", type=int, default=150)
    parser.add_argument("--n-jobs", type=int, default=-1, help="LightGBM threads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    target = read_target(args.data / f"{args.prefix}_target.csv")
    recipes = pd.read_csv(args.data / f"{args.prefix}_recipes.csv",
                          dtype={"SampleID": str}).set_index("SampleID")
    group_by = [c for c in args.group_by.split(",") if c]
    variants = [("default", {})] + [_variant(text) for text in args.variant]
    rows = []
    for item in args.features:
        name, _, path = item.partition("=")
        feature_set = load_feature_set(name)
        X = pd.read_parquet(path)
        y = target["Target"].loc[X.index]
        for formulation, (variant, extra) in itertools.product(args.formulations.split(","),
                                                               variants):
            params = dict(feature_set=feature_set, formulation=formulation,
                          n_estimators=args.n_estimators, n_jobs=args.n_jobs, **extra)
            row = {"set": name, "columns": X.shape[1], "formulation": formulation,
                   "variant": variant}
            fit_seconds = []
            schemes = [("cv", None, args.folds)] + [
                (f"grouped:{c}", recipes.loc[X.index, c].astype(str).to_numpy(),
                 args.group_folds) for c in group_by]
            for scheme, groups, k in schemes:
                result = cross_validate_model(params, X, y, groups, n_folds=k, seed=args.seed)
                row[scheme] = result["auc"]
                fit_seconds.append(result["fit_seconds"] / result["n_splits"])
            row["grouped mean"] = float(np.mean([row[f"grouped:{c}"] for c in group_by]))
            row["s per fit"] = float(np.mean(fit_seconds))
            rows.append(row)
            print(row, file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    print(f"machine: {os.cpu_count()} cores; {len(target)} pairs; n_estimators "
          f"{args.n_estimators}; cv {args.folds}-fold, grouped {args.group_folds}-fold")
    header = "| " + " | ".join(table.columns) + " |"
    print(header)
    print("|" + "---|" * len(table.columns))
    for _, row in table.iterrows():
        cells = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.tolist()]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
