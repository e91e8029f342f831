"""The experiments behind the report's figures, run through ``numeric``; each returns a FigureData."""

from ._lesson import TwoSamples as TwoSamples
from ._lesson import two_samples as two_samples
from ._losses import loss_figures as loss_figures
from ._losses import parse_losses as parse_losses
from ._run import run_experiments as run_experiments
from ._setting import LogregData as LogregData
from ._setting import Setting as Setting
from ._statistics import statistics_table as statistics_table

__all__ = ["TwoSamples", "two_samples", "LogregData", "Setting", "loss_figures", "parse_losses", "run_experiments",
           "statistics_table"]
