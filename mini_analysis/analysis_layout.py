"""The structure of an analysis text: sections with a heading, paragraphs and bullet lists.

Generators write plain text (the offline one, and Gemini as its prompt asks): sections separated
by a blank line, a section's heading on its first line, list items starting with `- `. The result
page (`mini_analysis/_analysis.html`) and the PDF both lay the text out from `analysis_sections`,
so they cannot disagree on what is a heading. Text that follows no such shape still comes out,
as plain paragraphs: nothing a generator writes is lost.
"""

import re
from dataclasses import dataclass, field

LIST_ITEM = re.compile(r"^\s*[-•*–]\s+")
# A heading is a short first line of a block that does not end a sentence.
HEADING_MAX_LENGTH = 100
SENTENCE_END = (".", "!", "?", "…", ";", ",")


@dataclass
class Block:
    """A paragraph (`items` has one text) or a bullet list (`is_list`, one text per item)."""

    items: list[str]
    is_list: bool = False


@dataclass
class Section:
    heading: str = ""
    blocks: list[Block] = field(default_factory=list)


def analysis_sections(text: str) -> list[Section]:
    """The sections of `text`, in order; a block without a heading is a section with none."""
    sections = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        section = Section()
        if len(lines) > 1 and _is_heading(lines[0]):
            section.heading = lines.pop(0).rstrip(":：").strip()
        for line in lines:
            item = LIST_ITEM.match(line)
            if item:
                if not section.blocks or not section.blocks[-1].is_list:
                    section.blocks.append(Block(items=[], is_list=True))
                section.blocks[-1].items.append(line[item.end() :])
            else:
                section.blocks.append(Block(items=[line]))
        sections.append(section)
    return sections


def _is_heading(line: str) -> bool:
    return len(line) <= HEADING_MAX_LENGTH and not LIST_ITEM.match(line) and not line.endswith(SENTENCE_END)
