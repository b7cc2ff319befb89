"""The spending ratio (charitable spending and management costs against their thresholds), in whole fen."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class RatioCheck:
    """One rule of the spending check: ``numerator / denominator`` against a threshold in percent."""

    numerator: int
    denominator: int
    threshold: Fraction
    at_least: bool
    """True: the ratio must be at least the threshold; False: at most."""

    @property
    def applicable(self) -> bool:
        return self.denominator > 0

    @property
    def percent(self) -> Fraction | None:
        return Fraction(self.numerator * 100, self.denominator) if self.applicable else None

    @property
    def met(self) -> bool | None:
        """None when there is nothing to measure against (no income last year, no spending this year)."""
        if not self.applicable:
            return None
        # Compared in whole fen, never in floats.
        lhs, rhs = self.numerator * 100, self.threshold * self.denominator
        return lhs >= rhs if self.at_least else lhs <= rhs


def spending_checks(last_year_income: int, charitable_spending: int, management_costs: int, total_spending: int,
                    min_spending_pct: Fraction, max_management_pct: Fraction) -> tuple[RatioCheck, RatioCheck]:
    """(charitable spending ≥ min % of last year's income, management costs ≤ max % of this year's spending)."""
    return (RatioCheck(charitable_spending, last_year_income, min_spending_pct, True),
            RatioCheck(management_costs, total_spending, max_management_pct, False))


def format_percent(value: Fraction | None) -> str:
    """``70.00%``: two decimals, rounded half up."""
    if value is None:
        return "—"
    hundredths = (value * 100 * 2 + 1) // 2  # floor(x + 1/2)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"
