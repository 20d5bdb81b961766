"""A person's name: two fields, said as one."""

import pytest

from crm.names import person_name, split_name


@pytest.mark.parametrize(
    ("first", "last", "said"),
    [("Yael", "Cohen", "Yael Cohen"), ("Yael", "", "Yael"), ("", "Cohen", "Cohen"), (" ", " ", "")],
)
def test_a_name_is_said_first_name_first(first, last, said):
    assert person_name(first, last) == said


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Yael Cohen", ("Yael", "Cohen")),
        ("Marie de La Tour", ("Marie", "de La Tour")),
        ("  Jean   Dupont ", ("Jean", "Dupont")),
        ("Yael", ("Yael", "")),
        ("", ("", "")),
        ("יעל כהן", ("יעל", "כהן")),
    ],
)
def test_a_full_name_splits_at_the_first_word(full, parts):
    assert split_name(full) == parts
