"""Project-wide request handling: database outages answer 503, input PostgreSQL cannot store
answers 400, and signed-in pages are never kept by shared caches."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
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


# NUL cannot be stored in PostgreSQL text; lone surrogates cannot be encoded as UTF-8.
# Either would reach the database as a server error, so they are refused here, once, for
# every form and query value and key.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
BAD_INPUT_MESSAGE = (
    "The request contained characters that cannot be stored (a NUL byte or a broken "
    "character). Remove them and try again; nothing was saved."
)


def _has_unstorable(data: QueryDict) -> bool:
    return any(
        UNSTORABLE.search(key) or any(UNSTORABLE.search(v) for v in values)
        for key, values in data.lists()
    )


class UnstorableInputMiddleware:
    """Refuse NUL bytes and lone surrogates in the path, query and form values with a 400
    that says why, before any view sees them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            UNSTORABLE.search(request.path_info)
            or _has_unstorable(request.GET)
            or (request.method == "POST" and _has_unstorable(request.POST))
        ):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"status": "invalid", "message": BAD_INPUT_MESSAGE}, status=400)
        body = render_to_string("400.html", {"message": BAD_INPUT_MESSAGE}, request=None)
        return HttpResponse(body, status=400)


class PrivateResponsesMiddleware:
    """Pages for a signed-in person show their own or their organisation's results: no
    shared or proxy cache may keep them. A response that chose its own caching keeps it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store, private"
        return response
