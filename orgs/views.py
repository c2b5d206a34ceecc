"""Organisation, people and invitation pages. Thin: access check, service call, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import get_usage
from django_ratelimit.decorators import ratelimit

from . import roster_services, services
from .access import ADMIN_ONLY, AuthenticatedHttpRequest, org_view, public_view, signed_in_view
from .forms import (
    AcceptInvitationForm,
    AuditFilterForm,
    InvitationForm,
    NewTeamForm,
    OrganizationForm,
    RoleForm,
    RosterApplyForm,
    RosterUploadForm,
    SettingsForm,
    SignUpConfirmForm,
    SignUpForm,
    TeamForm,
)
from .models import Invitation, Membership, RosterUpload, User, team_size
from .roster_pages import roster_list_length, roster_rows

PAGE_SIZE = 25


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Too many attempts from one address (django-ratelimit): a clear page, status 429."""
    return render(request, "429.html", status=429)


def posted_email_key(group: str, request: HttpRequest) -> str:
    """A ratelimit key: the posted email as one mailbox sees it, so "Member@…" and
    " member@…" count as the same address."""
    return request.POST.get("email", "").strip().casefold()


# Wrong current passwords on the password change form, per signed-in user.
CHANGE_THROTTLE_GROUP = "password_change.wrong_old_password"
CHANGE_THROTTLE_RATE = "5/15m"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, throttled: after five wrong current passwords in 15 minutes
    the form refuses (429) for a while, so a borrowed session cannot guess the password."""

    def _wrong_old_passwords(self, increment: bool) -> dict[str, Any] | None:
        return get_usage(
            self.request,
            group=CHANGE_THROTTLE_GROUP,
            key="user",
            rate=CHANGE_THROTTLE_RATE,
            method="POST",
            increment=increment,
        )

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        usage = self._wrong_old_passwords(increment=False)
        if usage is not None and (usage["should_limit"] or usage["count"] >= usage["limit"]):
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None,
                "Too many wrong current passwords. Wait 15 minutes and try again, "
                "or sign out and reset your password by email.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        if "old_password" in form.errors:
            self._wrong_old_passwords(increment=True)
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def _form_errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _query_without_page(request: HttpRequest) -> str:
    """The current filters, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _accept_url(request: HttpRequest) -> Callable[[str], str]:
    return lambda token: request.build_absolute_uri(reverse("invitation_accept", args=[token]))


@public_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    membership = request.user.memberships.active().select_related("organization").first()
    if membership is None:
        return redirect("org_new")
    return redirect("org_home", org=membership.organization.slug)


@public_view
@ratelimit(key="ip", rate="10/h", method="POST", block=True)
@ratelimit(key=posted_email_key, rate="5/h", method="POST", block=True)
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Step one: name, email, organisation; a link goes to the email (the same page
    whether or not the address has an account)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pending = services.PendingSignup(data["email"], data["name"], data["organization"])
        services.request_signup(
            pending,
            {
                "login_url": request.build_absolute_uri(reverse("login")),
                "reset_url": request.build_absolute_uri(reverse("password_reset")),
                "new_org_url": request.build_absolute_uri(reverse("org_new")),
            },
            lambda token: request.build_absolute_uri(reverse("signup_confirm", args=[token])),
        )
        return render(
            request,
            "registration/signup_sent.html",
            {
                "email": pending.email,
                "organization": pending.organization,
                "link_hours": services.SIGNUP_LINK_HOURS,
            },
        )
    return render(
        request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@public_view
@ratelimit(key="ip", rate="30/h", method="POST", block=True)
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Step two, from the emailed link: choose a password; the account and organisation
    are created now. The link expires, and works once (then the account exists)."""
    if request.user.is_authenticated:
        return redirect("home")
    hours = {"link_hours": services.SIGNUP_LINK_HOURS}
    try:
        pending = services.read_signup_token(token[:4000])
    except services.SignupLinkError as error:
        status = 410 if error.reason == "expired" else 404
        return render(
            request,
            "registration/signup_invalid.html",
            {"reason": error.reason, **hours},
            status=status,
        )
    if User.objects.filter(email__iexact=pending.email).exists():
        return _signup_link_used(request)
    form = SignUpConfirmForm(request.POST or None, email=pending.email)
    if request.method == "POST" and form.is_valid():
        try:
            user, org = services.create_account_with_organization(
                pending, form.cleaned_data["password1"]
            )
        except ValidationError:
            return _signup_link_used(request)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome! {org.name} is ready. Start by adding your teams.")
        return redirect("admin_teams", org=org.slug)
    return render(
        request,
        "registration/signup_confirm.html",
        {"form": form, "pending": pending},
        status=400 if form.errors else 200,
    )


def _signup_link_used(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_invalid.html", {"reason": "used"}, status=410)


@signed_in_view
@require_http_methods(["GET", "POST"])
def org_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = services.create_organization(request.user, form.cleaned_data["name"])
        messages.success(request, f"{org.name} is ready. Start by adding your teams.")
        return redirect("admin_teams", org=org.slug)
    return render(request, "orgs/org_new.html", {"form": form}, status=400 if form.errors else 200)


@org_view()
@require_GET
def org_home(request: HttpRequest, m: Membership) -> HttpResponse:
    teams = m.organization.teams.filter(archived_at__isnull=True)
    return render(request, "orgs/org_home.html", {"m": m, "teams": teams})


# --- Org admin: teams -------------------------------------------------------------


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_teams(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    form = NewTeamForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        cycles = form.cycles_to_join()
        team = services.create_team(request.user, org, form.cleaned_data["name"], cycles)
        joined = f" It takes part in {', '.join(c.name for c in cycles)}." if cycles else ""
        messages.success(request, f"Team “{team.name}” created.{joined}")
        return redirect("admin_teams", org=org.slug)
    teams = org.teams.annotate(member_count=team_size()).order_by("archived_at", "name")
    return render(
        request,
        "orgs/admin/teams.html",
        {"m": m, "form": form, "teams": teams, "section": "teams"},
        status=400 if form.errors else 200,
    )


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_team_edit(
    request: AuthenticatedHttpRequest, m: Membership, team_slug: str
) -> HttpResponse:
    org = m.organization
    team_obj = get_object_or_404(org.teams, slug=team_slug)
    form = TeamForm(
        request.POST or None, organization=org, team=team_obj, initial={"name": team_obj.name}
    )
    if request.method == "POST":
        action = request.POST.get("action", "rename")
        if action in {"archive", "restore"}:
            services.set_team_archived(request.user, team_obj, archived=action == "archive")
            messages.success(request, f"Team “{team_obj.name}” {action}d.")
            return redirect("admin_teams", org=org.slug)
        if form.is_valid():
            services.rename_team(request.user, team_obj, form.cleaned_data["name"])
            messages.success(request, "Team renamed.")
            return redirect("admin_teams", org=org.slug)
    return render(
        request,
        "orgs/admin/team_edit.html",
        {"m": m, "form": form, "team": team_obj, "section": "teams"},
        status=400 if form.errors else 200,
    )


# --- Org admin: members -------------------------------------------------------------


@org_view(ADMIN_ONLY)
@require_GET
def admin_members(request: HttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    query = request.GET.get("q", "").strip()[:100]
    members = org.memberships.select_related("user", "team").order_by("user__email")
    if query:
        members = members.filter(user__email__icontains=query) | members.filter(
            user__name__icontains=query
        )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orgs/admin/members.html",
        {
            "m": m,
            "page": page,
            "query": query,
            "section": "members",
            "filter_query": _query_without_page(request),
        },
    )


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_member_role(
    request: AuthenticatedHttpRequest, m: Membership, member: int
) -> HttpResponse:
    org = m.organization
    target = get_object_or_404(org.memberships.select_related("user", "team"), pk=member)
    form = RoleForm(
        request.POST or None, organization=org, initial={"role": target.role, "team": target.team}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_role(
                request.user, target, form.cleaned_data["role"], form.cleaned_data["team"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{target.user.display_name} is now {target.get_role_display()}."
            )
            return redirect("admin_members", org=org.slug)
    return render(
        request,
        "orgs/admin/member_role.html",
        {"m": m, "form": form, "target": target, "section": "members"},
        status=400 if form.errors else 200,
    )


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_member_remove(
    request: AuthenticatedHttpRequest, m: Membership, member: int
) -> HttpResponse:
    org = m.organization
    target = get_object_or_404(org.memberships.select_related("user", "team"), pk=member)
    if request.method == "POST":
        try:
            services.remove_member(request.user, target)
        except ValidationError as error:
            _form_errors_to_messages(request, error)
            return redirect("admin_members", org=org.slug)
        messages.success(request, f"{target.user.display_name} was removed from {org.name}.")
        return redirect("admin_members", org=org.slug)
    return render(
        request, "orgs/admin/member_remove.html", {"m": m, "target": target, "section": "members"}
    )


# --- Org admin: invitations ---------------------------------------------------------


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_invitations(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    form = InvitationForm(request.POST or None, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.invite(
                request.user,
                org,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
                form.cleaned_data["team"],
                _accept_url(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Invitation sent to {sent.invitation.email}.")
            return redirect("admin_invitations", org=org.slug)
    invitations = org.invitations.select_related("team", "invited_by").filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orgs/admin/invitations.html",
        {"m": m, "form": form, "page": page, "section": "invitations"},
        status=400 if form.errors else 200,
    )


@org_view(ADMIN_ONLY)
@require_POST
def admin_invitation_revoke(
    request: AuthenticatedHttpRequest, m: Membership, invitation: int
) -> HttpResponse:
    inv = get_object_or_404(m.organization.invitations, pk=invitation)
    try:
        services.revoke_invitation(request.user, inv)
        messages.success(request, f"Invitation to {inv.email} revoked; its link no longer works.")
    except ValidationError as error:
        _form_errors_to_messages(request, error)
    return redirect("admin_invitations", org=m.organization.slug)


@org_view(ADMIN_ONLY)
@require_POST
def admin_invitation_resend(
    request: AuthenticatedHttpRequest, m: Membership, invitation: int
) -> HttpResponse:
    inv = get_object_or_404(m.organization.invitations, pk=invitation)
    try:
        services.resend_invitation(request.user, inv, _accept_url(request))
        messages.success(
            request, f"A new link was sent to {inv.email}; the old one no longer works."
        )
    except ValidationError as error:
        _form_errors_to_messages(request, error)
    return redirect("admin_invitations", org=m.organization.slug)


# --- Org admin: settings and audit log ----------------------------------------------------


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_settings(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    form = SettingsForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        services.update_settings(
            request.user,
            org,
            name=form.cleaned_data["name"],
            anonymity_threshold=form.cleaned_data["anonymity_threshold"],
            show_participation_names=form.cleaned_data["show_participation_names"],
        )
        messages.success(request, "Settings saved.")
        return redirect("admin_settings", org=org.slug)
    org.refresh_from_db()  # a failed ModelForm leaves invalid values on the instance
    return render(
        request,
        "orgs/admin/settings.html",
        {"m": m, "form": form, "section": "settings"},
        status=400 if form.errors else 200,
    )


@org_view(ADMIN_ONLY)
@require_GET
def admin_audit(request: HttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    form = AuditFilterForm(request.GET or None, organization=org)
    events = org.audit_events.select_related("actor")
    if form.is_valid():
        if form.cleaned_data.get("actor"):
            events = events.filter(actor=form.cleaned_data["actor"])
        if form.cleaned_data.get("action"):
            events = events.filter(action=form.cleaned_data["action"])
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orgs/admin/audit.html",
        {
            "m": m,
            "form": form,
            "page": page,
            "section": "audit",
            "filter_query": _query_without_page(request),
        },
    )


# --- Invitation acceptance (public link) --------------------------------------------------


@public_view
@ratelimit(key="ip", rate="30/h", method="POST", block=True)
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.find_by_token(token[:100])
    if invitation is None:
        return render(request, "orgs/invitation_invalid.html", {"reason": "unknown"}, status=404)
    status = invitation.status()
    if status != "pending":
        return render(
            request,
            "orgs/invitation_invalid.html",
            {"reason": status, "invitation": invitation},
            status=410,
        )
    ctx: dict[str, object] = {"invitation": invitation}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            return render(request, "orgs/invitation_wrong_user.html", ctx, status=403)
        if request.method == "POST":
            return _accept(request, invitation, user)
        return render(request, "orgs/invitation_accept.html", ctx)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing:
        ctx["login_url"] = f"{reverse('login')}?next={request.path}"
        return render(request, "orgs/invitation_accept.html", {**ctx, "needs_login": True})
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.accept_invitation_as_new_user(
                invitation, form.cleaned_data["name"], form.cleaned_data["password1"]
            )
        except ValidationError as error:
            return _accept_failed(request, invitation, error)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, membership)
    return render(
        request,
        "orgs/invitation_accept.html",
        {**ctx, "form": form},
        status=400 if form.errors else 200,
    )


def _accept(request: HttpRequest, invitation: Invitation, user: User) -> HttpResponse:
    try:
        membership = services.accept_invitation(invitation, user)
    except ValidationError as error:
        return _accept_failed(request, invitation, error)
    return _joined(request, membership)


def _accept_failed(
    request: HttpRequest, invitation: Invitation, error: ValidationError
) -> HttpResponse:
    return render(
        request,
        "orgs/invitation_invalid.html",
        {"reason": "failed", "message": " ".join(error.messages), "invitation": invitation},
        status=409,
    )


def _joined(request: HttpRequest, membership: Membership) -> HttpResponse:
    messages.success(
        request,
        f"Welcome to {membership.organization.name}, as {membership.get_role_display().lower()}.",
    )
    return redirect("org_home", org=membership.organization.slug)


# --- Org admin: roster import ---------------------------------------------------------------

ROSTER_PAGE_SIZE = 50
ROSTER_LISTS = ("errors", "created", "moved", "updated", "deactivated", "unchanged")


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_roster(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = roster_services.store_roster_upload(
            request.user,
            org,
            filename=form.cleaned_data["file"].name,
            content=form.cleaned_data["file"].read(),
            segments=form.cleaned_data["segments"],
            deactivate_missing=form.cleaned_data["deactivate_missing"],
        )
        return redirect("admin_roster_preview", org=org.slug, upload=upload.pk)
    return render(
        request,
        "orgs/admin/roster.html",
        {"m": m, "form": form, "section": "roster"},
        status=400 if form.errors else 200,
    )


def _roster_upload(m: Membership, upload: int) -> RosterUpload:
    return get_object_or_404(RosterUpload.objects.filter(organization=m.organization), pk=upload)


def _roster_preview(
    request: HttpRequest, m: Membership, upload: RosterUpload, form: RosterApplyForm | None
) -> HttpResponse:
    if upload.status != RosterUpload.Status.PREVIEW:
        return redirect("admin_roster_progress", org=m.organization.slug, upload=upload.pk)
    if upload.is_expired():
        return render(
            request,
            "orgs/admin/roster_gone.html",
            {"m": m, "upload": upload, "section": "roster"},
            status=410,
        )
    plan = roster_services.plan_roster_upload(upload)
    shown = request.GET.get("list", "errors" if plan.errors else "created")
    shown = shown if shown in ROSTER_LISTS else "created"
    page = Paginator(roster_rows(plan, shown), ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    form = form or RosterApplyForm(initial={"plan": plan.fingerprint()})
    tabs = [(name, roster_list_length(plan, name)) for name in ROSTER_LISTS]
    return render(
        request,
        "orgs/admin/roster_preview.html",
        {
            "m": m,
            "upload": upload,
            "plan": plan,
            "tabs": tabs,
            "shown": shown,
            "page": page,
            "form": form,
            "section": "roster",
        },
        # A refused apply (unconfirmed, or a file with bad lines) is a 400.
        status=400 if request.method == "POST" else 200,
    )


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_roster_preview(request: HttpRequest, m: Membership, upload: int) -> HttpResponse:
    """The preview; a POST switches "people not in the file leave" and shows it again."""
    target = _roster_upload(m, upload)
    if request.method == "POST" and target.is_previewable():
        target.deactivate_missing = request.POST.get("deactivate_missing") == "on"
        target.save(update_fields=["deactivate_missing"])
        return redirect("admin_roster_preview", org=m.organization.slug, upload=target.pk)
    return _roster_preview(request, m, target, None)


@org_view(ADMIN_ONLY)
@require_POST
def admin_roster_apply(
    request: AuthenticatedHttpRequest, m: Membership, upload: int
) -> HttpResponse:
    """Queue the apply (a Celery task) and show its progress; the request never waits for it."""
    target = _roster_upload(m, upload)
    form = RosterApplyForm(request.POST)
    if not target.is_previewable() or not form.is_valid():
        return _roster_preview(request, m, target, form)
    try:
        plan = roster_services.request_roster_apply(
            request.user, target, expected=form.cleaned_data["plan"]
        )
    except roster_services.StaleRosterPlan:
        messages.error(
            request,
            "The organisation changed since this preview (someone else imported or edited "
            "members). Check the new preview and apply again.",
        )
        return redirect("admin_roster_preview", org=m.organization.slug, upload=target.pk)
    if plan.errors:
        return _roster_preview(request, m, target, form)
    return redirect("admin_roster_progress", org=m.organization.slug, upload=target.pk)


@org_view(ADMIN_ONLY)
@require_GET
def admin_roster_progress(
    request: AuthenticatedHttpRequest, m: Membership, upload: int
) -> HttpResponse:
    """Where an apply stands; htmx polls the status block until it is applied or failed."""
    target = _roster_upload(m, upload)
    if target.status == RosterUpload.Status.PREVIEW:
        return redirect("admin_roster_preview", org=m.organization.slug, upload=target.pk)
    roster_services.recover_stale_roster_apply(target)
    template = "orgs/admin/" + ("_roster_status.html" if request.htmx else "roster_progress.html")
    return render(request, template, {"m": m, "upload": target, "section": "roster"})


@org_view(ADMIN_ONLY)
@require_POST
def admin_roster_reopen(request: HttpRequest, m: Membership, upload: int) -> HttpResponse:
    """A failed apply: back to a fresh preview of the same file."""
    target = _roster_upload(m, upload)
    roster_services.reopen_roster_preview(target)
    return redirect("admin_roster_preview", org=m.organization.slug, upload=target.pk)
