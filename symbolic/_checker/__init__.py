"""The formula checker: a whitelist parser for user formulas and the prove/refute decision."""

from ._checker import Target as Target
from ._checker import Verdict as Verdict
from ._checker import check as check
from ._checker import target_of as target_of
from ._checker import targets as targets
from ._parse import FormulaError as FormulaError
from ._parse import parse_formula as parse_formula

__all__ = ["FormulaError", "Target", "Verdict", "check", "parse_formula", "target_of", "targets"]
