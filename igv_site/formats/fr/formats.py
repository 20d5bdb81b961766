"""Dates, times and numbers in the admin (see `igv_site.formats`): the shared dates and times
(`igv_site.formats.dates`), this language's week and numbers."""

from igv_site.formats.dates import *  # noqa: F403 - Django reads the format names off this module

FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # no-break space, as Django's French formats (1 234,5)
NUMBER_GROUPING = 3
