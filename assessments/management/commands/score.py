"""`python manage.py score RESPONSE_ID --json`: one response's construct scores and profile."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.instrument.types import CONSTRUCTS
from assessments.instrument.visibility import visible_item_keys
from assessments.models import Response
from assessments.scoring.response import score_response
from assessments.services import answers_of, instrument_for


class Command(BaseCommand):
    help = "Score one response from its current answers (submitted or draft)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("response_id", type=int)
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        response = (
            Response.objects.select_related("cycle__instrument", "team")
            .filter(pk=options["response_id"])
            .first()
        )
        if response is None:
            raise CommandError(f"No response with id {options['response_id']}.")
        instrument = instrument_for(response.cycle.instrument.version)
        answers = answers_of(response)
        result = score_response(
            instrument, answers, visible_item_keys(instrument, answers)
        ).to_dict()
        result["response_id"] = response.pk
        result["status"] = response.status
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            f"Response {response.pk} · {response.team} · {response.cycle} ({response.status})"
        )
        for key in CONSTRUCTS:
            c = result["constructs"][key]
            score = "—" if c["score"] is None else f"{c['score']:.1f}"
            self.stdout.write(
                f"  {c['label']:<50} {score:>6}  "
                f"(answered {c['answered']}, don't know {c['dont_know']})"
            )
        self.stdout.write(f"  Profile: {result['profile']['label']}")
