"""Sample values for URL arguments in the permission matrix. Add one per new argument name."""

from __future__ import annotations

from django.utils import timezone

from assessments.models import ClassifiedAction, Response
from assessments.services import instrument_for
from orgs.models import Invitation, RosterUpload
from reports.models import Report
from tests.conftest import make_open_cycle


def objects_for(world) -> dict[str, object]:
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        organization=world.acme,
        email="new@example.com",
        role="member",
        team=world.alpha,
        token_hash=token_hash,
        expires_at=Invitation.expiry_from(timezone.now()),
    )
    # An open cycle of acme with Alpha and Beta taking part, and max's response in it.
    cycle = make_open_cycle(world)
    response = Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.max)
    action = ClassifiedAction.objects.create(
        response=response,
        cycle=cycle,
        team=world.alpha,
        item_key="act_individual",
        text="Talked to a few people about it.",
        kind="individual",
        confidence=0.55,
        needs_review=True,
    )
    return {
        "org": world.acme.slug,
        "team": world.alpha.slug,
        "member": world.membership(world.max).pk,
        "invitation": invitation.pk,
        "token": token,
        "uidb64": "MQ",
        "cycle": cycle.slug,
        "response": response.pk,
        "section": instrument_for("1").sections[0].key,
        "fmt": "json",
        "action": action.pk,
        "report": Report.objects.create(
            organization=world.acme,
            cycle=cycle,
            team=world.alpha,
            kind=Report.Kind.TEAM,
            requested_by=world.max,
        ).pk,
        "upload": RosterUpload.objects.create(
            organization=world.acme,
            uploaded_by=world.alice,
            filename="roster.csv",
            content=b"email,name,team,role\nnew@example.com,New,Alpha,member\n",
        ).pk,
    }
