"""The Django admin, for staff only (/django-admin/): support and inspection, not daily use."""

from allauth.socialaccount.models import SocialApp
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import (
    AuditEvent,
    IdentityProvider,
    IdentityProviderDomain,
    Invitation,
    Membership,
    Organization,
    Team,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "name", "password")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "anonymity_threshold", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "archived_at"]
    list_filter = ["organization"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "team"]
    list_filter = ["role", "organization"]
    search_fields = ["user__email"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organization",
        "role",
        "team",
        "sent_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    exclude = ["token_hash"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "organization", "actor_email", "action", "target_repr"]
    list_filter = ["action", "organization"]

    def has_change_permission(self, request, obj=None):
        return False  # the audit log is append-only


class IdentityProviderDomainInline(admin.TabularInline):
    model = IdentityProviderDomain
    extra = 0


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    """For support: e.g. freeing a domain an organisation claimed by mistake."""

    list_display = ["organization", "protocol", "enabled", "sso_required", "updated_at"]
    exclude = ["client_secret"]
    inlines = [IdentityProviderDomainInline]


# allauth's app table is unused: providers come from IdentityProvider (orgs/sso_adapter.py).
admin.site.unregister(SocialApp)
