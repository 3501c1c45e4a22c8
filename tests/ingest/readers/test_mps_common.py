"""What the MPS dashboard readers share: columns told by name whatever their case and punctuation."""

from __future__ import annotations

from metforward.ingest.readers.mps_common import columns, key


def test_columns_are_known_by_letters_and_digits_alone() -> None:
    assert key("Ethnicity (4+1)") == key("ethnicity_4+1") == "ethnicity41"
    header = ["Recorded Date (Months)", "COUNT", "Sheet"]
    assert columns(header, ("recordeddatemonths", "count"), ("sheet",)) == {
        "recordeddatemonths": "Recorded Date (Months)",
        "count": "COUNT",
        "sheet": "Sheet",
    }
    assert columns(header[:2], ("recordeddatemonths", "count"), ("sheet",)) is not None  # the optional one left out
    assert columns(header, ("recordeddatemonths", "count")) is None  # a column not expected
    assert columns(["count", "Count"], ("count",)) is None  # a column twice
    assert columns(["count"], ("recordeddatemonths", "count")) is None  # one missing
