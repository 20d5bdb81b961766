"""Dates, times and numbers in the admin (see `igv_site.formats`): the shared dates and times
(`igv_site.formats.dates`), this language's week and numbers."""

from igv_site.formats.dates import *  # noqa: F403 - Django reads the format names off this module

FIRST_DAY_OF_WEEK = 0
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
