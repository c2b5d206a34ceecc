"""The permission matrix's inputs: every URL pattern of the project, read from the resolver,
and sample values for URL arguments (add one per new argument name)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import lru_cache

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from assessments.demo import GUARDRAILS, demo_answers
from assessments.models import Answer, ClassifiedAction, ReopenRequest, Response
from assessments.scoring.response import score_response
from assessments.services import instrument_for
from orgs.models import Invitation, Membership, Role, RosterUpload
from reports.models import ActionPlan, Report
from tests.builders import make_open_cycle, make_user, release

SKIP_NAMESPACES = {"admin"}  # the Django admin: staff only, checked in its own test


def iter_patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIP_NAMESPACES:
                continue
            yield from iter_patterns(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


ALL_PATTERNS = sorted(iter_patterns(get_resolver()), key=lambda p: p[0])


@lru_cache(maxsize=1)
def _scores() -> dict:
    instrument = instrument_for("1")
    answers = demo_answers(instrument, GUARDRAILS, random.Random("matrix"))
    return score_response(instrument, answers).to_dict()


def _submitted_alpha_responses(world, cycle, count: int) -> list[Response]:
    """`count` submitted responses of extra Alpha members: the review queue shows a team's
    actions only once at least k of its people have submitted."""
    made = []
    for index in range(count):
        user = make_user(f"alpha{index}@example.com")
        Membership.objects.create(
            user=user, organization=world.acme, role=Role.MEMBER, team=world.alpha
        )
        made.append(
            Response.objects.create(
                cycle=cycle,
                team=world.alpha,
                respondent=user,
                status=Response.Status.SUBMITTED,
                submitted_at=timezone.now(),
                scores=_scores(),
            )
        )
    return made


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
    submitted = _submitted_alpha_responses(world, cycle, world.acme.anonymity_threshold)
    action = ClassifiedAction.objects.create(
        response=submitted[0],
        cycle=cycle,
        team=world.alpha,
        item_key="act_individual",
        text="Talked to a few people about it.",
        kind="individual",
        confidence=0.55,
        needs_review=True,
    )
    # The review queue shows only actions a release includes, as the release holds them.
    Answer.objects.create(response=submitted[0], item_key=action.item_key, value=action.text)
    release(cycle)
    plan = ActionPlan.objects.create(
        organization=world.acme,
        cycle=cycle,
        rule_id="sample_rule",
        title="Name an owner for AI risk",
        constructs=["leadership"],
        owner=world.membership(world.leo),
        due_on=timezone.localdate(),
        change="Leo names an owner per product.",
        created_by=world.leo,
    )
    return {
        "org": world.acme.slug,
        # acme has no identity provider here: these pages say 404 (tests/sso/ run them).
        "provider_id": world.acme.slug,
        "organization_slug": world.acme.slug,
        "plan": plan.pk,
        "team_slug": world.alpha.slug,
        "member": world.membership(world.max).pk,
        "invitation": invitation.pk,
        "token": token,
        "uidb64": "MQ",
        "cycle": cycle.slug,
        "response": response.pk,
        "section": instrument_for("1").sections[0].key,
        "fmt": "json",
        "action": action.public_id,
        "reopen_request": ReopenRequest.objects.create(
            response=response, cycle=cycle, team=world.alpha, reason="Typo"
        ).pk,
        "report_id": Report.objects.create(
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
