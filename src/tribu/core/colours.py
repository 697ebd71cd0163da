"""Text colours that stay readable on the community's brand colours (WCAG 2 contrast)."""

from __future__ import annotations

DARK = "#000000"
LIGHT = "#ffffff"


def _luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG 2.x definition)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The contrast ratio between two ``#rrggbb`` colours, from 1 to 21."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_on(background: str) -> str:
    """White when it reads well on ``background`` (contrast ≥ 4.5, WCAG AA), else whichever of white or
    black contrasts more: on mid-tones such as a bright orange only black reaches AA."""
    try:
        light = contrast(LIGHT, background)
        return LIGHT if light >= 4.5 or light >= contrast(DARK, background) else DARK
    except (ValueError, IndexError):
        return LIGHT
