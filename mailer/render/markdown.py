"""Markdown fields → sanitised HTML for the email, and → plain text for the text part.

Markdown is rendered by markdown-it-py with raw HTML disabled, then sanitised by nh3 to a
small allow-list (paragraphs, emphasis, lists, links, line breaks). Links get the brand's link
colour inline (Gmail drops ``<style>``) and UTM parameters. Nothing here is ever evaluated as a
template.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from mailer.render.email import break_tags

ALLOWED_TAGS = {"p", "a", "strong", "em", "ul", "ol", "li", "br", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"https", "http", "mailto"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def add_utm(url: str, utm: dict[str, str]) -> str:
    """Add UTM parameters to a web link, keeping any the author set themselves."""
    if not utm:
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    query.extend((key, value) for key, value in utm.items() if key not in present)
    return urlunsplit(parts._replace(query=urlencode(query)))


def markdown_to_html(source: str, *, link_style: str, utm: dict[str, str]) -> str:
    """Render and sanitise one Markdown field for the HTML part."""
    raw = _parser().render(break_tags(source))

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            return add_utm(value, utm)
        return value

    clean: str = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=rewrite,
        link_rel="noopener",
        set_tag_attribute_values={"a": {"style": link_style, "target": "_blank"}},
    )
    return clean.strip()


def markdown_to_text(source: str, *, width: int = 72, utm: dict[str, str]) -> str:
    """Render one Markdown field as readable plain text: links become ``label (url)``."""
    tokens = _parser().parse(break_tags(source))
    blocks: list[str] = []
    prefix_stack: list[str] = []
    counters: list[int] = []
    in_list_item = False
    for token in tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            counters.append(0 if token.type == "ordered_list_open" else -1)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
            in_list_item = bool(counters)
        elif token.type == "list_item_open":
            if counters and counters[-1] >= 0:
                counters[-1] += 1
                prefix_stack.append(f"{counters[-1]}. ")
            else:
                prefix_stack.append("- ")
        elif token.type == "list_item_close":
            prefix_stack.pop()
        elif token.type == "inline":
            text = _inline_text(token, lambda url: add_utm(url, utm))
            prefix = prefix_stack[-1] if prefix_stack else ""
            indent = " " * len(prefix) * len(prefix_stack)
            first = (" " * len(prefix) * (len(prefix_stack) - 1)) + prefix
            wrapped = _wrap(text, width, first if prefix else "", indent if prefix else "")
            if prefix and blocks and in_list_item:
                blocks[-1] += "\n" + wrapped
            else:
                blocks.append(wrapped)
            in_list_item = bool(prefix)
    return "\n\n".join(block for block in blocks if block)


def _inline_text(token: Token, link: Callable[[str], str]) -> str:
    out: list[str] = []
    href: str | None = None
    label_start = 0
    for child in token.children or []:
        if child.type == "text" or child.type == "code_inline":
            out.append(child.content)
        elif child.type in ("softbreak",):
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "link_open":
            href = str(child.attrs.get("href", ""))
            label_start = len(out)
        elif child.type == "link_close" and href is not None:
            label = "".join(out[label_start:])
            if label.strip() != href:
                out.append(f" ({link(href)})")
            href = None
    return "".join(out)


def _wrap(text: str, width: int, initial: str, subsequent: str) -> str:
    lines = []
    for i, paragraph_line in enumerate(text.split("\n")):
        lines.append(
            textwrap.fill(
                paragraph_line,
                width=width,
                initial_indent=initial if i == 0 else subsequent,
                subsequent_indent=subsequent,
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def wrap_text(text: str, width: int = 72, indent: str = "") -> str:
    """Wrap plain text (never breaking words or URLs)."""
    return _wrap(" ".join(text.split()), width, indent, indent)


def link_line(label: str, url: str, width: int = 72) -> str:
    """``label: url`` on one line when it fits, else the label wrapped and the URL on its own.

    A substitution tag (``%%unsubscribe_url%%``) always goes on its own line: the URL that
    replaces it per recipient is longer than the tag.
    """
    line = f"{label}: {url}"
    if len(line) <= width and "%%" not in url:
        return line
    return f"{wrap_text(label + ':', width)}\n{url}"
