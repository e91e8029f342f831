"""The formula checker: a whitelist parser for user formulas and the prove/refute decision."""

from ._assert import FormulaAssertionError as FormulaAssertionError
from ._assert import assert_formula as assert_formula
from ._checker import TOTAL_SECONDS as TOTAL_SECONDS
from ._checker import Target as Target
from ._checker import Verdict as Verdict
from ._checker import check as check
from ._checker import domain_cases as domain_cases
from ._checker import holds_everywhere as holds_everywhere
from ._checker import target_of as target_of
from ._checker import targets as targets
from ._parse import Condition as Condition
from ._parse import FormulaError as FormulaError
from ._parse import conditions_of as conditions_of
from ._parse import parse as parse
from ._parse import parse_formula as parse_formula

__all__ = ["FormulaAssertionError", "assert_formula", "TOTAL_SECONDS",
           "Condition", "FormulaError", "Target", "Verdict", "check", "conditions_of", "domain_cases",
           "holds_everywhere", "parse", "parse_formula", "target_of", "targets"]
