"""``build_report``: run the experiments, draw the figures, typeset report.pdf with Typst
(keeping its source report.typ and the style gradproof.typ beside it), write the course kit
(figures/F*.tex, derivations/) and manifest.json, all into a staging directory that replaces
the previous report only at the end, so an error, Ctrl-C or SIGTERM leaves the old report whole
and no partial new one (``_output``: only what gradproof wrote is ever replaced; ``_worker``:
the figure worker dies with this process)."""

from __future__ import annotations

import csv
import json
import logging
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import sympy
import torch
import typst

from gradproof import numeric
from gradproof._version import __version__
from gradproof.symbolic import InputError

from .._document import (
    SLIDE_FIGURES,
    STYLE,
    check_derivations,
    check_loss_derivations,
    document,
    loss_sections,
    loss_verified,
    html_edition,
    plain,
    slides_source,
    with_alt_text,
    write_kit,
    write_loss_kit,
)
from .._experiments import LogregData, Setting, loss_figures, parse_losses, run_experiments, two_samples
from .._figure_data import FigureData
from .._figures import SAVE_METADATA, apply_style, draw, draw_for_slides
from ._output import staged_output
from ._progress import Progress
from ._worker import Background

__all__ = ["build_report", "FORMATS", "VERSION"]

FORMATS = ("pdf", "png", "svg")
VERSION = __version__
FIXED_EPOCH = "1262304000"  # 2010-01-01: fixes the timestamps of embedded fonts (the PDF carries no date)
PRODUCTS = ("report.pdf", "report.html", "report.typ", "slides.pdf", "slides.typ", "gradproof.typ", "fonts", "figures", "derivations", "manifest.json")


def _logreg_data(seed: int, data: str | None, label: str | None) -> LogregData:
    if data is None:
        if label is not None:
            raise InputError("--label: given without --data")
        X, y = numeric.training.synthetic_logreg_data(seed)
        return LogregData(X, y, f"synthetic Gaussian classes, seed {seed}")
    table = numeric.data.read_labelled_csv(data, label)
    X = torch.from_numpy(table.X)  # standardised with the fit, numeric.data.fit_logreg
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
            "typst": typst.__version__,  # type: ignore[attr-defined]  # the package has it; its stubs do not
            "python": platform.python_version(), "seed": str(seed), "device": str(device),
            "data": source}


def _write_csv(path: Path, data: FigureData) -> None:
    names = list(data.columns)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for row in zip(*(data.columns[n] for n in names)):
            writer.writerow([f"{v:.10g}" if isinstance(v, float) else v for v in row])


def _save_figure(data: FigureData, folder: Path, formats) -> list[str]:
    fig = draw(data)
    names = []
    for fmt in formats:
        name = f"{data.name}.{fmt}"
        fig.savefig(folder / name, format=fmt, metadata=SAVE_METADATA[fmt])
        names.append(f"figures/{name}")
    plt.close(fig)
    _write_csv(folder / f"{data.name}.csv", data)
    return names + [f"figures/{data.name}.csv"]


def _save_slide_figures(figures: list[FigureData], folder: Path) -> list[str]:
    """The slides' versions of SLIDE_FIGURES, as SVG in ``folder``/slides."""
    (folder / "slides").mkdir(exist_ok=True)
    names = []
    for data in figures:
        if data.name.split("-")[0] in SLIDE_FIGURES:
            fig = draw_for_slides(data)
            fig.savefig(folder / "slides" / f"{data.name}.svg", format="svg", metadata=SAVE_METADATA["svg"])
            plt.close(fig)
            names.append(f"figures/slides/{data.name}.svg")
    return names


def _save_figures(figures: list[FigureData], folder: Path, formats) -> tuple[dict[str, list[str]], list[str]]:
    apply_style()
    return {f.name: _save_figure(f, folder, formats) for f in figures}, _save_slide_figures(figures, folder)


def _background() -> Background:
    """One background process for the figures, beside the PDF; it dies with this process."""
    return Background()


EMBEDDED_FORMAT = "svg"  # PDF/UA-1 forbids embedded PDFs; SVG keeps the figures' text as text
# The fonts the figures' SVG text names (matplotlib's own copies), put beside report.typ so that
# Typst draws the figures with them and nothing from the system.
FIGURE_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
                "DejaVuSansDisplay.ttf", "LICENSE_DEJAVU")


def _copy_figure_fonts(folder: Path) -> Path:
    fonts = folder / "fonts"
    fonts.mkdir(exist_ok=True)
    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in FIGURE_FONTS:
        (fonts / name).write_bytes((source / name).read_bytes())
    return fonts


def _typeset(folder: Path, source: str, slides: str | None = None) -> None:
    """Write report.typ and gradproof.typ into ``folder`` and compile report.pdf from them as
    PDF/UA-1 (every formula and figure with alternative text), with Typst's own fonts and the
    figures' fonts beside it only, and a fixed date, so the bytes depend on nothing else; then
    report.html, the HTML edition of the same source, and slides.pdf from ``slides``."""
    (folder / "gradproof.typ").write_text(STYLE.read_text())
    (folder / "report.typ").write_text(with_alt_text(source))
    fonts = _copy_figure_fonts(folder)
    typst.compile(str(folder / "report.typ"), output=str(folder / "report.pdf"), root=str(folder),
                  ignore_system_fonts=True, font_paths=[str(fonts)], timestamp=int(FIXED_EPOCH),
                  pdf_standards=["ua-1"])
    page = typst.compile(str(folder / "report.typ"), format="html", root=str(folder), ignore_system_fonts=True,
                         font_paths=[str(fonts)], timestamp=int(FIXED_EPOCH))
    (folder / "report.html").write_text(html_edition(page.decode("utf-8")), encoding="utf-8")
    if slides is not None:
        (folder / "slides.typ").write_text(with_alt_text(slides))
        typst.compile(str(folder / "slides.typ"), output=str(folder / "slides.pdf"), root=str(folder),
                      ignore_system_fonts=True, font_paths=[str(fonts)], timestamp=int(FIXED_EPOCH),
                      pdf_standards=["ua-1"])


def build_report(out: str | os.PathLike = "gradproof-report", *, seed: int = 0, device: str | None = None,
                 data: str | None = None, label: str | None = None,
                 formats: tuple[str, ...] = ("pdf", "png"), quiet: bool = False,
                 losses: tuple[str, ...] = (), on_installed: Callable[[Path], None] | None = None) -> Path:
    """Write ``out/report.pdf``, ``out/figures/`` and ``out/manifest.json``; return the PDF path.

    ``losses`` (``NAME[:param=value,...]`` or formulas) add the two loss figures and a section of
    derivations per loss; without them the report is the default one.  ``on_installed(out)`` is
    called once the new report is in place: a signal that arrives after that point (its
    ``KeyboardInterrupt``) leaves the new report, complete (``_output``)."""
    numeric.runtime.check_seed(seed)
    formats = _check_formats(tuple(formats))
    chosen = numeric.runtime.resolve_device(device)
    logreg = _logreg_data(seed, data, label)
    chosen_losses = parse_losses(losses)
    os.environ.setdefault("SOURCE_DATE_EPOCH", FIXED_EPOCH)
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # it calls every fixed font date "very low"
    apply_style()
    # one thread: one order of float sums
    with staged_output(out, PRODUCTS, on_installed) as stage, numeric.runtime.single_thread():
        _write_products(stage, seed, chosen, logreg, formats, quiet, chosen_losses)
    return Path(out) / "report.pdf"


def _write_products(stage: Path, seed: int, device: torch.device, logreg: LogregData,
                    formats, quiet: bool, losses=()) -> None:
    progress = Progress(enabled=not quiet and sys.stderr.isatty(), total=5)
    progress.stage("running the experiments")
    setting = Setting(seed, device, logreg)
    figures, batch_stats = run_experiments(setting, progress=progress.tick)
    figures += loss_figures(losses, setting)
    progress.stage("checking closed forms against autograd and finite differences")
    results = numeric.verify(device=device)
    stamp = _stamp(seed, device, logreg.source)
    if losses:  # --loss is part of what reproduces the run, in the manifest as in the PDF
        stamp["loss"] = "; ".join(getattr(spec, "name", str(spec)) for spec in losses)
    folder = stage / "figures"
    folder.mkdir()
    embedded = EMBEDDED_FORMAT
    saved = tuple(dict.fromkeys((*formats, embedded)))
    progress.stage("drawing the figures and re-checking every derivation")
    with _background() as pool:
        saving = pool.submit(_save_figures, figures, folder, saved)
        checks = check_derivations()
        loss_checks = check_loss_derivations(losses)
        files, slide_files = saving.result()
    progress.stage("typesetting report.pdf with Typst")
    images = {f.name: f"figures/{f.name}.{embedded}" for f in figures}
    source = document(footer=f"gradproof {VERSION} report, seed {seed}", stamp=stamp, figures=figures,
                      images=images, stats=batch_stats, checks=checks, results=results,
                      loss_sections=loss_sections(loss_checks))
    slides = slides_source(two=two_samples(), figures=figures, footer=f"gradproof {VERSION}, seed {seed}",
                           images={Path(f).stem: f for f in slide_files})
    _typeset(stage, source, slides)
    progress.stage("writing the course kit (LaTeX and Typst snippets)")
    kit = write_kit(stage, figures, checks)
    loss_kit = write_loss_kit(stage, loss_checks)
    manifest = {
        "stamp": stamp,
        "figures": [{"number": i, "name": f.name, "title": f.title, "caption": plain(f.caption),
                     "files": files[f.name] + kit[f.name], "key_numbers": f.key_numbers}
                    for i, f in enumerate(figures, start=1)],
        "batch_statistics": batch_stats,
        "derivations_verified": {c.derivation.name: c.verified for c in checks} | loss_verified(loss_checks),
        "verification": [r.as_dict() for r in results],
    }
    manifest["slides"] = {"source": "slides.typ", "pdf": "slides.pdf", "figures": slide_files}
    if loss_kit:
        manifest["loss_derivation_files"] = loss_kit
    (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    progress.stage("done")
