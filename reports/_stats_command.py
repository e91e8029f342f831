"""``gradproof stats``: batch gradient statistics of logistic regression on a data file."""

from __future__ import annotations

import json

import torch

import numeric

__all__ = ["run_stats"]


def run_stats(args) -> int:
    source = numeric.open_labelled_file(args.data, args.label, args.chunk_size)
    features = len(source.features)
    if args.weights:
        w, b = numeric.load_weights(args.weights, features)
        origin = f"read from {args.weights} (features as given)"
        stats = numeric.stream_logreg_moments(source.chunks(), w, b).statistics()
    else:  # the same fit and statistics as `gradproof report --data`
        fit = numeric.fit_logreg(source.chunks, features, epochs=args.epochs)
        origin = f"fitted: {fit.describe()}"
        stats = numeric.logreg_data_statistics(source.chunks, fit)
    if stats.count < 2:
        raise numeric.InputError(f"data file {source.path}: {stats.count} row; tr(Sigma) and B_simple "
                                 "need at least two samples")
    report = {"data": str(source.path), "label": source.label, "features": features,
              "chunk_size": source.chunk_size, "weights": origin, **stats.as_dict()}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    G = stats.mean_gradient
    print(f"data               {report['data']} ({stats.count} rows, {features} features, label {source.label})")
    print(f"weights            {origin}")
    print(f"|G|                {stats.mean_gradient_norm:.6g}   (mean gradient of the mean BCE)")
    print(f"tr(Sigma)          {stats.trace_covariance:.6g}   (covariance of the per-sample gradients, "
          "divided by N)")
    print(f"B_simple           {stats.noise_scale:.6g}   (gradient noise scale tr(Sigma)/|G|^2)")
    print(f"misclassified      {stats.wrong_count} of {stats.count}, fraction {100 * stats.wrong_fraction:.1f}%"
          "   (signed margin (2y - 1) z <= 0)")
    print(f"misclassified share {100 * stats.wrong_share:.1f}%   "
          "(their part of the per-sample gradient magnitude, sum_wrong |g_i| / sum |g_i|)")
    print("G = " + ", ".join(f"{v:.4g}" for v in torch.as_tensor(G).tolist()))
    return 0
