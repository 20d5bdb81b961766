"""A person's name: kept as first and last name, said as one (`person_name`), read from one
(`split_name`, for files and older rows that hold a single "full name")."""


def person_name(first_name: str, last_name: str) -> str:
    """First name then last name, as a person says it; empty when neither is known."""
    return " ".join(part for part in (first_name.strip(), last_name.strip()) if part)


def split_name(full_name: str) -> tuple[str, str]:
    """("Yael", "Cohen") from "Yael Cohen", ("Marie", "de La Tour") from "Marie de La Tour":
    the first word is the first name, the rest the last name. A single word is a first name.

    A guess, made only where nothing better is known (a legacy single field, a "Full Name"
    column); the two fields stay editable.
    """
    words = full_name.split()
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])
