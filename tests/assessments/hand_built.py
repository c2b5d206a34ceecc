"""Small hand-built instruments for the pure scoring and lift tests: the agreement and
yes/no scales, an item with test defaults, an instrument of given items."""

from __future__ import annotations

from assessments.instrument.types import Instrument, Item, Option, Section, Thresholds

AGREEMENT = (
    Option("sd", "Strongly disagree", 0),
    Option("d", "Disagree", 25),
    Option("n", "Neutral", 50),
    Option("a", "Agree", 75),
    Option("sa", "Strongly agree", 100),
)
YES_NO = (
    Option("yes", "Yes", 100),
    Option("no", "No", 0),
    Option("dk", "I don't know", dont_know=True),
    Option("na", "Not applicable", not_applicable=True),
)
THRESHOLDS = Thresholds()


def item(key: str, construct: str | None, **kwargs: object) -> Item:
    defaults: dict[str, object] = {
        "text": f"Text of {key}",
        "help": "",
        "type": "yes_no",
        "section": "s",
        "options": YES_NO,
    }
    if construct in ("individual_practice", "collective_practice"):
        defaults["resource"] = construct.split("_")[0]
        defaults["category"] = "review"
    defaults.update(kwargs)
    return Item(key=key, construct=construct, **defaults)  # type: ignore[arg-type]


def instrument(*items: Item, thresholds: Thresholds = THRESHOLDS) -> Instrument:
    return Instrument(
        version="t1",
        title="Test",
        sections=(Section("s", "Section", "", tuple(items)),),
        thresholds=thresholds,
    )


def practice_instrument() -> Instrument:
    return instrument(
        item("i1", "individual_practice"),
        item("c1", "collective_practice"),
        item("p1", "principles", type="agreement", options=AGREEMENT),
        item("l1", "leadership", type="agreement", options=AGREEMENT),
    )
