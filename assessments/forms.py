"""Forms of the cycle administration pages."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils import timezone

from orgs.models import Organization, Team

from .instrument.loader import available_versions
from .models import Cycle, InstrumentVersion
from .reminders import format_reminder_days, parse_reminder_days

# Cycles are planned a quarter or a year ahead; a date further than this from today is a typo.
DATE_LIMIT = timedelta(days=2 * 365)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        # The browser's date picker sends and expects ISO dates.
        super().__init__(format="%Y-%m-%d", **kwargs)


# Team ids are positive 64-bit integers; a longer number is not looked up at all (SQLite
# cannot even bind one: "Python int too large to convert to SQLite INTEGER").
TEAM_ID = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63 - 1


class TeamChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Team) -> str:
        return f"{obj.name} (archived)" if obj.is_archived() else obj.name

    def _check_values(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            text = str(pk).strip()
            if not TEAM_ID.fullmatch(text) or int(text) > MAX_ID:
                raise forms.ValidationError(
                    "Choose the teams from the list.", code="invalid_choice"
                )
        return super()._check_values(value)  # type: ignore[misc]  # Django API, not in stubs


class ReminderDaysField(forms.CharField):
    """Days before the close to remind those who have not submitted: "7, 2" → "7,2".

    Blank means no reminders; a post without the field at all (None) leaves them as they are.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Reminder days")
        kwargs.setdefault(
            "help_text",
            "Days before the close on which people who have not submitted get a reminder, "
            "e.g. 7, 2. Leave empty for no reminders.",
        )
        super().__init__(required=False, max_length=40, **kwargs)

    def clean(self, value: Any) -> str | None:
        if value is None:
            return None
        try:
            days = parse_reminder_days(super().clean(value) or "")
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return format_reminder_days(days)


class CycleForm(forms.Form):
    """Name, dates and participating teams; shared by the new and edit pages."""

    name = forms.CharField(
        label="Name", max_length=80, help_text="What people will see, e.g. “2026 Q4”."
    )
    opens_on = forms.DateField(label="Opens on", widget=DateInput())
    closes_on = forms.DateField(
        label="Closes on",
        widget=DateInput(),
        help_text="Answers are accepted until the end of this day.",
    )
    teams = TeamChoices(
        label="Participating teams",
        queryset=Team.objects.none(),
        error_messages={"required": "Choose at least one team."},
    )
    reminder_days = ReminderDaysField()

    def __init__(
        self, *args: Any, organization: Organization, cycle: Cycle | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organization, self.cycle = organization, cycle
        self.initial.setdefault("reminder_days", cycle.reminder_days if cycle else "7,2")
        active = Q(archived_at__isnull=True)
        if cycle is not None:
            # An archived team that already takes part stays listed, so saving keeps it.
            active |= Q(cycles=cycle)
        self.team_choices = organization.teams.filter(active).distinct().order_by("name")
        cast(forms.ModelMultipleChoiceField, self.fields["teams"]).queryset = self.team_choices

    def _check_limit(self, name: str) -> date | None:
        value: date | None = self.cleaned_data.get(name)
        if value is None or (self.cycle is not None and value == getattr(self.cycle, name)):
            return value  # an existing cycle's unchanged dates stay valid as time passes
        today = timezone.localdate()
        if abs(value - today) > DATE_LIMIT:
            raise forms.ValidationError("Pick a date within two years of today.")
        return value

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the cycle a name.")
        clash = Cycle.objects.filter(organization=self.organization, name__iexact=name)
        if self.cycle is not None:
            clash = clash.exclude(pk=self.cycle.pk)
        if clash.exists():
            raise forms.ValidationError("A cycle with this name exists already.")
        return name

    def clean_opens_on(self) -> date | None:
        return self._check_limit("opens_on")

    def clean_closes_on(self) -> date | None:
        return self._check_limit("closes_on")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", "The cycle must close on or after the day it opens.")
        return data


def instrument_choices() -> list[tuple[str, str]]:
    """Instrument files, newest first, marking the versions already published."""
    published = dict(InstrumentVersion.objects.values_list("version", "published_at"))
    choices = []
    for version in reversed(available_versions()):
        when = published.get(version)
        label = f"Version {version}" + (
            f" (published {timezone.localdate(when):%-d %b %Y})" if when else " (not yet published)"
        )
        choices.append((version, label))
    return choices


class NewCycleForm(CycleForm):
    instrument = forms.ChoiceField(
        label="Questionnaire version",
        help_text="An unpublished version is published when the cycle is created; "
        "a published version can no longer change.",
    )
    field_order = ["name", "instrument", "opens_on", "closes_on", "teams"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = instrument_choices()
        cast(forms.ChoiceField, self.fields["instrument"]).choices = choices
        # New cycles default to the newest instrument; cycles already created keep theirs.
        if choices and not self.is_bound:
            self.fields["instrument"].initial = choices[0][0]
