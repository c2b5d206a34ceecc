"""Building and storing releases (writes). Pages read them through reports/selectors.py."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from assessments.models import Cycle
from assessments.services import instrument_for, rules_for

from . import selectors
from .disclosure import Prior
from .models import Release, ReleasePage, ResponseSnapshot
from .release_builder import BuiltRelease, ReleaseInput, build_release

log = logging.getLogger(__name__)
KEEP_PAGES_OF = (
    2  # releases whose pages are kept (the latest, and the one before for a reader mid-swap)
)


def build(cycle_id: int, reason: str = Release.Reason.SUBMISSIONS) -> Release | None:
    """Build the cycle's next release if anything changed; None when nothing new could be
    released (changes may still be held back: the latest release then says how many)."""
    with transaction.atomic():
        cycle = (
            Cycle.objects.select_for_update(of=("self",))
            .select_related("organization", "instrument")
            .get(pk=cycle_id)
        )
        latest = Release.objects.filter(cycle=cycle).order_by("-number").first()
        stamp = selectors.submissions_stamp(cycle)
        if latest and reason == Release.Reason.SUBMISSIONS and latest.source_stamp == stamp:
            return None
        built = _build(cycle, latest)
        included = {rid: e.digest for rid, e in built.entries.items()}
        if latest and reason == Release.Reason.SUBMISSIONS and included == _versions(latest):
            latest.n_held_back = len(built.plan.held_back)
            latest.source_stamp = stamp
            latest.checked_at = timezone.now()
            latest.save(update_fields=["n_held_back", "source_stamp", "checked_at"])
            return None
        return _store(cycle, latest, built, reason, stamp)


def _versions(release: Release) -> dict[int, str]:
    snapshots = dict(
        ResponseSnapshot.objects.filter(pk__in=release.people.values()).values_list(
            "response_key", "digest"
        )
    )
    return {int(rid): snapshots[rid] for rid in map(int, release.people) if rid in snapshots}


def _build(cycle: Cycle, latest: Release | None) -> BuiltRelease:
    instrument = instrument_for(cycle.instrument.version)
    org_history, team_history = selectors.earlier_means(cycle)
    prior = Prior()
    prior_entries = {}
    if latest is not None:
        prior = Prior(
            last={k: frozenset(selectors.decode_rows([v])[0]) for k, v in latest.last_rows.items()},
            rows=selectors.decode_rows(latest.all_rows),
        )
        prior_entries = selectors.release_entries(latest, instrument)
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
            current=selectors.current_entries(cycle, instrument),
            prior=prior,
            prior_entries=prior_entries,
            team_history=team_history,
            org_history=org_history,
            cycle_name=cycle.name,
        )
    )


def _store(
    cycle: Cycle, latest: Release | None, built: BuiltRelease, reason: str, stamp: str
) -> Release:
    known = set(ResponseSnapshot.objects.filter(cycle=cycle).values_list("response_key", "digest"))
    ResponseSnapshot.objects.bulk_create(
        [
            ResponseSnapshot(
                cycle=cycle,
                response_key=e.rid,
                team_id=e.team,
                digest=e.digest,
                scores=selectors.compact_scores(e.stored or e.score.to_dict()),
                segments=dict(e.segments),
                texts=[
                    {
                        "item_key": t.item_key,
                        "text": t.text,
                        "may_quote": t.may_quote,
                        "kind": t.kind,
                    }
                    for t in e.texts
                ],
            )
            for e in built.entries.values()
            if (e.rid, e.digest) not in known  # a version is stored once, when first released
        ],
        ignore_conflicts=True,
        batch_size=500,
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
        people={str(rid): snapshot_ids[(rid, e.digest)] for rid, e in built.entries.items()},
        last_rows={k: selectors.encode_row(v) for k, v in built.plan.last.items()},
        all_rows=[selectors.encode_row(r) for r in built.plan.rows],
        source_stamp=stamp,
    )
    ReleasePage.objects.bulk_create(
        [
            ReleasePage(
                release=release,
                key=key,
                team_id=int(key.split(":")[1]) if key.startswith("team:") else None,
                data=data,
            )
            for key, data in built.pages.items()
        ],
        batch_size=200,
    )
    old = Release.objects.filter(cycle=cycle).order_by("-number").values_list("pk", flat=True)
    ReleasePage.objects.filter(release_id__in=list(old[KEEP_PAGES_OF:])).delete()
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
            .only("reason", "source_stamp")
            .first()
        )
        if cycle.is_closed(today):
            if latest is None or latest.reason != Release.Reason.CLOSED:
                due.append((cycle.pk, Release.Reason.CLOSED))
            continue
        if latest is None or latest.source_stamp != selectors.submissions_stamp(cycle):
            due.append((cycle.pk, Release.Reason.SUBMISSIONS))
    return due
