"""The documentation points at things that exist: a newcomer follows a link or a path and finds it.

Every relative link of README.md and docs/*.md names an existing file, and its `#anchor` a heading
of that file (GitHub's anchors); every `path/to/file.py` that docs/architecture.md names exists,
and each name its "Where each rule lives" table gives is in the module the row points at.
"""

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ARCHITECTURE = ROOT / "docs" / "architecture.md"

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.MULTILINE)
PYTHON_PATH = re.compile(r"`((?:[\w.-]+/)+[\w.-]+\.py)`")
CODE = re.compile(r"`([^`]+)`")


def prose(path: Path) -> str:
    """The text outside fenced code blocks (a `#` line in a shell example is no heading)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for heading in HEADING.findall(prose(path)):
        slug = anchor(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def relative_links(path: Path) -> list[str]:
    return [target for target in LINK.findall(prose(path)) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def test_anchor_is_githubs():
    assert anchor("Why SQL and not djongo") == "why-sql-and-not-djongo"
    assert anchor("The legacy MongoDB: the seed's migration on the server, and the bridge (issue 20)") == (
        "the-legacy-mongodb-the-seeds-migration-on-the-server-and-the-bridge-issue-20"
    )
    assert anchor("The sales pipeline (Lead → Contact → Opportunity)") == (
        "the-sales-pipeline-lead--contact--opportunity"
    )
    assert anchor("Personal data (GDPR)") == "personal-data-gdpr"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_points_at_an_existing_file_and_heading(document):
    broken = []
    for target in relative_links(document):
        file_part, _, fragment = target.partition("#")
        linked = (document.parent / file_part).resolve() if file_part else document
        if not linked.exists():
            broken.append(f"{target}: no file {file_part}")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target}: no heading #{fragment} in {linked.relative_to(ROOT)}")
    assert broken == []


def test_the_readme_links_to_every_document():
    linked = {target.partition("#")[0] for target in relative_links(ROOT / "README.md")}
    assert {f"docs/{path.name}" for path in DOCUMENTS[1:]} <= linked


def test_every_python_path_of_the_architecture_page_exists():
    paths = set(PYTHON_PATH.findall(prose(ARCHITECTURE)))
    assert len(paths) > 20  # the page names the modules; the test would prove nothing otherwise
    assert sorted(path for path in paths if not (ROOT / path).is_file()) == []


def rule_rows() -> list[tuple[str, str, str]]:
    text = prose(ARCHITECTURE)
    section = text.split("## Where each rule lives", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return [(rule.strip(), module.strip(), where.strip()) for rule, module, where in rows[2:]]


def test_each_rule_has_one_module_and_its_names_are_there():
    rows = rule_rows()
    assert len(rows) >= 10
    missing = []
    for rule, module, where in rows:
        modules = PYTHON_PATH.findall(module)
        assert len(modules) == 1, f"{rule}: one module, not {module}"
        sources = [ROOT / modules[0], *(ROOT / path for path in PYTHON_PATH.findall(where))]
        text = "".join(source.read_text(encoding="utf-8") for source in sources)
        for name in CODE.findall(where):
            identifier = name.rsplit(".", 1)[-1]
            if name.endswith(".py") or not identifier.isidentifier():
                continue
            if not re.search(rf"\b{re.escape(identifier)}\b", text):
                missing.append(f"{rule}: {name} not in {', '.join(map(str, sources))}")
    assert missing == []
