from django.urls import path

from . import sso_views, views

# Mounted under /o/<org>/.
org_patterns = [
    path("", views.org_home, name="org_home"),
    path("admin/teams/", views.admin_teams, name="admin_teams"),
    path("admin/teams/<slug:team_slug>/", views.admin_team_edit, name="admin_team_edit"),
    path("admin/members/", views.admin_members, name="admin_members"),
    path("admin/members/<int:member>/role/", views.admin_member_role, name="admin_member_role"),
    path(
        "admin/members/<int:member>/remove/", views.admin_member_remove, name="admin_member_remove"
    ),
    path("admin/invitations/", views.admin_invitations, name="admin_invitations"),
    path(
        "admin/invitations/<int:invitation>/revoke/",
        views.admin_invitation_revoke,
        name="admin_invitation_revoke",
    ),
    path(
        "admin/invitations/<int:invitation>/resend/",
        views.admin_invitation_resend,
        name="admin_invitation_resend",
    ),
    path("admin/settings/", views.admin_settings, name="admin_settings"),
    path("admin/audit/", views.admin_audit, name="admin_audit"),
    path("admin/sso/", sso_views.admin_sso, name="admin_sso"),
]

org_patterns += [
    path("admin/roster/", views.admin_roster, name="admin_roster"),
    path("admin/roster/<int:upload>/", views.admin_roster_preview, name="admin_roster_preview"),
    path("admin/roster/<int:upload>/apply/", views.admin_roster_apply, name="admin_roster_apply"),
    path(
        "admin/roster/<int:upload>/progress/",
        views.admin_roster_progress,
        name="admin_roster_progress",
    ),
    path(
        "admin/roster/<int:upload>/reopen/", views.admin_roster_reopen, name="admin_roster_reopen"
    ),
]
