"""Navigation that follows the signed-in user's roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    org_slug = match.kwargs.get("org") if match else None
    memberships = list(user.memberships.active().select_related("organization", "team"))
    current = next((m for m in memberships if m.organization.slug == org_slug), None)
    if current is None and memberships:
        current = memberships[0]
    return {"nav_memberships": memberships, "nav_current": current}
