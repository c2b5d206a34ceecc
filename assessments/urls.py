from django.urls import path

from .views import cycles, links, questionnaire, reopening, review

# Mounted under /o/<org>/.
org_patterns = [
    path("admin/cycles/", cycles.admin_cycles, name="admin_cycles"),
    path("admin/cycles/new/", cycles.admin_cycle_new, name="admin_cycle_new"),
    path("admin/cycles/<slug:cycle>/", cycles.admin_cycle_edit, name="admin_cycle_edit"),
    path("cycles/", cycles.cycles, name="cycles"),
    path("cycles/<slug:cycle>/participation/", cycles.participation, name="participation"),
    path("cycles/<slug:cycle>/reopen-requests/", reopening.reopen_requests, name="reopen_requests"),
    path(
        "cycles/<slug:cycle>/reopen-requests/<int:reopen_request>/",
        reopening.reopen_request_decide,
        name="reopen_request_decide",
    ),
    # The respondent's own questionnaire for one team in one cycle.
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/",
        questionnaire.response_start,
        name="response_start",
    ),
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/intro/",
        questionnaire.response_intro,
        name="response_intro",
    ),
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/reopen/",
        questionnaire.response_reopen_request,
        name="response_reopen_request",
    ),
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/s/<slug:section>/",
        questionnaire.response_section,
        name="response_section",
    ),
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/answer/",
        questionnaire.response_answer,
        name="response_answer",
    ),
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/review/",
        questionnaire.response_review,
        name="response_review",
    ),
    path(
        "cycles/<slug:cycle>/teams/<slug:team_slug>/response/export.<str:fmt>",
        questionnaire.response_export,
        name="response_export",
    ),
    path("reviews/", review.review_queue, name="review_queue"),
    path("reviews/<uuid:action>/", review.review_action, name="review_action"),
    path("reviews/confirm/", review.review_confirm, name="review_confirm"),
    path("admin/reviews/", review.review_stats, name="review_stats"),
    path("admin/reviews/export.csv", review.review_export, name="review_export"),
]

# Reached from a cycle's emails (public: the link says who it is for).
org_patterns += [
    path("cycles/<slug:cycle>/start/", links.cycle_start, name="cycle_start"),
    path(
        "reminders/unsubscribe/<str:token>/",
        links.reminders_unsubscribe,
        name="reminders_unsubscribe",
    ),
]
