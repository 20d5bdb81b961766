"""The translations the application serves are the ones written: each `locale/*/LC_MESSAGES/django.po`
is valid (every entry has its translation, no entry twice) and its compiled `django.mo`, which is
what Django reads, holds exactly its translations. A `.po` edited or merged without compiling it
again (`make messages`) served English in place of 13 French strings, among them the activities
list's "more than 2 000 activities"."""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import PoFileParser

LOCALE = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = sorted(path.name for path in LOCALE.iterdir() if (path / "LC_MESSAGES" / "django.po").exists())


class _CatalogOfEveryEntry(Catalog):
    """Babel's catalog, keeping the keys it is given more than once (it would merge them)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.twice: list = []

    def __setitem__(self, id, message) -> None:
        if id and self._key_for(id, message.context) in self._messages:
            self.twice.append((id, message.context))
        super().__setitem__(id, message)


def written(language: str) -> _CatalogOfEveryEntry:
    catalog = _CatalogOfEveryEntry(locale=language)
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as po_file:
        PoFileParser(catalog, abort_invalid=True).parse(po_file)  # an entry without msgstr raises
    return catalog


def translations(catalog) -> dict:
    """{(msgid, context): msgstr} of the messages a compiled catalog serves (msgfmt leaves out the
    fuzzy and the untranslated ones)."""
    served = {}
    for message in catalog:
        strings = tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)
        if message.id and not message.fuzzy and all(strings):
            key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
            context = message.context.decode() if isinstance(message.context, bytes) else message.context
            served[(key, context)] = strings
    return served


def test_every_language_of_the_settings_has_its_catalog(settings):
    assert sorted(code for code, _name in settings.LANGUAGES) == LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_po_file_holds_each_entry_once(language):
    assert written(language).twice == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_serves_exactly_the_translations_written(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as mo_file:
        compiled = read_mo(mo_file)
    assert translations(compiled) == translations(written(language))
