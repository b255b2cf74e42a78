"""Student-controlled text (file names, notebook fields, messages of visible checks) made inert
for the report it lands in: Markdown/HTML (feedback.md), plain text (Gradescope's "text"
output), rich markup (the terminal). Escaping happens where text is rendered, so every report
gets it whatever path the text took to get there."""

from __future__ import annotations

import re

# C0/C1 controls but tab, DEL, and the invisible/bidirectional marks that make text read as something
# it is not (a right-to-left override turns "exe.py" into "yp.exe").
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that start
# markup in the middle of a line (emphasis, code, links, images, tables, strikethrough, raw
# HTML). Newlines are already escaped, so line-start markup (headings, lists) cannot occur.
_MARKDOWN = re.compile(r"([\\`*_\[\]|~!])")
# GFM turns bare URLs into links: break the scheme separator and "www."
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9])(:)(?=//)|(?<=\bwww)(\.)")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def visible_controls(text: str) -> str:
    """Control characters written out (`\\n`, `\\x1b`): one line, nothing a terminal or a reader
    would act on."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def plain_text(text: str) -> str:
    """For plain-text channels (Gradescope's text output, log lines): one line, no controls."""
    return visible_controls(text)


def md_text(text: str) -> str:
    """For Markdown that may be rendered as HTML: one line, no markup, no tags, no links."""
    text = visible_controls(text)
    text = _MARKDOWN.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: "\\" + m.group(), text)
    text = re.sub(r"(?i)javascript:", "javascript\\:", text)
    return "".join(_HTML.get(ch, ch) for ch in text)


def rich_text(text: str) -> str:
    """For rich console markup: one line, '[' cannot open a style."""
    from rich.markup import escape
    return escape(visible_controls(text))


__all__ = ["md_text", "plain_text", "rich_text", "visible_controls"]
