"""Action plans in the database: the recommendation a decision answers, reads for the
dashboards, audited writes, and the released figures the movement is computed from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max

from assessments.instrument.types import CONSTRUCTS
from assessments.models import Cycle
from assessments.services import rules_for
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


def recommendation_title(plan: ActionPlan) -> str:
    """The title of the leadership rule a plan answers, from the rule table of its cycle's
    instrument ("" when the table no longer has it); a reader sees this, not the rule id."""
    rules = rules_for(plan.cycle.instrument.version)
    return next((rule.title for rule in rules if rule.id == plan.rule_id), "")


def teams_named(org: Organization, names: Iterable[str]) -> list[Team]:
    """The organisation's live teams among `names` (a pooled "other teams" group is none)."""
    return list(org.teams.filter(name__in=list(names), archived_at__isnull=True))


def open_plans(org: Organization) -> list[PlanRow]:
    """Open plans of the organisation, soonest due first, with whether their constructs
    moved, for the dashboard card (three queries)."""
    return with_movements(
        org,
        ActionPlan.objects.filter(organization=org, status=ActionPlan.Status.OPEN)
        .select_related("owner__user", "cycle")
        .order_by("due_on", "id")[:CARD_LIMIT],
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


@dataclass(frozen=True)
class PlanRow:
    """A plan with how its targeted constructs moved, for lists and cards."""

    plan: ActionPlan
    moved: PlanMovement


def plan_movements(org: Organization, items: Sequence[ActionPlan]) -> list[PlanMovement]:
    """For each plan, its targeted constructs in the plan's cycle against the latest later
    cycle with a release, from the released organisation pages (two queries for any number
    of plans). The plans' cycles must be loaded (select_related)."""
    if not items:
        return []
    released = list(
        Cycle.objects.filter(organization=org)
        .exclude(state=Cycle.State.DRAFT)
        .annotate(latest=Max("releases__id"))
        .filter(latest__isnull=False)
        .order_by("-opens_on", "-id")
    )
    latest_of = {c.pk: c.latest for c in released}
    wanted = {latest_of.get(p.cycle_id) for p in items} | {c.latest for c in released[:1]}
    # Only what `plans.Released.from_page` reads, not the whole page.
    pages: dict[int | None, Any] = {
        release_id: {"visible": visible, "overall": overall}
        for release_id, visible, overall in ReleasePage.objects.filter(
            release_id__in=[r for r in wanted if r], key=ORG_PAGE
        ).values_list("release_id", "data__visible", "data__overall")
    }
    threshold = org.anonymity_threshold
    out = []
    for plan in items:
        later = next((c for c in released if c.opens_on > plan.cycle.opens_on), None)
        if later is None:
            out.append(PlanMovement(None, ()))
            continue
        before_page = pages.get(latest_of.get(plan.cycle_id))
        after_page = pages.get(later.latest)
        out.append(
            PlanMovement(
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
        )
    return out


def plan_movement(plan: ActionPlan) -> PlanMovement:
    return plan_movements(plan.organization, [plan])[0]


def with_movements(org: Organization, items: Iterable[ActionPlan]) -> list[PlanRow]:
    items = list(items)
    return [PlanRow(p, m) for p, m in zip(items, plan_movements(org, items), strict=True)]
