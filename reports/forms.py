"""The action-plan form: a leadership decision answering one released recommendation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from assessments.instrument.types import CONSTRUCTS
from orgs.models import Membership, Organization, Team

from .models import ActionPlan

MAX_AHEAD = timedelta(days=3 * 366)


class _OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        name = obj.user.display_name
        return f"{name} ({obj.get_role_display()})"


class ActionPlanForm(forms.Form):
    title = forms.CharField(label="Decision", max_length=200)
    constructs = forms.MultipleChoiceField(
        label="Constructs it should move",
        choices=[(k, c["label"]) for k, c in CONSTRUCTS.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="The recommendation's own construct is always included; add others it "
        "should move too.",
    )
    owner = _OwnerField(label="Owner", queryset=Membership.objects.none(), empty_label="Choose…")
    due_on = forms.DateField(
        label="Due date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    change = forms.CharField(
        label="What will change",
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
        help_text="Concretely, what people in the teams will notice. At most 2,000 characters.",
    )
    teams = forms.ModelMultipleChoiceField(
        label="Teams it concerns",
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="They see this decision on their team dashboard.",
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        rule_construct: str,
        plan: ActionPlan | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.rule_construct, self.plan = rule_construct, plan
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = (
            Membership.objects.filter(organization=organization)
            .select_related("user")
            .order_by("user__name", "user__email")
        )
        teams = organization.teams.filter(archived_at__isnull=True)
        if plan is not None and plan.pk:
            teams = organization.teams.filter(
                pk__in=[
                    *teams.values_list("pk", flat=True),
                    *plan.teams.values_list("pk", flat=True),
                ]
            )
        cast(forms.ModelMultipleChoiceField, self.fields["teams"]).queryset = teams.order_by("name")

    def clean_title(self) -> str:
        return self.cleaned_data["title"].strip()

    def clean_change(self) -> str:
        return self.cleaned_data["change"].strip()

    def clean_constructs(self) -> list[str]:
        chosen = list(self.cleaned_data["constructs"])
        if self.rule_construct and self.rule_construct not in chosen:
            label = CONSTRUCTS[self.rule_construct]["label"]
            raise forms.ValidationError(
                f"Keep “{label}”: it is the construct this recommendation serves."
            )
        # The rule's construct first, then the others in the instrument's order.
        return [self.rule_construct] * bool(self.rule_construct) + [
            k for k in CONSTRUCTS if k in chosen and k != self.rule_construct
        ]

    def clean_due_on(self) -> date:
        due = self.cleaned_data["due_on"]
        today = timezone.localdate()
        unchanged = self.plan is not None and self.plan.due_on == due
        if due < today and not unchanged:
            raise forms.ValidationError("Choose a due date from today on.")
        if due > today + MAX_AHEAD:
            raise forms.ValidationError("Choose a due date within three years.")
        return due
