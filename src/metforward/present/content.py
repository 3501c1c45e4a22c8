"""The words people write for a borough's report (messages, initiatives, contacts): Markdown files with
front matter, checked line by line before anything is rendered (no raw HTML, no images)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import frontmatter
from markdown_it import MarkdownIt
from markupsafe import Markup

from metforward.errors import MetforwardError

CONTENT_KEYS = ("chair_message", "commander_message", "initiatives", "have_your_say", "contacts")
CONTENT_TITLES = {
    "chair_message": "A message from the chair",
    "commander_message": "The borough commander's message",
    "initiatives": "Local initiatives",
    "have_your_say": "How to have your say",
    "contacts": "Useful contacts",
}

# --- content files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """The words people write for a borough's report: messages, initiatives, contacts, priorities."""

    path: str
    is_default: bool
    example: bool
    sections: dict[str, Markup]
    priorities: list[str] = field(default_factory=list)
    digest: str = ""


class ContentError(MetforwardError, ValueError):
    """A content file that cannot be used; the message names the file (and line) and what to do."""

    code = "content_file"


#: Renders content Markdown: raw HTML is escaped, and images are not even parsed (``![x](u)`` stays text).
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
#: Parses content Markdown only to find what :func:`check_markdown` refuses (raw HTML, images).
_CHECK = MarkdownIt("commonmark", {"html": True, "linkify": False})


def check_markdown(text: str, path: Path | str, first_line: int = 1) -> None:
    """Refuse raw HTML and images in content Markdown, naming ``path`` and the line (``text`` starts at ``first_line``).

    A report loads nothing: an image (remote or local) or an HTML tag (``<img>``, ``<script>``,
    ``<iframe>``, ``<style>``, a comment) would either fetch from the network or be shown as
    literal text, so the author is told to remove it instead. Hyperlinks (``[text](https://...)``
    and ``<https://...>``) are fine: a link loads nothing until a reader follows it.
    """
    for token in _CHECK.parse(text):
        start = (token.map[0] if token.map else 0) + first_line
        if token.type == "html_block":
            _refuse(path, start, "raw HTML", token.content.strip().splitlines()[0])
        breaks = 0
        for child in token.children or []:
            if child.type in ("softbreak", "hardbreak"):
                breaks += 1
            elif child.type == "html_inline":
                _refuse(path, start + breaks, "raw HTML", child.content)
            elif child.type == "image":
                shown = f"![{child.content}]({child.attrs.get('src', '')})"
                _refuse(path, start + breaks, "an image", shown)


def _refuse(path: Path | str, line: int, what: str, shown: str) -> None:
    shown = " ".join(shown.split())
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise ContentError(
        f"{path}:{line}: {what} is not allowed in a content file ({shown}): reports load nothing and pass "
        "no HTML through; remove it (write a web address as a link, [text](https://...), if readers need it)"
    )


def load_content(directory: Path, code: str, slug: str) -> Content:
    """``<directory>/<code>.md`` or ``<slug>.md``, else ``_default.md``: YAML front matter plus ``## sections``.

    Front matter keys: ``example`` (true for a sample file), ``priorities`` (a list). Body: one
    ``## `` heading per section (Chair's message, Borough commander's message, Local initiatives,
    How to have your say, Useful contacts); text before the first heading is ignored. A section
    with raw HTML or an image is refused (:class:`ContentError`, see :func:`check_markdown`).
    """
    import hashlib

    for name in (f"{code}.md", f"{slug}.md", "_default.md"):
        path = directory / name
        if path.is_file():
            break
    else:
        raise FileNotFoundError(f"no content file for {slug} in {directory} (and no _default.md there)")
    text = path.read_text(encoding="utf-8")
    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # the YAML parser's errors name the line
        raise ContentError(f"{path}: the front matter is not valid YAML: {exc}") from exc
    # python-frontmatter strips the file, then the body: the body ends where the stripped file ends
    end = len(text.rstrip())
    body_line = text[: end - len(post.content)].count("\n") if text[:end].endswith(post.content) else 0
    sections: dict[str, Markup] = {}
    for title, body, line in _split(post.content):
        key = _section_key(title)
        if key is None:
            raise ContentError(
                f"{path}:{body_line + line}: unknown section '## {title}' "
                f"(expected: {', '.join(CONTENT_TITLES.values())})"
            )
        check_markdown(body, path, body_line + line)
        sections[key] = Markup(_MD.render(body.strip()))  # checked above; html off and images off besides
    priorities = post.metadata.get("priorities") or []
    if not isinstance(priorities, list) or not all(isinstance(p, str) for p in priorities):
        raise ContentError(f"{path}: front matter 'priorities' must be a list of sentences")
    return Content(
        path=path.name,
        is_default=path.name == "_default.md",
        example=bool(post.metadata.get("example", False)),
        sections=sections,
        priorities=list(priorities),
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
    )


def _split(body: str) -> Iterable[tuple[str, str, int]]:
    """Each ``## title`` of ``body`` with its text and the heading's line (1 for the first line of ``body``)."""
    headings = list(re.finditer(r"^## +(.+?)[ \t]*$", body, flags=re.MULTILINE))
    for i, match in enumerate(headings):
        end = headings[i + 1].start() if i + 1 < len(headings) else len(body)
        yield match[1], body[match.end() : end], body.count("\n", 0, match.start()) + 1


def _section_key(title: str) -> str | None:
    t = title.lower().replace("’", "'")
    for key, words in (
        ("chair_message", "chair"),
        ("commander_message", "commander"),
        ("initiatives", "initiative"),
        ("have_your_say", "your say"),
        ("contacts", "contact"),
    ):
        if words in t:
            return key
    return None
