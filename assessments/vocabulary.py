"""The vocabulary of the domain as data: loading and validation of ``vocabulary.yaml``.

Construct labels, short labels, plain names, families and polarities; practice categories;
the five recoupling-profile texts; and the dashboard filter -> segment map. The code names
some of these keys (the practice constructs, the profile states scoring computes, the chart
families), so the file must define at least those; the words are the file's to change.
Everything else reads them from ``VOCABULARY``, loaded once at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessments.datafile import DataFileError, Problems, read_yaml

DEFAULT_VOCABULARY_PATH = Path(__file__).parent / "vocabulary.yaml"

POLARITIES = ("higher_is_better", "lower_is_better")
# Keys the code relies on by name; the file may add to them but not leave any out.
REQUIRED_FAMILIES = ("constrainer", "enabler", "practice", "governance")
REQUIRED_CONSTRUCTS = (
    "uncertainty",
    "diffusion",
    "leadership",
    "principles",
    "individual_practice",
    "collective_practice",
    "governance_design",
)
# Exactly the states scoring.recoupling_profile returns.
PROFILE_KEYS = (
    "decoupled",
    "guardrails_without_backing",
    "top_down_only",
    "recoupled",
    "insufficient_data",
)

_TOP_LEVEL_FIELDS = ("families", "constructs", "practice_categories", "profiles", "filters")
_CONSTRUCT_FIELDS = ("label", "short", "plain", "family", "polarity")
_TEXT_FIELDS = ("label", "short", "plain")
_PROFILE_FIELDS = ("label", "summary")
_FILTER_FIELDS = ("segment", "label")
_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class VocabularyError(DataFileError):
    """The vocabulary file is invalid; one line a problem, each "file: where: problem"."""


@dataclass(frozen=True)
class Construct:
    key: str
    label: str  # the heading
    short: str  # column headers and chart axes
    plain: str  # inside a running sentence
    family: str
    polarity: str


@dataclass(frozen=True)
class Profile:
    key: str
    label: str
    summary: str


@dataclass(frozen=True)
class Filter:
    param: str  # the URL parameter
    segment: str  # the instrument segment it selects on
    label: str  # the heading of its group of choices


@dataclass(frozen=True)
class Vocabulary:
    families: dict[str, str]  # key -> label, in display order
    constructs: dict[str, Construct]
    practice_categories: dict[str, str]  # key -> label, in display order
    profiles: dict[str, Profile]
    filters: dict[str, Filter]  # URL parameter -> filter
    source: str = ""

    def construct_table(self) -> dict[str, dict[str, str]]:
        """The constructs as plain dicts of label, family and polarity (``CONSTRUCTS``)."""
        return {
            key: {"label": c.label, "family": c.family, "polarity": c.polarity}
            for key, c in self.constructs.items()
        }

    def profile_table(self) -> dict[str, dict[str, str]]:
        """The profile states as plain dicts of label and summary (``PROFILE_STATES``)."""
        return {key: {"label": p.label, "summary": p.summary} for key, p in self.profiles.items()}


def _mapping(raw: object, where: str, problems: Problems) -> dict[str, Any]:
    if not isinstance(raw, dict) or not raw:
        problems.add(where, f"must be a non-empty mapping (got {type(raw).__name__})")
        return {}
    return raw


def _text(value: object, where: str, problems: Problems) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"must be a non-empty string (got {value!r})")
        return ""
    return value.strip()


def _good_key(key: object, where: str, problems: Problems) -> bool:
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        problems.add(where, f"key {key!r} must be snake_case (a-z, 0-9, _)")
        return False
    return True


def _check_fields(raw: dict[str, Any], allowed: tuple[str, ...], where: str, p: Problems) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        listed = ", ".join(map(repr, unknown))
        p.add(where, f"unknown field(s) {listed} (allowed: {', '.join(allowed)})")
    missing = [k for k in allowed if k not in raw]
    if missing:
        p.add(where, f"missing field(s) {', '.join(missing)}")


def _require(keys: dict[str, Any], required: tuple[str, ...], where: str, p: Problems) -> None:
    missing = [k for k in required if k not in keys]
    if missing:
        p.add(where, f"missing {', '.join(missing)} (the code names these keys)")


def _labels(raw: object, where: str, problems: Problems) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, label in _mapping(raw, where, problems).items():
        if _good_key(key, where, problems):
            labels[key] = _text(label, f"{where}.{key}", problems)
    return labels


def _construct(key: str, raw: object, families: dict[str, str], p: Problems) -> Construct:
    where = f"constructs.{key}"
    fields = raw if isinstance(raw, dict) else {}
    if not isinstance(raw, dict):
        p.add(where, f"must be a mapping of {', '.join(_CONSTRUCT_FIELDS)}")
    else:
        _check_fields(fields, _CONSTRUCT_FIELDS, where, p)
    text = {name: _text(fields.get(name), f"{where}.{name}", p) for name in _TEXT_FIELDS}
    family = fields.get("family")
    if families and family not in families:
        expected = ", ".join(families)
        p.add(f"{where}.family", f"unknown family {family!r} (expected one of {expected})")
    polarity = fields.get("polarity")
    if polarity not in POLARITIES:
        p.add(f"{where}.polarity", f"must be one of {', '.join(POLARITIES)} (got {polarity!r})")
    return Construct(key, text["label"], text["short"], text["plain"], str(family), str(polarity))


def _constructs(raw: object, families: dict[str, str], p: Problems) -> dict[str, Construct]:
    constructs: dict[str, Construct] = {}
    for key, value in _mapping(raw, "constructs", p).items():
        if _good_key(key, "constructs", p):
            constructs[key] = _construct(key, value, families, p)
    _require(constructs, REQUIRED_CONSTRUCTS, "constructs", p)
    return constructs


def _profiles(raw: object, p: Problems) -> dict[str, Profile]:
    profiles: dict[str, Profile] = {}
    section = _mapping(raw, "profiles", p)
    for key, value in section.items():
        where = f"profiles.{key}"
        if key not in PROFILE_KEYS:
            p.add("profiles", f"unknown profile state {key!r} (expected {', '.join(PROFILE_KEYS)})")
            continue
        fields = value if isinstance(value, dict) else {}
        if not isinstance(value, dict):
            p.add(where, "must be a mapping of label and summary")
        else:
            _check_fields(fields, _PROFILE_FIELDS, where, p)
        label = _text(fields.get("label"), f"{where}.label", p)
        profiles[key] = Profile(key, label, _text(fields.get("summary"), f"{where}.summary", p))
    _require(profiles, PROFILE_KEYS, "profiles", p)
    return profiles


def _filters(raw: object, p: Problems) -> dict[str, Filter]:
    filters: dict[str, Filter] = {}
    for param, value in _mapping(raw, "filters", p).items():
        if not _good_key(param, "filters", p):
            continue
        where = f"filters.{param}"
        fields = value if isinstance(value, dict) else {}
        if not isinstance(value, dict):
            p.add(where, "must be a mapping of segment and label")
        else:
            _check_fields(fields, _FILTER_FIELDS, where, p)
        segment = fields.get("segment")
        label = _text(fields.get("label"), f"{where}.label", p)
        if not isinstance(segment, str) or not _KEY_PATTERN.match(segment):
            p.add(f"{where}.segment", f"must be a segment key in snake_case (got {segment!r})")
        elif any(f.segment == segment for f in filters.values()):
            p.add(f"{where}.segment", f"segment {segment!r} already has a filter")
        else:
            filters[param] = Filter(param, segment, label)
    return filters


def parse_vocabulary(data: object, source: str) -> Vocabulary:
    """Validate already-loaded vocabulary data; raise VocabularyError listing every problem."""
    problems = Problems(source, VocabularyError)
    if not isinstance(data, dict):
        problems.fail("top level", f"must be a mapping with {', '.join(_TOP_LEVEL_FIELDS)}")
    _check_fields(data, _TOP_LEVEL_FIELDS, "top level", problems)
    families = _labels(data.get("families"), "families", problems)
    categories = _labels(data.get("practice_categories"), "practice_categories", problems)
    _require(families, REQUIRED_FAMILIES, "families", problems)
    vocabulary = Vocabulary(
        families=families,
        constructs=_constructs(data.get("constructs"), families, problems),
        practice_categories=categories,
        profiles=_profiles(data.get("profiles"), problems),
        filters=_filters(data.get("filters"), problems),
        source=source,
    )
    problems.raise_if_any()
    return vocabulary


def load_vocabulary(path: str | Path = DEFAULT_VOCABULARY_PATH) -> Vocabulary:
    """Read and validate the vocabulary file; VocabularyError names the file and every key."""
    _, data = read_yaml(path, VocabularyError)
    return parse_vocabulary(data, str(path))


VOCABULARY = load_vocabulary()
