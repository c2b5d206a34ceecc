"""Building and storing releases (writes). Pages read them through reports/selectors.py."""

from __future__ import annotations

import dataclasses
import logging

from django.db import transaction
from django.utils import timezone

from assessments.models import Cycle
from assessments.services import instrument_for, rules_for

from . import bulk_rows, selectors, text_homes
from .collector import collector_paused
from .disclosure import Prior
from .lift_rows import LiftRows
from .models import Release, ReleasePage, ResponseSnapshot
from .release_builder import BuiltRelease, ReleaseInput, build_release

log = logging.getLogger(__name__)
KEEP_PAGES_OF = (
    2  # releases whose pages are kept (the latest, and the one before for a reader mid-swap)
)


def build(cycle_id: int, reason: str = Release.Reason.SUBMISSIONS) -> Release | None:
    """Build the cycle's next release if anything changed; None when nothing new could be
    released (changes may still be held back: the latest release then says how many)."""
    with collector_paused(), transaction.atomic():
        cycle = (
            Cycle.objects.select_for_update(of=("self",))
            .select_related("organization", "instrument")
            .get(pk=cycle_id)
        )
        latest = Release.objects.filter(cycle=cycle).order_by("-number").first()
        stamp = selectors.submissions_stamp(cycle)
        regroup = threshold_raised(cycle, latest)
        if (
            latest
            and reason == Release.Reason.SUBMISSIONS
            and latest.source_stamp == stamp
            and not regroup
        ):
            return None
        built = _build(cycle, latest, regroup)
        if regroup:
            # Changes wait for the next release, which the periodic pass builds at once
            # (an empty stamp never matches), so pending changes are compared at the new k.
            return _store(cycle, latest, built, reason, "")
        included = {rid: e.digest for rid, e in built.entries.items()}
        if latest and reason == Release.Reason.SUBMISSIONS and included == _versions(latest):
            latest.n_held_back = len(built.plan.held_back)
            latest.source_stamp = stamp
            latest.checked_at = timezone.now()
            latest.save(update_fields=["n_held_back", "source_stamp", "checked_at"])
            return None
        return _store(cycle, latest, built, reason, stamp)


def threshold_raised(cycle: Cycle, latest: Release | None) -> bool:
    """Whether the organisation raised its threshold since the cycle's latest release.

    Then the next release regroups that release's responses under the new threshold and
    takes no change. Comparing new groups with the old ones by the new k ("change by 0 or
    at least k") does not settle: the groups themselves are formed by k (a team of 4
    released at k = 3 joins the pool at k = 5, moving it by 4), and holding changes back
    cannot undo that, so every change would wait for ever. Treating the raise as a fresh
    baseline with changes taken would be unsafe: a reopened response changed at the same
    time would show as the difference between its team's old and new group. Regrouping
    alone is safe (disclosure.plan_regrouping): with no version changed, the audit over
    every row released in the cycle sees every difference, at the new threshold. Lowering
    k changes nothing within a cycle (see _build)."""
    return latest is not None and cycle.organization.anonymity_threshold > latest.threshold


def _versions(release: Release) -> dict[int, str]:
    snapshots = dict(
        ResponseSnapshot.objects.filter(pk__in=release.people.values()).values_list(
            "response_key", "digest"
        )
    )
    return {int(rid): snapshots[rid] for rid in map(int, release.people) if rid in snapshots}


def _build(cycle: Cycle, latest: Release | None, regroup: bool = False) -> BuiltRelease:
    instrument = instrument_for(cycle.instrument.version)
    org_history, team_history, org_previous = selectors.earlier_means(cycle)
    prior = Prior()
    prior_entries = {}
    earlier_entries = {}
    prior_lift = LiftRows()
    if latest is not None:
        prior = Prior(
            last={k: frozenset(selectors.decode_rows([v])[0]) for k, v in latest.last_rows.items()},
            rows=selectors.decode_rows(latest.all_rows),
            shown=frozenset(latest.shown_rows),
            units=frozenset(latest.unit_rows) if latest.unit_rows is not None else None,
            hidden={f: frozenset(rows) for f, rows in latest.family_hidden.items()},
        )
        prior_entries = selectors.release_entries(latest, instrument)
        earlier_entries = selectors.replaced_entries(latest, instrument)
        prior_lift = LiftRows.from_named(selectors.decode_named_rows(latest.lift_rows))
    return build_release(
        ReleaseInput(
            instrument=instrument,
            rules=rules_for(instrument.version),
            teams=selectors.cycle_teams(cycle),
            # Answers given under a higher threshold keep it: lowering k mid-cycle must not
            # release, in smaller batches, what people gave under the promise of a larger one.
            threshold=max(
                cycle.organization.anonymity_threshold, latest.threshold if latest else 0
            ),
            team_previous_pages=selectors.previous_team_pages(cycle),
            current=selectors.current_entries(cycle, instrument),
            prior=prior,
            prior_entries=prior_entries,
            earlier_entries=earlier_entries,
            prior_lift=prior_lift,
            team_history=team_history,
            org_history=org_history,
            org_previous=org_previous,
            cycle_name=cycle.name,
            regroup=regroup,
            prior_homes=text_homes.decode(latest.text_homes)
            if latest is not None and latest.text_homes is not None
            else None,
        )
    )


def _store(
    cycle: Cycle, latest: Release | None, built: BuiltRelease, reason: str, stamp: str
) -> Release:
    known = set(ResponseSnapshot.objects.filter(cycle=cycle).values_list("response_key", "digest"))
    # A version is stored once, when first released; the cycle's lock (build) keeps another
    # build from storing it meanwhile, and snapshots of other cycles hold other responses.
    bulk_rows.insert(
        ResponseSnapshot,
        [
            ResponseSnapshot(
                cycle=cycle,
                response_key=e.rid,
                team_id=e.team,
                digest=e.digest,
                scores=selectors.compact_scores(e.stored or e.score.to_dict()),
                segments=dict(e.segments),
                texts=[dataclasses.asdict(t) for t in e.texts],
            )
            for e in built.entries.values()
            if (e.rid, e.digest) not in known
        ],
    )
    snapshot_ids = {
        (rid, d): pk
        for pk, rid, d in ResponseSnapshot.objects.filter(cycle=cycle).values_list(
            "pk", "response_key", "digest"
        )
    }
    release = Release.objects.create(
        cycle=cycle,
        number=(latest.number + 1) if latest else 1,
        reason=reason,
        threshold=built.plan.threshold,
        n_included=len(built.entries),
        n_held_back=len(built.plan.held_back),
        regrouped_from=latest.threshold
        if latest and built.plan.threshold > latest.threshold
        else None,
        people={str(rid): snapshot_ids[(rid, e.digest)] for rid, e in built.entries.items()},
        last_rows={k: selectors.encode_row(v) for k, v in built.plan.last.items()},
        all_rows=[selectors.encode_row(r) for r in built.plan.rows],
        shown_rows=sorted(built.families.shown),
        unit_rows=sorted(built.families.units),
        family_hidden={f: sorted(rows) for f, rows in sorted(built.families.hidden.items())},
        lift_rows=selectors.encode_named_rows(built.lift.state.named()),
        text_homes=text_homes.encode(built.homes),
        source_stamp=stamp,
    )
    bulk_rows.insert(
        ReleasePage,
        [
            ReleasePage(
                release=release,
                key=key,
                team_id=int(key.split(":")[1]) if key.startswith("team:") else None,
                data=data,
            )
            for built_key, page in built.pages.items()
            for key, data in selectors.stored_rows(built_key, page).items()
        ],
    )
    old = Release.objects.filter(cycle=cycle).order_by("-number").values_list("pk", flat=True)
    ReleasePage.objects.filter(release_id__in=list(old[KEEP_PAGES_OF:])).delete()
    # Only the latest release's lift rows are read again (by the next build).
    Release.objects.filter(pk__in=list(old[1:])).exclude(lift_rows={}).update(lift_rows={})
    log.info(
        "release %s of cycle %s: %s included, %s held back",
        release.number,
        cycle.pk,
        release.n_included,
        release.n_held_back,
    )
    return release


def cycles_to_refresh() -> list[tuple[int, str]]:
    """Cycles whose submissions changed since their latest release, or that closed since:
    what the periodic task builds (a few queries per open cycle)."""
    due: list[tuple[int, str]] = []
    today = timezone.localdate()
    for cycle in Cycle.objects.exclude(state=Cycle.State.DRAFT).select_related("organization"):
        latest = (
            Release.objects.filter(cycle=cycle)
            .order_by("-number")
            .only("reason", "source_stamp", "regrouped_from", "threshold")
            .first()
        )
        if cycle.is_closed(today):
            # A regrouping took no change: the closing release still has to follow it.
            if (
                latest is None
                or latest.reason != Release.Reason.CLOSED
                or latest.regrouped_from is not None
            ):
                due.append((cycle.pk, Release.Reason.CLOSED))
            continue
        if (
            latest is None
            or latest.source_stamp != selectors.submissions_stamp(cycle)
            or threshold_raised(cycle, latest)
        ):
            due.append((cycle.pk, Release.Reason.SUBMISSIONS))
    return due
