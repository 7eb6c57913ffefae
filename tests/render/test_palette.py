"""Dark-mode counterparts of the brand colours: lightened until they reach WCAG AA."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailer.content.issue import load_issue
from mailer.content.lint import AA_CONTRAST, contrast_ratio, lint_brand
from mailer.render.palette import (
    DARK_BACKGROUND,
    DARK_CARD,
    dark_palette,
    lighten_to_contrast,
)
from mailer.render.view import render_issue
from mailer.settings import Colours, Project, load_project
from tests.plugins.content import SAMPLES


def _texts(colours: Colours) -> dict[str, str]:
    dark = dark_palette(colours)
    return {"text": dark.text, "primary": dark.primary, "accent": dark.accent, "muted": dark.muted}


def test_the_sample_brand_reads_on_both_dark_backgrounds(project: Project) -> None:
    for name, colour in _texts(project.settings.brand.colours).items():
        for background in (DARK_CARD, DARK_BACKGROUND):
            assert contrast_ratio(colour, background) >= AA_CONTRAST, (name, colour, background)


@pytest.mark.parametrize("colour", ["#000000", "#000080", "#6b1f73", "#c2185b", "#555555"])
def test_lightening_reaches_aa_and_keeps_the_hue(colour: str) -> None:
    lighter = lighten_to_contrast(colour, DARK_CARD)
    assert contrast_ratio(lighter, DARK_CARD) >= AA_CONTRAST
    before = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    after = [int(lighter[i : i + 2], 16) for i in (1, 3, 5)]
    assert all(a >= b for a, b in zip(after, before, strict=True))
    assert after.index(max(after)) == before.index(max(before))  # blue stays blue


def test_lightening_stops_as_soon_as_aa_is_reached() -> None:
    lighter = lighten_to_contrast("#6b1f73", DARK_CARD)
    darker_step = "#" + "".join(f"{int(lighter[i : i + 2], 16) - 4:02x}" for i in (1, 3, 5))
    assert contrast_ratio(darker_step, DARK_CARD) < AA_CONTRAST


def test_a_colour_that_already_reads_is_kept() -> None:
    assert lighten_to_contrast("#ff99cc", DARK_CARD) == "#ff99cc"


def test_the_rendered_email_uses_the_derived_colours_in_dark_mode(project: Project) -> None:
    html = render_issue(load_issue(SAMPLES[0], project), project).html
    dark_css = html[html.index("prefers-color-scheme: dark") :]
    for colour in _texts(project.settings.brand.colours).values():
        assert colour in dark_css


def test_the_brand_lint_covers_small_print_on_the_cards(project_copy: Path) -> None:
    """The researcher line, DOI and quote role are ``muted`` on ``card``: linted in light mode."""
    settings = project_copy / "newsletter.yaml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace('background: "#f4f1f6"', 'background: "#ffffff"')
    text = text.replace('card: "#ffffff"', 'card: "#e0e0e0"')
    text = text.replace('muted: "#555555"', 'muted: "#767676"')
    settings.write_text(text, encoding="utf-8")
    warnings = [str(p) for p in lint_brand(load_project(project_copy))]
    assert any(
        "brand.colours.muted: small print on the story cards: contrast 3.4:1" in w for w in warnings
    ), warnings
