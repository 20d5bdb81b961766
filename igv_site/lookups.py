"""Lookups on IP address columns refuse a value that is no IP address.

PostgreSQL stores a `GenericIPAddressField` as `inet`, and a comparison with any other text is an
error of the database (`invalid input syntax for type inet`): the admin's `?ip_address=x` on
django-axes' pages answered 500. Refused when the lookup is built, as an integer column refuses
`abc` (a `ValueError`, which the admin answers with its "invalid filter" page), whatever the
database: SQLite would only have found nothing.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db.models import GenericIPAddressField, lookups


class IPAddressValue:
    def get_prep_lookup(self):
        if self.rhs_is_direct_value():
            values = self.rhs if isinstance(self.rhs, (list, tuple, set)) else [self.rhs]
            for value in values:
                if value not in (None, ""):  # both NULL in the database
                    try:
                        validate_ipv46_address(str(value))
                    except ValidationError:
                        raise ValueError(f"{self.lhs.output_field.name}: not an IP address") from None
        return super().get_prep_lookup()


COMPARISONS = [
    lookups.Exact,
    lookups.In,
    lookups.GreaterThan,
    lookups.GreaterThanOrEqual,
    lookups.LessThan,
    lookups.LessThanOrEqual,
]


def register() -> None:
    """Called once, when the project's apps are ready (`igv_site.apps`)."""
    for lookup in COMPARISONS:
        GenericIPAddressField.register_lookup(
            type(f"IPAddress{lookup.__name__}", (IPAddressValue, lookup), {})
        )
