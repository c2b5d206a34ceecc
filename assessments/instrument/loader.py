"""Reading and validating instrument files: every problem reported at once, then the
Instrument built.

The content hash of a loaded file is the sha256 of its bytes, so any edit yields a new hash.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

from assessments.datafile import is_number, read_yaml
from assessments.instrument.items import (
    SCALE_TYPES,
    Errors,
    check_fields,
    key_field,
    parse_item,
    parse_options,
    text_field,
    unscored_options,
)
from assessments.instrument.types import (
    CONSTRUCTS,
    DONT_KNOW_TARGETS,
    GOVERNANCE_LAYERS,
    REAL_TEST_PARTS,
    TEXT_TYPES,
    DontKnowRule,
    Instrument,
    InstrumentError,
    Item,
    Option,
    Section,
    Thresholds,
)

INSTRUMENTS_DIR = Path(__file__).parent.parent / "instruments"


_TOP_LEVEL_FIELDS = ("version", "title", "methods", "scales", "thresholds", "dont_know", "sections")
_DONT_KNOW_FIELDS = ("counts_towards", "score", "weight", "why")
_SECTION_FIELDS = ("key", "title", "intro", "items")


_VERSION_FILE = re.compile(r"^v(?P<version>[A-Za-z0-9._-]+)\.yaml$")


def _parse_scales(raw: object, errors: Errors) -> dict[str, tuple[Option, ...]]:
    if not isinstance(raw, dict):
        errors.add("'scales'", f"must be a mapping with {', '.join(SCALE_TYPES)}")
        return {}
    scales: dict[str, tuple[Option, ...]] = {}
    for name in SCALE_TYPES:
        if name not in raw:
            errors.add(f"scale '{name}'", "is missing")
    for name, raw_options in raw.items():
        where = f"scale '{name}'"
        if name not in SCALE_TYPES:
            errors.add(where, f"unknown scale (expected one of {', '.join(SCALE_TYPES)})")
            continue
        options = parse_options(raw_options, where, errors)
        # Scales feed scored items, so every ordinary option needs its score here.
        missing = unscored_options(options)
        if missing:
            errors.add(where, f"option(s) without a score: {', '.join(missing)}")
        if name == "yes_no":
            if sum(o.dont_know for o in options) != 1:
                errors.add(where, "needs exactly one option with dont_know: true")
            if sum(o.not_applicable for o in options) != 1:
                errors.add(where, "needs exactly one option with not_applicable: true")
        scales[name] = options
    return scales


def _parse_thresholds(raw: object, errors: Errors) -> Thresholds:
    if raw is None:
        return Thresholds()
    if not isinstance(raw, dict):
        errors.add("'thresholds'", "must be a mapping")
        return Thresholds()
    names = tuple(f.name for f in fields(Thresholds))
    check_fields(raw, names, "'thresholds'", errors)
    values: dict[str, Any] = {}
    for name in names:
        if name not in raw:
            continue
        value = raw[name]
        where = f"threshold '{name}'"
        if name == "lift_min_group":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                errors.add(where, f"must be a whole number of at least 1 (got {value!r})")
                continue
            values[name] = value
        elif not is_number(value) or not 0 <= value <= 100:
            errors.add(where, f"must be a number in 0-100 (got {value!r})")
        else:
            values[name] = float(value)
    return Thresholds(**values)


def _parse_sections(
    raw: object, scales: dict[str, tuple[Option, ...]], errors: Errors
) -> tuple[Section, ...]:
    if not isinstance(raw, list) or not raw:
        errors.add("'sections'", "must be a non-empty list")
        return ()
    sections: list[Section] = []
    section_keys: set[str] = set()
    item_sections: dict[str, str] = {}
    for index, raw_section in enumerate(raw, start=1):
        where = f"section #{index}"
        if not isinstance(raw_section, dict):
            errors.add(where, f"must be a mapping (got {raw_section!r})")
            continue
        key = key_field(raw_section, where, errors)
        if key:
            where = f"section '{key}'"
            if key in section_keys:
                errors.add(where, "duplicate section key")
            section_keys.add(key)
        check_fields(raw_section, _SECTION_FIELDS, where, errors)
        title = text_field(raw_section, "title", where, errors)
        intro = text_field(raw_section, "intro", where, errors, required=False)
        raw_items = raw_section.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            errors.add(where, "'items' must be a non-empty list")
            raw_items = []
        items: list[Item] = []
        for item_index, raw_item in enumerate(raw_items, start=1):
            item = parse_item(raw_item, key or f"#{index}", item_index, scales, errors)
            if item is None:
                continue
            if item.key in item_sections:
                errors.add(
                    f"item '{item.key}'",
                    f"duplicate item key (first used in section '{item_sections[item.key]}')",
                )
                continue
            item_sections[item.key] = item.section
            items.append(item)
        sections.append(Section(key=key, title=title, intro=intro, items=tuple(items)))
    return tuple(sections)


def _check_conditions(items: tuple[Item, ...], errors: Errors) -> None:
    by_key = {i.key: i for i in items}
    for item in items:
        if item.show_if is None:
            continue
        where = f"item '{item.key}'"
        source = by_key.get(item.show_if.item)
        if source is None:
            errors.add(where, f"show_if names unknown item '{item.show_if.item}'")
            continue
        if source.type in TEXT_TYPES:
            errors.add(where, f"show_if source '{source.key}' is a text item; it has no values")
            continue
        known = {o.value for o in source.options}
        for value in item.show_if.values:
            if value not in known:
                errors.add(
                    where,
                    f"show_if value '{value}' is not an option of item '{source.key}' "
                    f"(options: {', '.join(sorted(known))})",
                )
    for cycle in _condition_cycles(items):
        errors.add(f"item '{cycle[0]}'", f"show_if conditions form a cycle: {' -> '.join(cycle)}")


def _condition_cycles(items: tuple[Item, ...]) -> list[list[str]]:
    """Every cycle in the 'shows only if' graph, each reported once.

    Conditions may point at later items, so order alone does not rule cycles out.
    """
    edges = {i.key: [i.show_if.item] if i.show_if else [] for i in items}
    state: dict[str, str] = {}  # "visiting" while on the DFS stack, then "done"
    cycles: list[list[str]] = []

    def visit(key: str, stack: list[str]) -> None:
        state[key] = "visiting"
        stack.append(key)
        for target in edges.get(key, []):
            if state.get(target) == "visiting":
                cycles.append([*stack[stack.index(target) :], target])
            elif target in edges and target not in state:
                visit(target, stack)
        stack.pop()
        state[key] = "done"

    for key in edges:
        if key not in state:
            visit(key, [])
    return cycles


def _check_segments(items: tuple[Item, ...], errors: Errors) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if item.segment is None:
            continue
        if item.segment in seen:
            errors.add(
                f"item '{item.key}'",
                f"segment '{item.segment}' is already defined by item '{seen[item.segment]}'",
            )
        seen.setdefault(item.segment, item.key)


def _check_governance(items: tuple[Item, ...], errors: Errors) -> None:
    """Layers and the real test are all or nothing: once an instrument tags one governance
    item with a layer, every governance item needs one and every layer is used; once it asks
    one part of the real test, it asks all three."""
    governance = [i for i in items if i.construct == "governance_design"]
    if any(i.layer for i in governance):
        for item in governance:
            if item.layer is None:
                errors.add(
                    f"item '{item.key}'",
                    f"governance items need a layer ({', '.join(GOVERNANCE_LAYERS)}) "
                    "once any governance item has one",
                )
        missing = [la for la in GOVERNANCE_LAYERS if not any(i.layer == la for i in governance)]
        if missing:
            errors.add("governance layers", f"no item measures layer(s) {', '.join(missing)}")
    parts = {i.real_test for i in governance if i.real_test}
    if parts:
        missing = [p for p in REAL_TEST_PARTS if p not in parts]
        if missing:
            errors.add("real test", f"no item asks part(s) {', '.join(missing)}")


def _dont_know_capable(items: tuple[Item, ...]) -> dict[str, list[str]]:
    """Scored items that can be answered "don't know", by construct."""
    capable: dict[str, list[str]] = {}
    for item in items:
        if item.construct and any(o.dont_know for o in item.options):
            capable.setdefault(item.construct, []).append(item.key)
    return capable


def _parse_dont_know(
    raw: object, items: tuple[Item, ...], errors: Errors
) -> dict[str, DontKnowRule]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        errors.add("'dont_know'", "must be a mapping of construct -> {counts_towards, why}")
        return {}
    capable = _dont_know_capable(items)
    rules: dict[str, DontKnowRule] = {}
    declared: set[str] = set()
    for construct, spec in raw.items():
        where = f"dont_know '{construct}'"
        if construct not in CONSTRUCTS:
            errors.add(where, f"unknown construct (expected one of {', '.join(CONSTRUCTS)})")
            continue
        declared.add(construct)
        if not isinstance(spec, dict):
            errors.add(where, "must be a mapping with counts_towards and why")
            continue
        check_fields(spec, _DONT_KNOW_FIELDS, where, errors)
        target = spec.get("counts_towards")
        if target not in DONT_KNOW_TARGETS:
            errors.add(
                where,
                f"counts_towards must be one of {', '.join(DONT_KNOW_TARGETS)} (got {target!r})",
            )
            continue
        why = text_field(spec, "why", where, errors)
        score, weight = spec.get("score", 100), spec.get("weight", 1)
        if not is_number(score) or not 0 <= score <= 100:
            errors.add(where, f"score must be a number in 0-100 (got {score!r})")
            score = 100
        if not is_number(weight) or weight <= 0:
            errors.add(where, f"weight must be a number above 0 (got {weight!r})")
            weight = 1
        if construct not in capable:
            errors.add(where, 'no item of this construct can be answered "don\'t know"')
        rules[construct] = DontKnowRule(construct, str(target), why, float(score), float(weight))
    for construct, keys in capable.items():
        if construct not in declared:
            errors.add(
                "'dont_know'",
                f"construct '{construct}' has items that can be answered \"don't know\" "
                f"({', '.join(keys[:3])}{'...' if len(keys) > 3 else ''}) but no declaration",
            )
    return rules


def _parse(
    data: object, source: str, content_hash: str, expected_version: str | None
) -> Instrument:
    if not isinstance(data, dict):
        raise InstrumentError(
            f"{source}: top level: must be a mapping with version, title, scales and sections"
        )
    errors = Errors(source)
    check_fields(data, _TOP_LEVEL_FIELDS, "top level", errors)
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        errors.add("'version'", f"must be a non-empty string; quote it in YAML (got {version!r})")
        version = ""
    elif expected_version is not None and version != expected_version:
        errors.add("'version'", f"is '{version}' but the file name says '{expected_version}'")
    title = text_field(data, "title", "top level", errors)
    scales = _parse_scales(data.get("scales"), errors)
    thresholds = _parse_thresholds(data.get("thresholds"), errors)
    sections = _parse_sections(data.get("sections"), scales, errors)
    items = tuple(i for s in sections for i in s.items)
    _check_conditions(items, errors)
    _check_segments(items, errors)
    _check_governance(items, errors)
    dont_know = _parse_dont_know(data.get("dont_know"), items, errors)
    methods = text_field(data, "methods", "top level", errors, required=False)
    errors.raise_if_any()
    return Instrument(
        version=version,
        title=title,
        sections=sections,
        scales=scales,
        thresholds=thresholds,
        content_hash=content_hash,
        dont_know=dont_know,
        methods=methods,
    )


def parse_instrument(data: dict[str, Any], source: str, content_hash: str = "") -> Instrument:
    """Validate already-loaded instrument data and build the Instrument.

    `source` names the file (or other origin) in error messages. Raises InstrumentError
    listing every problem found, one per line.
    """
    return _parse(data, source, content_hash, expected_version=None)


def load_instrument(path: str | Path) -> Instrument:
    """Read, validate and build the instrument in a YAML file.

    The content hash is the sha256 of the file's bytes, so any edit yields a new hash.
    A file named ``v<version>.yaml`` must declare that same version.
    """
    path = Path(path)
    raw, data = read_yaml(path, InstrumentError)
    match = _VERSION_FILE.match(path.name)
    return _parse(
        data,
        str(path),
        hashlib.sha256(raw).hexdigest(),
        expected_version=match.group("version") if match else None,
    )


def instrument_path(version: str, directory: Path = INSTRUMENTS_DIR) -> Path:
    """Where the file of instrument `version` lives: ``<directory>/v<version>.yaml``."""
    return directory / f"v{version}.yaml"


def load_version(version: str, directory: Path = INSTRUMENTS_DIR) -> Instrument:
    """Load instrument `version` from its file in `directory`."""
    return load_instrument(instrument_path(version, directory))


def _version_order(version: str) -> tuple[tuple[int, int | str], ...]:
    # "10" sorts after "9"; non-numeric parts sort after numeric ones.
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in version.split("."))


def available_versions(directory: Path = INSTRUMENTS_DIR) -> list[str]:
    """Versions with a ``v<version>.yaml`` file in `directory`, oldest first."""
    versions = [
        m.group("version") for p in directory.glob("v*.yaml") if (m := _VERSION_FILE.match(p.name))
    ]
    return sorted(versions, key=_version_order)
