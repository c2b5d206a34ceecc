"""Action plans in the database: the recommendation a decision answers, reads for the
dashboards, audited writes, and the released figures the movement is computed from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max

from assessments.instrument import CONSTRUCTS
from assessments.models import Cycle
from orgs import audit
from orgs.models import AuditEvent, Membership, Organization, Team, User

from . import plans, selectors
from .models import ActionPlan, ReleasePage
from .release_builder import ORG_PAGE

CARD_LIMIT = 10
_KEY_OF_LABEL = {c["label"]: key for key, c in CONSTRUCTS.items()}


@dataclass(frozen=True)
class Recommendation:
    """A leadership recommendation as the cycle's latest release shows it."""

    rule_id: str
    title: str
    why: str
    construct: str  # a construct key
    team_names: tuple[str, ...]


def recommendation(cycle: Cycle, rule_id: str) -> Recommendation | None:
    """The leadership recommendation `rule_id` in the cycle's released organisation page,
    or None when the release does not show it (two queries at most)."""
    _, page = selectors.release_page(cycle, ORG_PAGE)
    for a in (page or {}).get("actions", []):
        if a.get("rule_id") == rule_id:
            construct = _KEY_OF_LABEL.get(a.get("construct", ""), a.get("construct", ""))
            return Recommendation(
                rule_id,
                a.get("title", rule_id),
                a.get("why", ""),
                construct if construct in CONSTRUCTS else "",
                tuple(a.get("teams", [])),
            )
    return None


def teams_named(org: Organization, names: Iterable[str]) -> list[Team]:
    """The organisation's live teams among `names` (a pooled "other teams" group is none)."""
    return list(org.teams.filter(name__in=list(names), archived_at__isnull=True))


def open_plans(org: Organization) -> list[ActionPlan]:
    """Open plans of the organisation, soonest due first, for the dashboard card."""
    return list(
        ActionPlan.objects.filter(organization=org, status=ActionPlan.Status.OPEN)
        .select_related("owner__user")
        .order_by("due_on", "id")[:CARD_LIMIT]
    )


def team_plans(team: Team) -> list[ActionPlan]:
    """Plans that concern the team (open first, then done; dropped ones are not shown)."""
    return sorted(
        ActionPlan.objects.filter(teams=team)
        .exclude(status=ActionPlan.Status.DROPPED)
        .select_related("owner__user")
        .order_by("due_on", "id")[:CARD_LIMIT],
        key=lambda p: (p.status != ActionPlan.Status.OPEN, p.due_on, p.pk),
    )


def _as_data(plan: ActionPlan) -> dict[str, Any]:
    return {
        "title": plan.title,
        "constructs": list(plan.constructs),
        "owner": plan.owner.user.email if plan.owner else None,
        "due_on": plan.due_on.isoformat(),
        "change": plan.change,
        "teams": sorted(t.name for t in plan.teams.all()),
    }


def create_plan(
    actor: User,
    org: Organization,
    cycle: Cycle,
    rec: Recommendation,
    *,
    title: str,
    constructs: Sequence[str],
    owner: Membership,
    due_on: date,
    change: str,
    teams: Sequence[Team],
) -> ActionPlan:
    with transaction.atomic():
        plan = ActionPlan.objects.create(
            organization=org,
            cycle=cycle,
            rule_id=rec.rule_id,
            title=title,
            constructs=list(constructs),
            owner=owner,
            due_on=due_on,
            change=change,
            created_by=actor,
        )
        plan.teams.set(teams)
        audit.record(
            org,
            actor,
            AuditEvent.Action.PLAN_CREATED,
            plan,
            rule_id=rec.rule_id,
            cycle=cycle.slug,
            **_as_data(plan),
        )
    return plan


def update_plan(
    actor: User,
    plan: ActionPlan,
    *,
    title: str,
    constructs: Sequence[str],
    owner: Membership,
    due_on: date,
    change: str,
    teams: Sequence[Team],
) -> list[str]:
    """Save the changes and log which fields changed (nothing is logged for no change)."""
    with transaction.atomic():
        before = _as_data(plan)
        plan.title, plan.constructs, plan.owner = title, list(constructs), owner
        plan.due_on, plan.change = due_on, change
        plan.save()
        plan.teams.set(teams)
        after = _as_data(plan)
        changed = [k for k in after if after[k] != before[k]]
        if changed:
            audit.record(
                plan.organization,
                actor,
                AuditEvent.Action.PLAN_CHANGED,
                plan,
                changed=changed,
                **{k: after[k] for k in changed if k != "change"},
            )
    return changed


def set_status(actor: User, plan: ActionPlan, status: str) -> None:
    if status == plan.status:
        return
    with transaction.atomic():
        previous, plan.status = plan.status, status
        plan.save(update_fields=["status", "updated_at"])
        audit.record(
            plan.organization,
            actor,
            AuditEvent.Action.PLAN_STATUS_CHANGED,
            plan,
            **{"from": previous, "to": status},
        )


# --- did it move? --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanMovement:
    after_cycle: Cycle | None  # the latest later cycle with released results, if any
    movements: tuple[plans.Movement, ...]


def plan_movement(plan: ActionPlan) -> PlanMovement:
    """The targeted constructs in the plan's cycle against the latest later cycle with a
    release, from the released organisation pages (three queries)."""
    later = (
        Cycle.objects.filter(organization_id=plan.organization_id, opens_on__gt=plan.cycle.opens_on)
        .exclude(state=Cycle.State.DRAFT)
        .annotate(latest=Max("releases__id"))
        .filter(latest__isnull=False)
        .order_by("-opens_on", "-id")
        .first()
    )
    if later is None:
        return PlanMovement(None, ())
    before_release = plan.cycle.releases.order_by("-number").values_list("id", flat=True).first()
    pages = dict(
        ReleasePage.objects.filter(
            release_id__in=[r for r in (before_release, later.latest) if r], key=ORG_PAGE
        ).values_list("release_id", "data")
    )
    before_page, after_page = pages.get(before_release), pages.get(later.latest)
    threshold = plan.organization.anonymity_threshold
    return PlanMovement(
        later,
        tuple(
            plans.movement(
                key,
                plan.cycle.name,
                later.name,
                plans.Released.from_page(before_page, key),
                plans.Released.from_page(after_page, key),
                threshold,
            )
            for key in plan.constructs
            if key in CONSTRUCTS
        ),
    )
