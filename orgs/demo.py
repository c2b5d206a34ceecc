"""The demo organisation, built idempotently: running it twice changes nothing."""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth.hashers import make_password
from django.utils.text import slugify

from .models import Membership, Organization, Role, Team, User

DEMO_SLUG = "demo"
# The published demo password (README, `make run`), not a secret.
DEMO_PASSWORD = "recouple-demo"  # nosec B105
DEMO_LOGINS = [
    ("admin@demo.example", "org admin"),
    ("leader@demo.example", "leader"),
    ("lead@demo.example", "team lead (Search Assistant)"),
    ("member@demo.example", "member (Search Assistant)"),
]
DEMO_TEAMS = [
    "Search Assistant",
    "Support Copilot",
    "Claims Triage",
    "Marketing Writer",
    "Developer Tools",
    "HR Helpdesk",
    "Fraud Signals",
    "Contract Review",
    "Sales Insights",
    "Onboarding Guide",
    "Pricing Engine",
    "Voice Agent",
    "Data Platform",
]
# Extra respondents per team, so team results pass the anonymity threshold; a few teams
# are deliberately small to show pooling.
TEAM_SIZES = dict.fromkeys(DEMO_TEAMS, 7) | {"Voice Agent": 2, "Data Platform": 1}


@lru_cache(maxsize=1)
def _demo_hash() -> str:
    # Hashing is slow by design: hash the one demo password once per run, not per user.
    return make_password(DEMO_PASSWORD)


def _user(email: str, name: str, ensure_password: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"name": name, "password": _demo_hash()}
    )
    # The printed logins must keep working even if someone changed their password.
    if ensure_password and not created and not user.check_password(DEMO_PASSWORD):
        user.password = _demo_hash()
        user.save(update_fields=["password"])
    return user


def _member(org: Organization, user: User, role: str, team: Team | None) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=org, defaults={"role": role, "team": team}
    )
    return membership


def seed_people(org: Organization) -> dict[str, Team]:
    teams = {}
    for name in DEMO_TEAMS:
        team, _ = Team.objects.get_or_create(
            organization=org, slug=slugify(name), defaults={"name": name}
        )
        teams[name] = team
    first = teams[DEMO_TEAMS[0]]
    _member(
        org, _user("admin@demo.example", "Ada Admin", ensure_password=True), Role.ORG_ADMIN, None
    )
    _member(
        org, _user("leader@demo.example", "Lee Leader", ensure_password=True), Role.LEADER, None
    )
    _member(
        org, _user("lead@demo.example", "Tia Teamlead", ensure_password=True), Role.TEAM_LEAD, first
    )
    _member(
        org, _user("member@demo.example", "Max Member", ensure_password=True), Role.MEMBER, first
    )
    for t_index, name in enumerate(DEMO_TEAMS):
        team = teams[name]
        for i in range(TEAM_SIZES[name]):
            role = Role.TEAM_LEAD if i == 0 and t_index > 0 else Role.MEMBER
            slug = team.slug
            _member(
                org, _user(f"{slug}-{i + 1}@demo.example", f"{name} person {i + 1}"), role, team
            )
    return teams
