"""The bulletin's periods: the financial year to date against the same months a year earlier."""

from __future__ import annotations

import datetime as dt

from metforward.analyse.bulletin import financial_year_label, financial_year_to_date
from metforward.analyse.compare import Period

JUNE = dt.date(2025, 6, 1)


def test_financial_year_to_date() -> None:
    assert financial_year_to_date(JUNE) == (Period.parse("2024-04:2024-06"), Period.parse("2025-04:2025-06"))
    assert financial_year_to_date(dt.date(2026, 2, 1)) == (
        Period.parse("2024-04:2025-02"),
        Period.parse("2025-04:2026-02"),
    )
    assert financial_year_to_date(dt.date(2025, 4, 1))[1] == Period.parse("2025-04")
    assert financial_year_label(dt.date(2026, 3, 1)) == "2025/26"
    assert financial_year_label(JUNE) == "2025/26"
