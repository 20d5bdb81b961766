import pytest

from mini_analysis.keys import identity_key, normalize_key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  My Brand ", "my brand"),
        ("MY\tBRAND", "my brand"),
        ("My   Brand", "my brand"),
        ("ÉCOLE Café", "école café"),
        ("Ｍｙ Ｂｒａｎｄ", "my brand"),
        ("קפה השדרה ", "קפה השדרה"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_key_ignores_case_width_and_surrounding_or_repeated_spaces(raw, key):
    assert normalize_key(raw) == key


def test_identity_key_pairs_the_normalized_email_and_brand():
    assert identity_key("Ana@X.com", "My Brand") == identity_key(" ana@x.com ", "my brand")
