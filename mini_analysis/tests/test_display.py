"""Bidi display helpers: left-to-right values isolated, free text in its own direction, badges."""

import pytest
from django.db import models
from phonenumber_field.modelfields import PhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber

from mini_analysis import display
from mini_analysis.models import Status


def test_phone_is_formatted_for_reading_and_isolated_left_to_right():
    assert display.phone_html(PhoneNumber.from_string("+972502345678")) == (
        '<bdi dir="ltr">+972 50-234-5678</bdi>'
    )


def test_unparsable_phone_is_shown_as_it_is_still_left_to_right():
    assert display.phone_html("12<3") == '<bdi dir="ltr">12&lt;3</bdi>'


def test_empty_values_show_a_dash():
    assert display.phone_html("") == display.ltr_html(None) == display.auto_dir_html("") == "-"


def test_email_is_isolated_and_escaped():
    assert display.ltr_html("a<b@example.com") == '<bdi dir="ltr">a&lt;b@example.com</bdi>'


def test_free_text_takes_its_own_direction():
    assert display.auto_dir_html("שלום <b>") == '<span dir="auto">שלום &lt;b&gt;</span>'


@pytest.mark.parametrize(
    ("status", "tone"),
    [
        (Status.NEW, "grey"),
        (Status.GENERATED, "green"),
        (Status.QUOTA_BLOCKED, "amber"),
        (Status.ERROR, "red"),
    ],
)
def test_status_badge_has_the_colour_of_its_status(status, tone):
    assert display.status_badge_html(status) == f'<span class="badge badge-{tone}">{status.label}</span>'


def test_badge_refuses_an_unknown_tone():
    with pytest.raises(ValueError, match="Unknown badge tone"):
        display.badge_html("x", "purple")


@pytest.mark.parametrize(
    ("field", "attrs"),
    [
        (models.EmailField(), {"dir": "ltr"}),
        (PhoneNumberField(), {"dir": "ltr"}),
        (models.URLField(), {"dir": "ltr"}),
        (models.TextField(), {"dir": "auto"}),
        (models.CharField(max_length=10), {"dir": "auto"}),
        (models.CharField(max_length=2, choices=[("fr", "fr")]), {}),
        (models.DateTimeField(), {}),
    ],
)
def test_inputs_get_the_direction_of_their_values(field, attrs):
    assert display.bidi_widget_attrs(field) == attrs


@pytest.mark.parametrize(
    "stored", ["+972502345678", "+33612345678", "+14155552671", "+442079460958", "+97221234567", "+9725"]
)
def test_a_phone_read_from_the_database_shows_as_its_text_does(stored):
    """The list formats the field's parsed value directly: the same text as formatting the string."""
    field_value = PhoneNumberField().to_python(stored)
    assert display.phone_html(field_value) == display.phone_html(stored)
