"""Outages of PostgreSQL answer with a clear 503 instead of a server error page."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


class ServiceUnavailableMiddleware:
    """Turn a lost database connection into 503: a page that says so, or JSON for autosave
    (whose client keeps the typed answer and retries)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        log.error("database unavailable: %s", exception)
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse(
                {
                    "status": "unavailable",
                    "message": "The service is briefly unavailable; retrying.",
                },
                status=503,
                headers={"Retry-After": "5"},
            )
        body = render_to_string("503.html", request=None)
        return HttpResponse(body, status=503, headers={"Retry-After": "30"})
