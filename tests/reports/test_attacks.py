"""The seven attacks that once recovered individual answers, as regression tests.

Each runs against stored releases through the same views a leader or team lead uses, and an
end-to-end audit checks what the pages show against the ground truth in the database: every
group a page shows has the people disclosure control planned, and no combination of groups
over all releases of the cycle isolates a person (tests/reports/test_disclosure_audit.py).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from assessments.demo import GUARDRAILS, RECOUPLED
from assessments.models import Answer, ClassifiedAction, Response
from assessments.services import (
    decide_reopen_request,
    instrument_for,
    request_reopen,
    submit_response,
)
from orgs.models import Team
from reports import selectors
from reports.models import Release, ResponseSnapshot
from reports.release_builder import to_plain
from tests.builders import add_people, release, submit
from tests.reports.exposure import exposed
from tests.reports.release_audit import K, audit, pooled_of

SECRET = "secret-words-of-one-person"
QUOTED = "Words their author allowed to be quoted"


def export(client, table, **params):
    query = "&".join(f"{k}={v}" for k, v in {"table": table, **params}.items())
    body = client.get(reverse("org_dashboard_export", args=["acme"]) + "?" + query)
    assert body.status_code == 200
    return list(csv.DictReader(io.StringIO(body.content.decode())))


@pytest.fixture
def org(world, cycle):
    """Alpha: 4 people in 'build', 3 of them engineers (the attack's Search Assistant);
    Beta: 2; Gamma and Delta: 1 each (pooled with Beta); Epsilon: 6."""
    extra = {}
    for name in ("Gamma", "Delta", "Epsilon"):
        extra[name] = Team.objects.create(organization=world.acme, name=name, slug=name.lower())
        cycle.teams.add(extra[name])
    people = {
        world.alpha: [world.tess, world.max, *add_people(world.acme, world.alpha, 2)],
        world.beta: [world.bob, *add_people(world.acme, world.beta, 1)],
        extra["Gamma"]: add_people(world.acme, extra["Gamma"], 1),
        extra["Delta"]: add_people(world.acme, extra["Delta"], 1),
        extra["Epsilon"]: add_people(world.acme, extra["Epsilon"], 6),
    }
    for team, users in people.items():
        for i, user in enumerate(users):
            role = "engineering" if (team == world.alpha and i < 3) or i % 2 else "design"
            extra: dict[str, object] = {"ctx_lifecycle_stage": "build"}
            quotable: frozenset[str] = frozenset()
            if user == world.max:
                extra["act_individual"] = SECRET
            if user == world.tess:
                extra["txt_anything_else"] = QUOTED
                quotable = frozenset({"txt_anything_else"})
            submit(cycle, team, user, GUARDRAILS, role=role, extra=extra, quotable=quotable)
    release(cycle)
    return cycle


def test_attack_1_two_filters_subtracted(world, org, login):
    client = login(world.leo)
    by_stage = {r["team"]: r for r in export(client, "teams", cycle=org.slug, stage="build")}
    both = {
        r["team"]: r
        for r in export(client, "teams", cycle=org.slug, role="engineering", stage="build")
    }
    unfiltered = {r["team"]: r for r in export(client, "teams", cycle=org.slug)}
    assert "Epsilon" in {r["team"] for r in export(client, "teams", role="design")}  # cells shown
    for team in set(by_stage) | set(both):
        ns = {int(t[team]["n"]) for t in (by_stage, both, unfiltered) if team in t}
        assert all(a == b or abs(a - b) >= K for a in ns for b in ns), (team, ns)
    # The chart JSON on the page holds the same groups as the CSV, no more.
    page = client.get(reverse("org_dashboard", args=["acme"]) + "?role=engineering&stage=build")
    assert "one at a time" in page.content.decode()
    audit(org)


def test_attack_2_the_pool_differenced(world, org, login):
    client = login(world.leo)
    pools = []
    for params in ({}, {"role": "engineering"}, {"role": "design"}, {"stage": "build"}):
        rows = {r["team"]: int(r["n"]) for r in export(client, "teams", **params)}
        if "Other teams (pooled)" in rows:
            pools.append(rows["Other teams (pooled)"])
    assert pools and all(a == b or abs(a - b) >= K for a in pools for b in pools)
    audit(org)


def test_attack_3_before_and_after_a_reopen_or_a_new_submission(world, org, login):
    client = login(world.leo)
    before = export(client, "teams")
    target = Response.objects.filter(team=world.alpha, respondent=world.max).get()
    decide_reopen_request(world.tess, request_reopen(target, "typo"), approve=True)
    release(org)
    assert export(client, "teams") == before  # the reopen waits for a batch of k
    target.refresh_from_db()
    submit_response(target)
    newcomer = add_people(world.acme, world.alpha, 1, start=40)[0]
    submit(org, world.alpha, newcomer, RECOUPLED, extra={"ctx_lifecycle_stage": "build"})
    release(org)
    after = export(client, "teams")
    alpha_n = {int(r["n"]) for r in (*before, *after) if r["team"] == "Alpha"}
    assert all(a == b or abs(a - b) >= K for a in alpha_n for b in alpha_n)
    audit(org)


def test_attack_4_the_one_person_exception_shows_only_your_own(world, org, login):
    gamma = Team.objects.get(organization=world.acme, slug="gamma")
    author = Response.objects.get(team=gamma).respondent
    author.memberships.all().delete()
    world.membership(world.alice).__class__.objects.filter(user=world.alice).update(team=gamma)
    page = login(world.alice).get(reverse("team_dashboard", args=["acme", "gamma"]))
    assert "Your own scores" not in page.content.decode()
    assert "Recoupling profile" not in page.content.decode()


def test_attack_6_no_spread_for_small_groups(world, org, login):
    client = login(world.tess)
    body = client.get(
        reverse("team_dashboard_export", args=["acme", "alpha"]) + "?table=constructs"
    )
    rows = list(csv.DictReader(io.StringIO(body.content.decode())))
    assert "min" not in rows[0] and "max" not in rows[0]
    assert all(r["sd"] == "" for r in rows)  # n = 4 < 2k
    view = client.get(reverse("team_dashboard", args=["acme", "alpha"])).context["view"]
    text = json.dumps(to_plain(view))
    assert '"min":' not in text.replace('"min": null', "") and '"max":' not in text.replace(
        '"max": null', ""
    )
    # The groups' results as the release stores them for the leader (the export and PDF).
    _, leader_view = selectors.release_page(org, "org")
    epsilon = next(g for g in leader_view["groups"] if g["name"] == "Epsilon")
    assert all(c["sd"] is not None for c in epsilon["aggregate"]["constructs"].values())  # 6 = 2k


def test_attack_7_free_text_is_quoted_only_where_allowed(world, org, login):
    assert Answer.objects.filter(value=SECRET).exists()
    assert ClassifiedAction.objects.filter(text=SECRET).exists()
    for user, url in (
        (world.tess, reverse("team_dashboard", args=["acme", "alpha"])),
        (world.tess, reverse("team_dashboard_export", args=["acme", "alpha"]) + "?table=actions"),
        (world.leo, reverse("org_dashboard", args=["acme"])),
        (world.leo, reverse("org_dashboard_export", args=["acme"]) + "?table=actions"),
    ):
        assert SECRET not in login(user).get(url).content.decode()
    from reports.pdf import render_html

    html = render_html(world.acme, org, world.alpha) + render_html(world.acme, org, None)
    assert SECRET not in html
    # What its author allowed is quoted, without a name, inside the released team (4 people).
    team_page = login(world.tess).get(reverse("team_dashboard", args=["acme", "alpha"]))
    assert QUOTED in team_page.content.decode() and QUOTED in html
    assert world.tess.name not in team_page.content.decode().split(QUOTED)[0][-400:]


COLLECTIVE_DK = dict.fromkeys(
    (i.key for i in instrument_for("1").items if i.construct == "collective_practice"),
    "dont_know",
)


def construct_audit(cycle, construct):
    """Every group a page shows a mean of `construct` over, as the people with a score on it
    (whom an attacker is assumed to know), over all releases: nobody may be exposed."""
    rows = []
    teams = {t.pk: t.name for t in Team.objects.filter(organization=cycle.organization)}
    for rel in Release.objects.filter(cycle=cycle).order_by("number"):
        snaps = {
            s.response_key: s for s in ResponseSnapshot.objects.filter(pk__in=rel.people.values())
        }
        scored = {
            (rid, s.digest)
            for rid, s in snaps.items()
            if s.scores["constructs"][construct]["score"] is not None
        }

        def unit_members(name, snaps=snaps, rel=rel):
            pooled = pooled_of(rel)
            return {
                (rid, s.digest)
                for rid, s in snaps.items()
                if teams[s.team_id] == name
                or (name == "Other teams (pooled)" and teams[s.team_id] in pooled)
            }

        for key, data in selectors.built_pages(rel).items():
            if key.startswith("team:"):
                row = next(c for c in data["constructs"] if c["key"] == construct)
                if row["mean"] is not None:
                    members = unit_members(teams[int(key.split(":")[1])]) & scored
                    assert row["n"] == len(members) >= K
                    rows.append(frozenset(members))
                continue
            if not data.get("visible"):
                continue
            dim, value = key.split("?")[1].split("=") if "?" in key else (None, None)
            union = set()
            for g in data["groups"]:
                stats = g["aggregate"]["constructs"][construct]
                members = {
                    v
                    for v in unit_members(g["name"]) & scored
                    if dim is None or snaps[v[0]].segments[dim] == value
                }
                if stats["mean"] is not None:
                    assert stats["n"] == len(members) >= K, (key, g["name"])
                    rows.append(frozenset(members))
                    union |= members
            overall = data["overall"]["aggregate"]["constructs"][construct]
            if overall["mean"] is not None:
                # Organisation-wide over the units that show it, so it adds no new row.
                assert overall["n"] == len(union), key
                rows.append(frozenset(union))
    assert not exposed(rows), f"a person's {construct} score is exposed"
    return rows


def test_attack_8_a_mean_over_one_newcomer_among_k(world, org, login):
    """Three people join Epsilon, two of whom say "don't know" to every collective-practice
    item: the team moves by k, but the people with a collective-practice score by one."""
    epsilon = Team.objects.get(organization=world.acme, slug="epsilon")
    before = export(login(world.leo), "teams")
    for i, user in enumerate(add_people(world.acme, epsilon, 3, start=50)):
        extra = {"ctx_lifecycle_stage": "build", **(COLLECTIVE_DK if i < 2 else {})}
        submit(org, epsilon, user, RECOUPLED, role="design", extra=extra)
    release(org)
    after = export(login(world.leo), "teams")
    n = {r["team"]: int(r["n"]) for r in after}
    assert n["Epsilon"] == 9  # the team itself moved by k and is released
    page = login(world.leo).get(reverse("team_dashboard", args=["acme", "epsilon"]))
    row = next(c for c in page.context["view"]["constructs"] if c["key"] == "collective_practice")
    assert row["mean"] is None  # its mean over 6 + 1 scored people would show the one
    rows = construct_audit(org, "collective_practice")
    assert len(rows) >= 4
    assert {r["team"] for r in before} <= set(n)


def test_attack_9_a_team_minus_its_cells_is_not_one_scored_person(world, cycle, login):
    """Six people, three engineers and three designers, two of whom have no collective-
    practice score: the team's mean minus the engineers' would be the third designer's."""
    team = Team.objects.create(organization=world.acme, name="Zeta", slug="zeta")
    cycle.teams.add(team)
    for i, user in enumerate(add_people(world.acme, team, 6)):
        role = "engineering" if i < 3 else "design"
        extra = {"ctx_lifecycle_stage": "build", **(COLLECTIVE_DK if i >= 4 else {})}
        submit(cycle, team, user, GUARDRAILS, role=role, extra=extra)
    release(cycle)
    construct_audit(cycle, "collective_practice")
    assert login(world.leo).get(reverse("org_dashboard", args=["acme"]) + "?role=engineering")
    _, eng = selectors.release_page(cycle, "org?role=engineering")
    zeta = next(g for g in eng["groups"] if g["name"] == "Zeta")
    assert zeta["aggregate"]["constructs"]["collective_practice"]["mean"] is None
    team_page = login(world.leo).get(reverse("team_dashboard", args=["acme", "zeta"]))
    row = next(
        c for c in team_page.context["view"]["constructs"] if c["key"] == "collective_practice"
    )
    assert row["mean"] is not None and row["n"] == 4  # the team's own figure stays


def test_attack_10_lift_counts_do_not_follow_one_newcomer(world, org, login):
    """The lift table's counts between two releases move by 0 or at least k people."""

    def cells():
        rel = Release.objects.filter(cycle=org).order_by("-number").first()
        page = selectors.built_pages(rel)["org"]
        return {(c["enabler"], c["practice"]): c for c in page["lift_cells"]}

    first = cells()
    epsilon = Team.objects.get(organization=world.acme, slug="epsilon")
    for i, user in enumerate(add_people(world.acme, epsilon, 3, start=60)):
        extra = {"ctx_lifecycle_stage": "build", **(COLLECTIVE_DK if i < 2 else {})}
        submit(org, epsilon, user, RECOUPLED, extra=extra)
    release(org)
    second = cells()
    for cell, now in second.items():
        was = first.get(cell)
        for part in ("with_n", "without_n"):
            if now[part] is None or was is None or was[part] is None:
                continue
            assert now[part] == was[part] or abs(now[part] - was[part]) >= K, (cell, part)


def test_attack_11_a_construct_minus_its_items_is_not_the_one_partial_answerer(world, cycle, login):
    """Five people; one answers a single collective-practice item and "don't know" to the
    rest. The weighted item sums taken from the construct's sum would leave that person's
    answer, so where people answered different items the items are not shown beside it."""
    team = Team.objects.create(organization=world.acme, name="Zeta", slug="zeta")
    cycle.teams.add(team)
    keys = list(COLLECTIVE_DK)
    for i, user in enumerate(add_people(world.acme, team, 5)):
        answers = (
            {**COLLECTIVE_DK, keys[0]: "yes"}
            if i == 0
            else {key: ("yes" if (i + j) % 3 else "no") for j, key in enumerate(keys)}
        )
        submit(cycle, team, user, GUARDRAILS, extra={"ctx_lifecycle_stage": "build", **answers})
    release(cycle)
    view = login(world.leo).get(reverse("team_dashboard", args=["acme", "zeta"])).context["view"]
    row = next(c for c in view["constructs"] if c["key"] == "collective_practice")
    items = next(c for c in view["drilldown"] if c["key"] == "collective_practice")["items"]
    assert row["mean"] is not None and row["n"] == 5
    # Only the item all five answered is shown: the construct minus it leaves four people.
    shown = {item["key"] for item in items if item["mean"] is not None}
    assert shown == {keys[0]}
    hidden = [item for item in items if item["key"] != keys[0]]
    assert not any(a["count"] for item in hidden for a in item["answers"])
    # A construct everyone answered the same way keeps its items.
    principles = next(c for c in view["drilldown"] if c["key"] == "principles")["items"]
    assert all(item["mean"] is not None for item in principles)


def test_attack_12_no_spread_over_fewer_than_2k_scored_people(world, cycle, login):
    """Six people, three of whom said "don't know" to every collective-practice item: the
    mean is over three, and a spread over three would give the other two to any one of them."""
    team = Team.objects.create(organization=world.acme, name="Zeta", slug="zeta")
    cycle.teams.add(team)
    for i, user in enumerate(add_people(world.acme, team, 6)):
        extra = {"ctx_lifecycle_stage": "build", **(COLLECTIVE_DK if i >= 3 else {})}
        submit(cycle, team, user, GUARDRAILS, extra=extra)
    release(cycle)
    view = login(world.leo).get(reverse("team_dashboard", args=["acme", "zeta"])).context["view"]
    rows = {c["key"]: c for c in view["constructs"]}
    assert rows["collective_practice"]["n"] == 3 and rows["collective_practice"]["mean"] is not None
    assert rows["collective_practice"]["sd"] is None
    assert rows["principles"]["sd"] is not None  # six scored people: 2k


def test_attack_13_where_few_answered_more_a_construct_loses_its_mean_not_its_items(
    world, cycle, login
):
    """Four people; two said "don't know" to one governance question. The mean minus the
    other questions would leave the two who answered it, so the governance mean is not
    shown there; its questions are (they make the drilldown and the real test)."""
    team = Team.objects.create(organization=world.acme, name="Zeta", slug="zeta")
    cycle.teams.add(team)
    gov = [i.key for i in instrument_for("1").items if i.construct == "governance_design"]
    dk_key = next(
        i.key
        for i in instrument_for("1").items
        if i.construct == "governance_design" and any(o.dont_know for o in i.options)
    )
    answered = {
        i.key: next(o.value for o in i.options if not o.dont_know)
        for i in instrument_for("1").items
        if i.construct == "governance_design" and i.options and not i.show_if
    }
    for i, user in enumerate(add_people(world.acme, team, 4)):
        # Nobody is shown the agent-actions question (it follows what the product does).
        extra = {"ctx_lifecycle_stage": "build", "ctx_genai_uses": ["content"], **answered}
        if i < 2:
            extra[dk_key] = "dont_know"
        submit(cycle, team, user, GUARDRAILS, extra=extra)
    release(cycle)
    view = login(world.leo).get(reverse("team_dashboard", args=["acme", "zeta"])).context["view"]
    row = next(c for c in view["constructs"] if c["key"] == "governance_design")
    items = {
        i["key"]: i
        for i in next(c for c in view["drilldown"] if c["key"] == "governance_design")["items"]
    }
    assert row["mean"] is None
    assert items[dk_key]["mean"] is None  # two answered it: fewer than k
    shown = [k for k in gov if k != dk_key and items[k]["mean"] is not None]
    assert shown  # the questions everyone answered stay
    practice = next(c for c in view["constructs"] if c["key"] == "collective_practice")
    assert practice["mean"] is not None
