"""The one place that writes the audit log."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent, Organization, User


def record(
    organization: Organization,
    actor: User | None,
    action: str,
    target: models.Model,
    **data: Any,
) -> AuditEvent:
    """Log that `actor` did `action` to `target` in `organization`, with optional details."""
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor if actor and actor.is_authenticated else None,
        actor_email=getattr(actor, "email", "") or "",
        action=action,
        target_type=target._meta.model_name or "",
        target_id=str(target.pk or ""),
        target_repr=str(target)[:200],
        data=data,
    )
