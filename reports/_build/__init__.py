"""Building the report: the run, the staged output directory, the Typst worker and progress."""

from ._report import build_report as build_report

__all__ = ["build_report"]
