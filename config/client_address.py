"""The client's address, the one both login lockout (django-axes) and rate limits
(django-ratelimit) count by.

Behind load balancers the connecting address is the balancer's, the same for everyone.
`TRUSTED_PROXY_COUNT` says how many proxies of our own sit in front of the app; each
appends the address it was connected from to `X-Forwarded-For`, so the client is the
entry that many places from the right. Entries further left are whatever the client sent,
and are never used. With no trusted proxy (the default) the header is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address to count attempts by (always a valid IP address)."""
    connected = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # nosec B104: a key, not a bind
    hops: int = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return connected
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < hops:
        # Did not come through all our proxies (e.g. straight to the app): the connection
        # itself is the only address we can trust.
        return connected
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return connected
