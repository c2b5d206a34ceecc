"""The charts' one palette, shared by the plotly figures and the SVG drawings.

Every colour has at least 3:1 contrast on white, and the four families differ in lightness
as well as hue, so they stay apart for the common colour-vision deficiencies; the family is
also written in each table row and legend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from assessments.vocabulary import VOCABULARY

INK = "#212529"
MUTED = "#5b6b7b"
GRID = "#e3e8ee"
ZERO_LINE = "#c5ced8"
WHITE = "#ffffff"
MISSING_FILL = "#eef1f4"
TRANSPARENT = "rgba(0,0,0,0)"

FAMILY_ORDER: tuple[str, ...] = tuple(VOCABULARY.families)
FAMILY_COLOURS = {
    "constrainer": "#b45a1e",  # burnt orange
    "enabler": "#1f5f8b",  # the app's primary blue
    "practice": "#2a8572",  # the app's accent teal
    "governance": "#7a5aa0",  # muted violet
}
FAMILY_LABELS: dict[str, str] = dict(VOCABULARY.families)
OTHER_COLOUR = "#6c7a89"

RESOURCE_ORDER = ("individual", "collective")
RESOURCE_COLOURS = {"individual": "#3d9a86", "collective": "#1d4e44"}
RESOURCE_LABELS = {"individual": "Individual", "collective": "Collective"}

PROFILE_COLOURS = {
    "decoupled": "#b4463c",
    "guardrails_without_backing": "#c7861c",
    "top_down_only": "#7a5aa0",
    "recoupled": "#2a8572",
    "insufficient_data": "#8a96a3",
}

# Lines of the trend chart: the Okabe-Ito colours, darkened where needed for 3:1 on white.
SERIES_COLOURS = (
    "#0072b2",
    "#c75e00",
    "#00876a",
    "#a24f86",
    "#5a6b7b",
    "#b08600",
    "#3b9ad6",
    "#7f3f00",
)

# ColorBrewer RdYlBu (11 classes; colour-blind safe): red = worse, blue = better.
GOODNESS_SCALE: tuple[tuple[float, str], ...] = (
    (0.0, "#a50026"),
    (0.1, "#d73027"),
    (0.2, "#f46d43"),
    (0.3, "#fdae61"),
    (0.4, "#fee090"),
    (0.5, "#ffffbf"),
    (0.6, "#e0f3f8"),
    (0.7, "#abd9e9"),
    (0.8, "#74add1"),
    (0.9, "#4575b4"),
    (1.0, "#313695"),
)


def in_order(present: Iterable[str], order: Sequence[str]) -> list[str]:
    """The keys in `present`: those of `order` first, in its order, then the others sorted."""
    keys = set(present)
    return [k for k in order if k in keys] + sorted(keys - set(order))


def family_colour(family: str) -> str:
    return FAMILY_COLOURS.get(family, OTHER_COLOUR)


def family_name(family: str) -> str:
    """A family's legend name ("Other" for a row without one)."""
    return FAMILY_LABELS.get(family, family.title() or "Other")


def resource_colour(resource: str) -> str:
    return RESOURCE_COLOURS.get(resource, OTHER_COLOUR)


def resource_name(resource: str) -> str:
    return RESOURCE_LABELS.get(resource, resource.title())
