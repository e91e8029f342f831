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
        origin = f"read from {args.weights}"
    else:
        w, b = numeric.fit_logreg_streaming(source.chunks, features, epochs=args.epochs)
        origin = f"fitted by {args.epochs} epochs of mini-batch SGD"
    stats = numeric.stream_logreg_moments(source.chunks(), w, b).statistics()
    if stats.count < 2:
        raise numeric.InputError(f"data file {source.path}: {stats.count} row; tr(Sigma) and B_simple "
                                 "(sample covariance) need at least two samples")
    report = {"data": str(source.path), "label": source.label, "features": features,
              "chunk_size": source.chunk_size, "weights": origin, **stats.as_dict()}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    G = stats.mean_gradient
    print(f"data               {report['data']} ({stats.count} rows, {features} features, label {source.label})")
    print(f"weights            {origin}")
    print(f"|G|                {stats.mean_gradient_norm:.6g}   (mean gradient of the mean BCE)")
    print(f"tr(Sigma)          {stats.trace_covariance:.6g}   (per-sample gradient covariance)")
    print(f"B_simple           {stats.noise_scale:.6g}   (gradient noise scale tr(Sigma)/|G|^2)")
    print(f"misclassified      {stats.wrong_count} of {stats.count} "
          f"({100 * stats.wrong_count / stats.count:.1f}%)")
    print(f"their share of G   {100 * stats.wrong_share:.1f}%")
    print("G = " + ", ".join(f"{v:.4g}" for v in torch.as_tensor(G).tolist()))
    return 0
