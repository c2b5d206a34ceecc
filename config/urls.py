from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_ratelimit.decorators import ratelimit

from assessments.urls import org_patterns as assessment_patterns
from orgs import sso_views
from orgs import views as org_views
from orgs.access import public_view, signed_in_view
from orgs.sso_forms import PasswordResetForm as SsoPasswordResetForm
from orgs.sso_urls import sso_patterns
from orgs.urls import org_patterns
from reports.urls import org_patterns as report_patterns

from .health import healthz

auth_patterns = [
    # Email first: routes a company domain to its identity provider (orgs/sso_views.py).
    path("login/", sso_views.sign_in, name="login"),
    path("logout/", public_view(auth_views.LogoutView.as_view()), name="logout"),
    path("signup/", org_views.signup, name="signup"),
    path("signup/confirm/<str:token>/", org_views.signup_confirm, name="signup_confirm"),
    path(
        "password/change/",
        signed_in_view(org_views.PasswordChangeView.as_view()),
        name="password_change",
    ),
    path(
        "password/change/done/",
        signed_in_view(auth_views.PasswordChangeDoneView.as_view()),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        public_view(
            # Per address and per email asked for: no mail-bombing, no account probing.
            ratelimit(key="ip", rate="10/h", method="POST", block=True)(
                ratelimit(key=org_views.posted_email_key, rate="5/h", method="POST", block=True)(
                    auth_views.PasswordResetView.as_view(form_class=SsoPasswordResetForm)
                )
            )
        ),
        name="password_reset",
    ),
    path(
        "password/reset/done/",
        public_view(auth_views.PasswordResetDoneView.as_view()),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        public_view(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        public_view(auth_views.PasswordResetCompleteView.as_view()),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", org_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include(auth_patterns)),
    path("accounts/", include(sso_patterns)),
    path("invite/<str:token>/", org_views.invitation_accept, name="invitation_accept"),
    path("o/new/", org_views.org_new, name="org_new"),
    path("o/<slug:org>/", include(org_patterns + assessment_patterns + report_patterns)),
    path("django-admin/", admin.site.urls),
]
