"""Every shown group of every stored release of a cycle rebuilt from the database, checked
against its stated counts and the exposure check (tests/reports/exposure.py)."""

from __future__ import annotations

from orgs.models import Team
from reports import selectors
from reports.models import Release, ResponseSnapshot
from tests.reports.exposure import exposed

K = 3  # the anonymity threshold the attack tests run at


def audit(cycle):
    """Rebuild every shown group of every release from the database and check it."""
    rows = []
    for rel in Release.objects.filter(cycle=cycle).order_by("number"):
        snaps = {
            s.response_key: s for s in ResponseSnapshot.objects.filter(pk__in=rel.people.values())
        }
        version = {rid: (rid, s.digest) for rid, s in snaps.items()}
        teams = {t.pk: t.name for t in Team.objects.filter(organization=cycle.organization)}
        for key, data in selectors.built_pages(rel).items():
            if key.startswith("team:"):
                team_id = int(key.split(":")[1])
                members = {version[r] for r, s in snaps.items() if s.team_id == team_id}
                assert data["n"] == len(members)
                rows.append(frozenset(members))
                continue
            if not data.get("visible"):
                continue
            dim, value = key.split("?")[1].split("=") if "?" in key else (None, None)
            pooled = set(data.get("pooled_teams") or [])
            union = set()
            for g in data["groups"]:
                in_unit = {
                    version[r]
                    for r, s in snaps.items()
                    if (teams[s.team_id] == g["name"])
                    or (g["name"] == "Other teams (pooled)" and teams[s.team_id] in pooled_of(rel))
                }
                members = {v for v in in_unit if dim is None or snaps[v[0]].segments[dim] == value}
                assert g["n"] == len(members), (key, g["name"])
                assert g["n"] >= K
                rows.append(frozenset(members))
                union |= members
            assert data["n_counted"] == len(union)
            rows.append(frozenset(union))
            if dim is None:
                assert pooled <= set(pooled_of(rel))
    assert not exposed(rows), "a person is exposed by what the pages show"
    return rows


def pooled_of(rel):
    page = rel.pages.filter(key="org").first()
    return set(page.data.get("pooled_teams") or []) if page else set()
