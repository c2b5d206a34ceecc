"""Pages reached from a cycle's emails: the personal link, and unsubscribing from reminders.

Both are public: the link itself says who it is for (django-sesame's signed, single-use,
expiring token; Django's signing for the unsubscribe link).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from sesame import settings as sesame_settings
from sesame.utils import get_user

from orgs.access import membership_for, public_view
from orgs.models import Membership

from .. import services
from ..access import cycle_in_org
from ..mailings import membership_id_from_unsubscribe_token


# No rate limit per address: a whole company behind one NAT opens its links in the same
# hour, and a token's 80-bit signature is not something to guess.
@public_view
@require_GET
def cycle_start(request: HttpRequest, org: str, cycle: str) -> HttpResponse:
    """Sign in with the personal link (once), then go to one's own questionnaire."""
    if sesame_settings.TOKEN_NAME in request.GET:
        user = get_user(request, update_last_login=False)
        if user is not None:
            login(request, user)  # records the sign-in, which also uses the link up
            # Drop the token from the address bar and the history.
            return redirect("cycle_start", org=org, cycle=cycle)
        if not request.user.is_authenticated:
            return render(
                request,
                "assessments/link_invalid.html",
                {"login_path": request.path},
                status=403,
            )
        # Signed in already (a second click on one's own link): carry on as oneself.
    if not request.user.is_authenticated:
        return redirect_to_login(request.path)
    membership = membership_for(request.user, org)
    cycle_obj = cycle_in_org(membership, cycle)
    if membership.team is None or not cycle_obj.teams.filter(pk=membership.team.pk).exists():
        messages.info(request, f"Your team does not take part in “{cycle_obj.name}”.")
        return redirect("cycles", org=org)
    return redirect("response_start", org=org, cycle=cycle_obj.slug, team_slug=membership.team.slug)


@public_view
@require_http_methods(["GET", "POST"])
def reminders_unsubscribe(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """Stop reminder emails for one person in one organisation (launch emails still come)."""
    membership_id = membership_id_from_unsubscribe_token(token)
    membership = (
        Membership.objects.select_related("organization", "user")
        .filter(pk=membership_id, organization__slug=org)
        .first()
        if membership_id
        else None
    )
    if membership is None:
        return render(request, "assessments/unsubscribe.html", {"invalid": True}, status=400)
    done = membership.reminders_opted_out_at is not None
    if request.method == "POST" and not done:
        services.opt_out_of_reminders(membership)
        done = True
    return render(request, "assessments/unsubscribe.html", {"membership": membership, "done": done})
