"""In-process throughput of the pure domain modules: scoring and the action classifier."""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from assessments.classify import label, load_classifier, review_threshold
from assessments.demo import demo_answers
from assessments.instrument.types import Answers
from assessments.scoring.response import score_response
from assessments.services import instrument_for

from .fixtures import ACTION_TEXTS, CLIMATES, improved
from .stats import entry, median

ROUNDS = 5
LABELLED = ("actions_dev.csv", "actions_holdout.csv", "actions_blind.csv")


def answer_sets(count: int) -> list[Answers]:
    """`count` realistic complete answer sets over the demo climates, with and without drift."""
    instrument = instrument_for("1")
    rng = random.Random("bench-scoring")
    climates = [c for base in CLIMATES for c in (base, improved(base, 0.15))]
    return [demo_answers(instrument, climates[i % len(climates)], rng) for i in range(count)]


def scoring_throughput(count: int = 2000) -> dict[str, Any]:
    """Responses scored per second: score_response = construct scores, profile and gap."""
    instrument = instrument_for("1")
    sets = answer_sets(count)
    for answers in sets[:200]:  # build the per-instrument plan once, as a process would
        score_response(instrument, answers)
    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for answers in sets:
            score_response(instrument, answers)
        rates.append(len(sets) / (time.perf_counter() - start))
    return entry(
        median(rates),
        target=5000,
        op=">=",
        unit="responses/s",
        n=ROUNDS,
        low=min(rates),
        high=max(rates),
        responses_per_round=len(sets),
    )


def action_texts() -> list[str]:
    """The demo's actions plus the labelled classifier sets (varied real-world wording)."""
    texts = list(ACTION_TEXTS)
    data = Path(settings.BASE_DIR) / "tests" / "data"
    for name in LABELLED:
        path = data / name
        if path.exists():
            with open(path, encoding="utf-8", newline="") as handle:
                texts += [
                    row["text"] for row in csv.DictReader(handle) if row.get("text", "").strip()
                ]
    return texts


def classify_throughput() -> dict[str, Any]:
    """Free-text actions classified per second by classifier v7, the rules and the model
    (loaded once, as callers do)."""
    classifier = load_classifier()
    threshold = review_threshold(classifier, settings.RECOUPLE_CLASSIFIER_THRESHOLD)
    texts = action_texts()
    # At least ~2,000 classifications a round so that a round lasts long enough to time.
    texts = texts * max(1, 2000 // len(texts))
    for text in texts[:100]:
        label(text, classifier, threshold)
    rates = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for text in texts:
            label(text, classifier, threshold)
        rates.append(len(texts) / (time.perf_counter() - start))
    return entry(
        median(rates),
        target=2000,
        op=">=",
        unit="actions/s",
        n=ROUNDS,
        low=min(rates),
        high=max(rates),
        actions_per_round=len(texts),
        distinct_texts=len(set(texts)),
        # the first round also fills the caches (word n-grams, marker patterns cut to the
        # alternatives a text might match): what a fresh worker does on texts it has not seen
        first_round=round(rates[0], 1),
    )
