from django.urls import path

from .views import dashboards, pdf, plans, results

# Mounted under /o/<org>/.
org_patterns = [
    path("dashboard/", dashboards.org_dashboard, name="org_dashboard"),
    path("dashboard/release/", dashboards.release_now, name="release_now"),
    path("dashboard/participation/", dashboards.org_participation, name="org_participation"),
    path("dashboard/export.csv", dashboards.org_dashboard_export, name="org_dashboard_export"),
    path("teams/<slug:team_slug>/dashboard/", dashboards.team_dashboard, name="team_dashboard"),
    path(
        "teams/<slug:team_slug>/dashboard/export.csv",
        dashboards.team_dashboard_export,
        name="team_dashboard_export",
    ),
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/results/",
        results.response_results,
        name="response_results",
    ),
    path("reports/", pdf.report_list, name="report_list"),
    path("reports/request/", pdf.report_request, name="report_request"),
    path("reports/<int:report_id>/", pdf.report_detail, name="report_detail"),
    path("reports/<int:report_id>/download/", pdf.report_download, name="report_download"),
    path("reports/<int:report_id>/retry/", pdf.report_retry, name="report_retry"),
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/new/", plans.plan_new, name="plan_new"),
    path("plans/<int:plan>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:plan>/status/", plans.plan_status, name="plan_status"),
]
