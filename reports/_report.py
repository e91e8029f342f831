"""``build_report``: run the experiments, draw the figures, write report.pdf, figures/ and
manifest.json, all into a staging directory that replaces the previous report only at the
end, so an error, Ctrl-C or SIGTERM leaves the old report whole and no partial new one
(``_output``: only what gradproof wrote is ever replaced; ``_worker``: the figure worker
dies with this process)."""

from __future__ import annotations

import csv
import json
import logging
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import sympy
import torch
from matplotlib.backends.backend_pdf import PdfPages
from tqdm import tqdm

import numeric
from symbolic import InputError

from ._experiments import FigureData, LogregData, Setting, run_experiments
from ._figures import draw
from ._layout import PageWriter
from ._output import staged_output
from ._pages import (
    batch_statistics_page,
    derivation_pages,
    figure_page,
    question_page,
    title_page,
    verification_pages,
)
from ._style import SAVE_METADATA, apply_style
from ._worker import Background

__all__ = ["build_report", "FORMATS", "VERSION"]

FORMATS = ("pdf", "png", "svg")
try:
    VERSION = metadata.version("gradproof")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    VERSION = "unknown"
FIXED_EPOCH = "1262304000"  # 2010-01-01: fixes the timestamps of embedded fonts
PRODUCTS = ("report.pdf", "figures", "manifest.json")


def _logreg_data(seed: int, data: str | None, label: str | None) -> LogregData:
    if data is None:
        if label is not None:
            raise InputError("--label: given without --data")
        X, y = numeric.synthetic_logreg_data(seed)
        return LogregData(X, y, f"synthetic Gaussian classes, seed {seed}")
    table = numeric.read_labelled_csv(data, label)
    X = torch.from_numpy(table.X)  # standardised with the fit, numeric.fit_logreg
    return LogregData(X, torch.from_numpy(table.y), f"{Path(data).name}, label {table.label!r}, "
                      f"{len(table.y)} rows, {len(table.features)} standardised features")


def _check_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    if not formats:
        raise InputError("--formats: give at least one of pdf, png, svg")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise InputError(f"--formats: unknown format {unknown[0]!r}; choose from pdf, png, svg")
    return tuple(dict.fromkeys(formats))


def _stamp(seed: int, device: torch.device, source: str) -> dict[str, str]:
    return {"gradproof": VERSION, "torch": torch.__version__, "sympy": sympy.__version__,
            "matplotlib": matplotlib.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "seed": str(seed), "device": str(device),
            "data": source}


def _write_csv(path: Path, data: FigureData) -> None:
    names = list(data.columns)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for row in zip(*(data.columns[n] for n in names)):
            writer.writerow([f"{v:.10g}" if isinstance(v, float) else v for v in row])


def _save_figure(data: FigureData, number: int, folder: Path, formats) -> list[str]:
    fig = draw(data)
    names = []
    for fmt in formats:
        name = f"{data.name}.{fmt}"
        fig.savefig(folder / name, format=fmt, metadata=SAVE_METADATA[fmt])
        names.append(f"figures/{name}")
    plt.close(fig)
    _write_csv(folder / f"{data.name}.csv", data)
    return names + [f"figures/{data.name}.csv"]


def _save_figures(figures: list[FigureData], folder: Path, formats) -> dict[str, list[str]]:
    apply_style()
    return {f.name: _save_figure(f, i, folder, formats) for i, f in enumerate(figures, start=1)}


def _background() -> Background:
    """One background process for the figures, beside the PDF; it dies with this process."""
    return Background()


def _write_pdf(path: Path, seed: int, stamp: dict, figures, batch_stats, results, bar) -> dict[str, bool]:
    footer = f"gradproof {VERSION} report, seed {seed}"
    with PdfPages(path, metadata=SAVE_METADATA["pdf"]) as pdf:
        writer = PageWriter(pdf, footer)
        title_page(writer, stamp)
        question_page(writer, figures, "")
        verified = derivation_pages(writer)
        bar.update()
        verification_pages(writer, results)
        batch_statistics_page(writer, figures, batch_stats)
        writer.close_page()
        for i, f in enumerate(figures, start=1):
            figure_page(pdf, f, i, footer)
    return verified


def build_report(out: str | os.PathLike = "gradproof-report", *, seed: int = 0, device: str | None = None,
                 data: str | None = None, label: str | None = None,
                 formats: tuple[str, ...] = ("pdf", "png"), quiet: bool = False) -> Path:
    """Write ``out/report.pdf``, ``out/figures/`` and ``out/manifest.json``; return the PDF path."""
    numeric.check_seed(seed)
    formats = _check_formats(tuple(formats))
    chosen = numeric.resolve_device(device)
    logreg = _logreg_data(seed, data, label)
    os.environ.setdefault("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # it calls every fixed font date "very low"
    apply_style()
    with staged_output(out, PRODUCTS) as stage, numeric.single_thread():  # one order of float sums
        _write_products(stage, seed, chosen, logreg, formats, quiet)
    return Path(out) / "report.pdf"


def _write_products(stage: Path, seed: int, device: torch.device, logreg: LogregData,
                    formats, quiet: bool) -> None:
    show = not quiet and sys.stderr.isatty()
    with tqdm(total=9, desc="gradproof report", disable=not show, leave=False) as bar:
        figures, batch_stats = run_experiments(Setting(seed, device, logreg), progress=bar.update)
        results = numeric.verify(device=device)
        bar.update()
        stamp = _stamp(seed, device, logreg.source)
        folder = stage / "figures"
        folder.mkdir()
        with _background() as pool:
            saving = pool.submit(_save_figures, figures, folder, formats)
            verified = _write_pdf(stage / "report.pdf", seed, stamp, figures, batch_stats, results, bar)
            files = saving.result()
        bar.update()
        manifest = {
            "stamp": stamp,
            "figures": [{"number": i, "name": f.name, "title": f.title, "caption": f.caption,
                         "files": files[f.name], "key_numbers": f.key_numbers}
                        for i, f in enumerate(figures, start=1)],
            "batch_statistics": batch_stats,
            "derivations_verified": verified,
            "verification": [r.as_dict() for r in results],
        }
        (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        bar.update()
