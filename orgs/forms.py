from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from . import roster
from .models import AuditEvent, Membership, Organization, Role, Team, User


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        # Lower-case before authenticating: the lockout counts failures per username as
        # given, so "Alice@..." and "alice@..." would otherwise each get their own attempts.
        return self.cleaned_data["username"].lower()


class PasswordFields(forms.Form):
    """A new password, typed twice, checked by Django's validators."""

    # The address the password is for when the form does not ask for it (invitations),
    # so the similarity validator still compares the password with it.
    known_email = ""

    password1 = forms.CharField(
        label="Password",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            user = User(email=data.get("email") or self.known_email, name=data.get("name", ""))
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class SignUpForm(forms.Form):
    """Who asks and the organisation to create; the password comes once the email is
    confirmed. Whether the address has an account is never said here."""

    name = forms.CharField(label="Your name", max_length=120)
    email = forms.EmailField(label="Email", max_length=254)
    organization = forms.CharField(label="Organisation name", max_length=120)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class SignUpConfirmForm(PasswordFields):
    """The password, after the sign-up link proved the email."""

    def __init__(self, *args: Any, email: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.known_email = email


class AcceptInvitationForm(PasswordFields):
    name = forms.CharField(label="Your name", max_length=120)
    field_order = ["name", "password1", "password2"]

    def __init__(self, *args: Any, email: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.known_email = email


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=120)


class SettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "anonymity_threshold", "show_participation_names"]
        labels = {"show_participation_names": "Show who has not submitted yet"}
        help_texts = {
            "anonymity_threshold": (
                "Team results are shown only once at least this many people have submitted "
                "(2 to 50). Smaller groups are pooled."
            ),
            "show_participation_names": (
                "Off (recommended): team leads and admins see only how many people have "
                "submitted. On: they also see the names of those who have not, and so, by "
                "elimination, who has."
            ),
        }


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=120)

    def __init__(
        self, *args: Any, organization: Organization, team: Team | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.organization, self.team = organization, team

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Team.objects.filter(organization=self.organization, name__iexact=name)
        if self.team:
            clash = clash.exclude(pk=self.team.pk)
        if clash.exists():
            raise forms.ValidationError("A team with this name exists already.")
        return name


# Cycles a new team can still join: prepared or taking answers, not yet past closing.
JOINABLE_CYCLE_STATES = ("draft", "open")


class NewTeamForm(TeamForm):
    """A team's name, and whether it joins the cycles still ahead (on by default): a team in
    no cycle would tell its invitees that there is nothing to answer."""

    add_to_cycles = forms.BooleanField(
        label="Add to open and draft cycles", required=False, initial=True
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, organization=organization, **kwargs)
        # Through the reverse relation: orgs does not import assessments.
        self.joinable_cycles = list(
            organization.cycles.filter(
                state__in=JOINABLE_CYCLE_STATES, closes_on__gte=timezone.localdate()
            ).order_by("opens_on", "name")
        )
        if self.joinable_cycles:
            self.fields["add_to_cycles"].help_text = "The team takes part in " + ", ".join(
                f"{c.name} ({c.get_state_display().lower()})" for c in self.joinable_cycles
            )
        else:
            del self.fields["add_to_cycles"]

    def cycles_to_join(self) -> list[Any]:
        return self.joinable_cycles if self.cleaned_data.get("add_to_cycles") else []


class _RoleTeamForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="No team"
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = organization.teams.filter(
            archived_at__isnull=True
        )
        self.fields["team"].help_text = "Needed for team leads and members."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") in {Role.TEAM_LEAD, Role.MEMBER} and not data.get("team"):
            self.add_error("team", "A team lead or member needs a team.")
        return data


class InvitationForm(_RoleTeamForm):
    email = forms.EmailField(label="Email", max_length=254)
    # No role is preselected: an invitation with only an email must not make an admin.
    role = forms.ChoiceField(
        choices=[("", "Choose a role…"), *Role.choices],
        error_messages={"required": "Choose the role this person will have."},
    )
    field_order = ["email", "role", "team"]


class RoleForm(_RoleTeamForm):
    pass


class AuditFilterForm(forms.Form):
    actor = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Anyone"
    )
    action = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["actor"]).queryset = User.objects.filter(
            pk__in=Membership.objects.filter(organization=organization).values("user")
        ) | User.objects.filter(pk__in=organization.audit_events.values("actor"))
        cast(forms.ChoiceField, self.fields["action"]).choices = [
            ("", "Any action"),
            *AuditEvent.Action.choices,
        ]


class RosterUploadForm(forms.Form):
    """A roster file to preview; nothing changes until the preview is applied."""

    file = forms.FileField(
        label="Roster file (CSV)",
        help_text="Columns email, name, team, role; UTF-8; at most 5 MB and 50,000 people.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    segments = forms.CharField(
        label="Segment columns",
        required=False,
        max_length=400,
        help_text="Optional: extra columns to keep, comma-separated (e.g. department, "
        "location). Other extra columns are ignored.",
    )
    deactivate_missing = forms.BooleanField(
        label="People not in the file leave",
        required=False,
        help_text="They are deactivated, not deleted: their submitted answers stay. "
        "Org admins are never made to leave by an import.",
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > roster.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 5 MB. "
                "Split it into smaller files."
            )
        return upload

    def clean_segments(self) -> tuple[str, ...]:
        try:
            return roster.parse_segment_names(self.cleaned_data["segments"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class RosterApplyForm(forms.Form):
    plan = forms.CharField(max_length=64, widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="I have checked the preview: apply these changes.",
        error_messages={"required": "Tick the box to confirm that you checked the preview."},
    )
