"""Which feature families carry a model that transfers? The ablation table of issue 11.

One training set of generated pairs, one feature file, one LightGBM setting; each variant keeps
some feature families and blanks the others (all-NaN columns are never split on, so this is the
same as dropping them, and the mirror stays exact). Each variant is scored three ways:

* the validation suite (benchmark folders: the nine synthetic sets and the real Lisbon pairs),
  by accuracy and AUC of the direction score -- measured, never trained or tuned on;
* cross-validation grouped by generator family (each mechanism family, then each noise family,
  left out in turn within 3 folds), the bidirectional AUC on our own pairs that the pipelines
  select by;
* optionally ordinary stratified cross-validation (``--ordinary-cv``).

Usage::

    python scripts/ablation.py --train runs/x/data/train --features runs/x/features/train.parquet \\
        --bench ../shared/benchmarks --set fast --seeds 3

Scores of several LightGBM seeds are averaged (each standardised first) to take the model's own
randomness out of the comparison; what is left is the noise of the sets themselves: about 0.04
per synthetic set of 100 pairs and 0.08 on Lisbon's 37 sources. With ``--per-seed`` each seed's
model is scored on its own instead, and the table gives the mean of those scores and their
standard deviation (``sd`` columns): the spread a single shipped model is drawn from.

The training draw matters as much as the model's seed: run the same variants on a second
generated set (another ``--train``/``--features``, or ``--skip-pairs`` to take a later slice of
one large set) before trusting a difference.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from causepairs.benchmark import read_suite
from causepairs.factory.extract import extract_features
from causepairs.factory.spec import load_feature_set
from causepairs.io import read_target
from causepairs.metrics import direction_accuracy, direction_auc
from causepairs.model import CausalDirectionModel, cross_validate_model
from causepairs.parts import read_features

#: Families of fitted models (the factory's combinatorial bulk).
FITTED_FAMILIES = ("regression", "classification")
#: The principled direction scores (ANM, IGCI, RECI, CDS, QCCD, LOCI, SLOPE-like).
PRINCIPLED_FAMILIES = ("causal",)
#: Each variable's own shape, type and the pair's size.
MARGINAL_FAMILIES = ("univariate", "type", "size")

VARIANTS = {
    "all": lambda family: True,
    "no_fitted": lambda family: family not in FITTED_FAMILIES,
    "fitted_only": lambda family: family in FITTED_FAMILIES,
    "principled_only": lambda family: family in PRINCIPLED_FAMILIES,
    # Without the variables' own shapes (entropy, moments, distinct values): the cues a
    # generator's choice of cause and noise distributions decides most directly.
    "no_fitted_no_marginals": lambda family: family not in FITTED_FAMILIES + MARGINAL_FAMILIES,
    # The same, keeping the declared types and the size (what a categorical pair needs).
    "no_fitted_no_shapes": lambda family: family not in FITTED_FAMILIES + ("univariate",),
}


def column_families(feature_set) -> dict[str, str]:
    """Column name -> name of the family that computes it."""
    families = {}
    for plan, cells in zip(feature_set.plans, feature_set.layout):
        for scopes in cells:
            for indices in scopes.values():
                for i in indices:
                    families[feature_set.columns[i]] = plan.family.name
    return families


def blank(frame: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    out = frame.copy()
    out.loc[:, [c for c in frame.columns if c not in set(keep)]] = np.nan
    return out


def seed_scores(feature_set, X, y, X_eval, seeds: int, params: dict):
    """Each LightGBM seed's direction scores of ``X_eval``, one array per seed."""
    for seed in range(seeds):
        model = CausalDirectionModel(feature_set, random_state=seed, **params).fit(X, y)
        yield model.predict(X_eval)


def averaged_scores(feature_set, X, y, X_eval, seeds: int, params: dict) -> np.ndarray:
    total = np.zeros(len(X_eval))
    for score in seed_scores(feature_set, X, y, X_eval, seeds, params):
        spread = float(np.std(score))
        total += score / spread if spread > 0 else score
    return total / seeds


def suite_scores(truth: dict, score: pd.Series) -> dict:
    """Accuracy and AUC per benchmark set, and the mean over the equally weighted sets."""
    row, equal_weight = {}, []
    for name, (gt, weights, ids) in truth.items():
        s = score.loc[ids].to_numpy()
        row[name] = direction_accuracy(gt, s, weights)
        row[f"{name} AUC"] = direction_auc(gt, s, weights)
        if weights is None:
            equal_weight.append(name)
    row["mean"] = np.mean([row[n] for n in equal_weight])
    row["mean AUC"] = np.nanmean([row[f"{n} AUC"] for n in equal_weight])
    return row


def grouped_cv_auc(feature_set, X, y, recipes: pd.DataFrame, params: dict) -> float:
    aucs = []
    for column in ("mechanism_family", "noise_family"):
        labels = recipes.loc[X.index, column].astype(str).to_numpy()
        result = cross_validate_model({"feature_set": feature_set, **params}, X, y, labels,
                                      n_folds=min(3, len(np.unique(labels))))
        aucs.append(result["auc"])
    return float(np.mean(aucs))


def left_out_family_auc(feature_set, X, y, recipes: pd.DataFrame, params: dict) -> dict:
    """Bidirectional AUC on each generator family when it is left out of training entirely.

    Leave-one-group-out over ``mechanism_family`` and over ``noise_family``: a family whose
    pairs are scored much worse when unseen is one whose cues the model does not generalise.
    """
    from causepairs.metrics import bidirectional_auc

    scores = {}
    for column in ("mechanism_family", "noise_family"):
        labels = recipes.loc[X.index, column].astype(str).to_numpy()
        groups = np.unique(labels)
        result = cross_validate_model({"feature_set": feature_set, **params}, X, y, labels,
                                      n_folds=len(groups))
        target = np.asarray(y)
        for group in groups:
            inside = labels == group
            if len(np.unique(target[inside])) > 1:
                scores[f"{column}={group}"] = bidirectional_auc(target[inside],
                                                                 result["oof_score"][inside])
    return scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, required=True,
                        help="generated data folder (PREFIX_target.csv, PREFIX_recipes.csv)")
    parser.add_argument("--prefix", default="train")
    parser.add_argument("--features", type=Path, required=True, help="its features (Parquet)")
    parser.add_argument("--skip-pairs", type=int, default=0,
                        help="leave out the first N training pairs (another training draw)")
    parser.add_argument("--n-pairs", type=int,
                        help="use only the first N training pairs (a learning curve)")
    parser.add_argument("--bench", type=Path, nargs="+", required=True, help="benchmark folders")
    parser.add_argument("--bench-features", type=Path,
                        help="cache of the benchmark features (computed and written if absent)")
    parser.add_argument("--set", dest="feature_set", default="fast")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--per-seed", action="store_true",
                        help="score each seed's model on its own: mean and sd over seeds")
    parser.add_argument("--direction-only", action="store_true",
                        help="train on the causal pairs only (target +-1)")
    parser.add_argument("--ordinary-cv", action="store_true")
    parser.add_argument("--no-grouped-cv", action="store_true")
    parser.add_argument("--per-family", action="store_true",
                        help="also leave each generator family out in turn and print its AUC")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a CausalDirectionModel parameter, e.g. num_leaves=15")
    parser.add_argument("--out", type=Path, help="write the table as Markdown too")
    args = parser.parse_args(argv)

    feature_set = load_feature_set(args.feature_set)
    columns = list(feature_set.columns)
    params = {"n_jobs": args.n_jobs}
    for item in args.param:
        name, _, value = item.partition("=")
        params[name] = float(value) if "." in value else int(value) if value.lstrip("-").isdigit() else value
    X = read_features(args.features).loc[:, columns].iloc[args.skip_pairs:]
    if args.n_pairs is not None:
        X = X.iloc[:args.n_pairs]
    y = read_target(args.train / f"{args.prefix}_target.csv").loc[X.index, "Target"]
    recipes = pd.read_csv(args.train / f"{args.prefix}_recipes.csv").set_index("SampleID")
    if args.direction_only:
        keep = (y != 0).to_numpy()
        X, y = X[keep], y[keep]

    suite = read_suite(args.bench)
    if args.bench_features is not None and args.bench_features.exists():
        B = pd.read_parquet(args.bench_features).loc[:, columns]
    else:
        B = extract_features(suite.pairs, suite.publicinfo(), feature_set,
                             n_jobs=args.n_jobs).loc[:, columns]
        if args.bench_features is not None:
            B.to_parquet(args.bench_features)
    truth = {b.name: (np.asarray(b.ground_truth), np.asarray(b.weights) if b.weighted else None,
                      [p.sample_id for p in b.pairs]) for b in suite.benchmarks}

    families = column_families(feature_set)
    rows, per_family = {}, {}
    for variant in args.variants.split(","):
        started = time.perf_counter()
        keep = [c for c in columns if VARIANTS[variant](families[c])]
        Xv, Bv = blank(X, keep), blank(B, keep)
        if args.per_seed:
            per_seed = [suite_scores(truth, pd.Series(score, index=B.index))
                        for score in seed_scores(feature_set, Xv, y, Bv, args.seeds, params)]
            row = {k: float(np.mean([r[k] for r in per_seed])) for k in per_seed[0]}
            row.update({f"{k} sd": float(np.std([r[k] for r in per_seed], ddof=1))
                        for k in per_seed[0] if k == "mean" or truth.get(k, (0, None))[1] is not None}
                       if args.seeds > 1 else {})
        else:
            score = pd.Series(averaged_scores(feature_set, Xv, y, Bv, args.seeds, params),
                              index=B.index)
            row = suite_scores(truth, score)
        row = {"pairs": len(X), "columns": len(keep), **row}
        if not args.no_grouped_cv:
            row["grouped CV AUC"] = grouped_cv_auc(feature_set, Xv, y, recipes, params)
        if args.ordinary_cv:
            row["CV AUC"] = cross_validate_model({"feature_set": feature_set, **params}, Xv, y)["auc"]
        if args.per_family:
            per_family[variant] = left_out_family_auc(feature_set, Xv, y, recipes, params)
        row["seconds"] = time.perf_counter() - started
        rows[variant] = row
        print(variant, {k: round(float(v), 3) for k, v in row.items()}, flush=True)
    table = pd.DataFrame(rows).T
    # The published table's order first (README of the benchmarks), then any other set.
    order = ["SIM", "SIM-c", "SIM-ln", "SIM-G", "AN", "AN-s", "LS", "LS-s", "MN-U"]
    equal = [n for n in order if n in truth] + [n for n in truth if n not in order
                                                 and truth[n][1] is None]
    weighted = [n for n in truth if truth[n][1] is not None]
    shown = (["pairs", "columns"] + equal + ["mean", "mean AUC"]
             + [c for c in ["mean sd"] if c in table.columns]
             + [c for n in weighted for c in (n, f"{n} AUC", f"{n} sd") if c in table.columns]
             + [c for c in ("grouped CV AUC", "CV AUC", "seconds") if c in table.columns])
    table = table.astype(float)
    table[["pairs", "columns"]] = table[["pairs", "columns"]].astype(int)
    text = (table[shown].to_markdown(floatfmt=".3f") if _has_tabulate()
            else table[shown].round(3).to_string())
    if per_family:
        family_table = pd.DataFrame(per_family)
        text += ("\n\nBidirectional AUC of each family's pairs when that family is left out of "
                 "training:\n\n" + (family_table.to_markdown(floatfmt=".3f") if _has_tabulate()
                                    else family_table.round(3).to_string()))
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
