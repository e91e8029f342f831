"""The setting every experiment of the report shares: the data, the seed, the device, the fitted
logistic regression, and how numbers are rounded for captions and the manifest."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import SupportsFloat

import torch

from gradproof import numeric

__all__ = ["LogregData", "Setting", "fitted", "fitted_state", "initial_weights", "whole_data_chunks",
           "rounded", "significant", "nan_mean"]


@dataclass(frozen=True)
class LogregData:
    """Features, labels and where they came from."""

    X: torch.Tensor
    y: torch.Tensor
    source: str


@dataclass(frozen=True)
class Setting:
    """``logreg`` holds the data as given; :func:`fitted` standardises it and fits the model."""

    seed: int
    device: torch.device
    logreg: LogregData
    batch_size: int = 64
    steps: int = 120
    lr: float = 0.5
    fit: numeric.data.LogregFit | None = None
    given: LogregData | None = None  # the data before standardisation, once fitted

    def fitted_parts(self) -> tuple[numeric.data.LogregFit, LogregData]:
        """The fit and the data as given, of a setting that :func:`fitted` returned."""
        if self.fit is None or self.given is None:
            raise RuntimeError("the setting is not fitted: pass it through fitted() first")
        return self.fit, self.given


def whole_data_chunks(data: LogregData):
    X, y = data.X.detach().double().cpu().numpy(), data.y.detach().double().cpu().numpy()
    return lambda: iter([(X, y)])


def fitted(setting: Setting) -> Setting:
    """The setting with its features standardised and the model fitted, both by
    ``numeric.data.fit_logreg``: the fit that ``gradproof stats`` makes of the same data."""
    if setting.fit is not None:
        return setting
    data = setting.logreg
    fit = numeric.data.fit_logreg(whole_data_chunks(data), data.X.shape[1])
    X = torch.from_numpy(fit.standardisation.apply(data.X.double().cpu().numpy())).to(data.X.dtype)
    return replace(setting, logreg=LogregData(X, data.y, data.source), fit=fit, given=data)


def fitted_state(setting: Setting) -> numeric.training.LogregState:
    """The fitted model (``numeric.data.fit_logreg``) on the setting's device."""
    fit, _ = fitted(setting).fitted_parts()
    dtype = setting.logreg.X.dtype
    return numeric.training.LogregState(fit.w.to(setting.device, dtype), fit.b.to(setting.device, dtype))


def initial_weights(setting: Setting) -> tuple[torch.Tensor, torch.Tensor]:
    """Small seeded weights, N(0, 0.1^2) (as a network starts), so that no prediction is
    exactly 1/2 at the first step."""
    gen = torch.Generator().manual_seed(setting.seed + 5)
    d, dtype = setting.logreg.X.shape[1], setting.logreg.X.dtype
    wb = 0.1 * torch.randn(d + 1, generator=gen, dtype=torch.float64)
    return wb[:d].to(setting.device, dtype), wb[d].to(setting.device, dtype)


def rounded(value: SupportsFloat, digits: int = 4) -> float:
    return float(round(float(value), digits))


def significant(value: SupportsFloat, digits: int = 6) -> float:
    """``value`` to ``digits`` significant digits."""
    return float(f"{float(value):.{digits}g}")


def nan_mean(values) -> float:
    values = [v for v in values if v == v]
    return sum(values) / len(values) if values else float("nan")

