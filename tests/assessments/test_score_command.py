"""`manage.py score RESPONSE_ID --json`."""

from __future__ import annotations

import json
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from assessments.demo import RECOUPLED, demo_answers
from assessments.models import Answer, Response
from assessments.services import instrument_for


def test_score_prints_construct_scores_and_profile_as_json(world, cycle):
    response = Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.max)
    answers = demo_answers(instrument_for("1"), RECOUPLED, random.Random(3))
    Answer.objects.bulk_create(
        Answer(response=response, item_key=k, value=v) for k, v in answers.items()
    )
    out = StringIO()
    call_command("score", str(response.pk), "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["response_id"] == response.pk
    assert set(data["constructs"]) == {
        "uncertainty",
        "diffusion",
        "leadership",
        "principles",
        "individual_practice",
        "collective_practice",
        "governance_design",
    }
    assert all(0 <= c["score"] <= 100 for c in data["constructs"].values())
    assert data["profile"]["state"] == "recoupled"


def test_score_of_an_unknown_response_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No response with id 424242"):
        call_command("score", "424242", "--json", stdout=StringIO())
