"""The email's colours in dark mode, derived from the brand colours in ``newsletter.yaml``.

Comms staff set one palette (``brand.colours``), chosen for a light page. Mail clients that
honour ``prefers-color-scheme: dark`` get a dark page and dark cards instead (fixed, neutral
greys), and every brand colour used for text is lightened — mixed with white, which keeps its
hue — until it reaches WCAG AA (4.5:1) on the lighter of the two dark backgrounds, so it also
passes on the darker one. A colour that already passes is kept as it is. The call-to-action
panel keeps its brand colours in both schemes (its own text/background pair is linted).
"""

from __future__ import annotations

from dataclasses import dataclass

from mailer.content.lint import AA_CONTRAST, contrast_ratio
from mailer.settings import Colours

DARK_BACKGROUND = "#121212"
DARK_CARD = "#1e1e1e"
DARK_TEXT = "#f1f1f1"
_STEPS = 64


@dataclass(frozen=True)
class DarkPalette:
    """Colours the dark-mode stylesheet uses; every text colour passes AA on ``card``."""

    background: str
    card: str
    text: str
    primary: str
    accent: str
    muted: str


def _mix_with_white(colour: str, amount: float) -> str:
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in channels)


def lighten_to_contrast(colour: str, background: str, minimum: float = AA_CONTRAST) -> str:
    """``colour``, mixed with as little white as needed to reach ``minimum`` on ``background``.

    ``background`` must be dark (white on it reaches ``minimum``), as the dark palette's are.
    """
    for step in range(_STEPS + 1):
        candidate = _mix_with_white(colour, step / _STEPS)
        if contrast_ratio(candidate, background) >= minimum:
            return candidate
    return "#ffffff"


def dark_palette(colours: Colours) -> DarkPalette:
    """The dark-mode counterparts of the brand colours (see the module docstring)."""
    return DarkPalette(
        background=DARK_BACKGROUND,
        card=DARK_CARD,
        text=lighten_to_contrast(DARK_TEXT, DARK_CARD),
        primary=lighten_to_contrast(colours.primary, DARK_CARD),
        accent=lighten_to_contrast(colours.accent, DARK_CARD),
        muted=lighten_to_contrast(colours.muted, DARK_CARD),
    )
