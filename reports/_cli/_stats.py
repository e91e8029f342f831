"""``gradproof stats``: batch gradient statistics of logistic regression on a data file."""

from __future__ import annotations

import json

import torch

from gradproof import numeric

from .._experiments import statistics_table

__all__ = ["run_stats"]


def run_stats(args) -> int:
    source = numeric.data.open_labelled_file(args.data, args.label, args.chunk_size)
    features = len(source.features)
    if args.weights:
        w, b = numeric.data.load_weights(args.weights, features)
        origin = f"read from {args.weights} (features as given)"
        stats = numeric.data.stream_logreg_moments(source.chunks(), w, b).statistics()
    else:  # the same fit and statistics as `gradproof report --data`
        fit = numeric.data.fit_logreg(source.chunks, features, epochs=args.epochs)
        origin = f"fitted: {fit.describe()}"
        stats = numeric.data.logreg_data_statistics(source.chunks, fit)
    if stats.count < 2:
        raise numeric.InputError(f"data file {source.path}: {stats.count} row; tr(Sigma) and B_simple "
                                 "need at least two samples", argument="data file")
    report = {"data": str(source.path), "label": source.label, "features": features,
              "chunk_size": source.chunk_size, "weights": origin, **stats.as_dict()}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    rows = {"data": f"{report['data']} ({stats.count} rows, {features} features, label {source.label})",
            "weights": origin, **statistics_table(stats)}  # the names and numbers of the report's table
    width = max(map(len, rows)) + 2
    for name, value in rows.items():
        print(f"{name:<{width}}{value}")
    print("G = " + ", ".join(f"{v:.4g}" for v in torch.as_tensor(stats.mean_gradient).tolist()))
    return 0
