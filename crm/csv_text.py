"""A CSV file's bytes as text and its separator, whatever tool wrote it.

The encoding is decided by a fixed sequence of checks, not a statistical guess (see
docs/decisions.md, "Imports"): a byte-order mark says UTF-8 or UTF-16; text that decodes as UTF-8
is UTF-8 (a Windows code page almost never does); UTF-16 without a mark shows as a NUL every other
byte; otherwise it is a Windows code page: Hebrew (cp1255) when its letters form words, since
Hebrew words are runs of bytes above 0xE0, where a French or German word has one accented letter
between ASCII ones; else Western (cp1252, the superset of Latin-1 that Excel writes), or Latin-1
for the few bytes cp1252 leaves undefined.
"""

import codecs
import csv

BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
SEPARATORS = ",;\t"
SAMPLE = 64 * 1024


def csv_encoding(data: bytes) -> str:
    """The encoding to read `data` with (a name Python's codecs know)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3 and len(data) > SAMPLE:  # cut inside a character: still UTF-8
            return "utf-8"
    sample = data[:SAMPLE]
    if sample.count(b"\x00") > len(sample) // 4:
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    if _hebrew_words(sample):
        return "cp1255"
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _hebrew_words(sample: bytes) -> bool:
    """Whether most letters above 0xE0 have such a letter next to them (Hebrew in cp1255)."""
    try:
        sample.decode("cp1255")
    except UnicodeDecodeError:
        return False
    high = [index for index, byte in enumerate(sample) if 0xE0 <= byte <= 0xFA]
    if not high:
        return False
    in_words = sum(
        1
        for index in high
        if (index > 0 and 0xE0 <= sample[index - 1] <= 0xFA)
        or (index + 1 < len(sample) and 0xE0 <= sample[index + 1] <= 0xFA)
    )
    return in_words * 3 >= len(high) * 2


def csv_separator(text: str) -> str:
    """`,`, `;` or tab: what `csv.Sniffer` finds in the first lines when the header line holds it,
    else the most frequent of the three in the header line, else a comma (a file of one column)."""
    sample = text[:SAMPLE]
    header = sample.split("\n", 1)[0]
    try:
        found = csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        found = ""
    if found and found in header:
        return found
    counts = {separator: header.count(separator) for separator in SEPARATORS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","
