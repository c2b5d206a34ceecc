"""Single sign-on fixtures: a real OpenID Connect provider (npm oidc-provider) started on
loopback for the session, and helpers that walk a browser-like session through it."""

from __future__ import annotations

import html
import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from orgs import sso
from orgs.models import IdentityProvider, Organization, User
from tests.orgs.conftest import make_invitation  # noqa: F401 - a fixture, shared

ROOT = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).with_name("oidc_server.mjs")
CLIENT_ID = "recouple-acme"
CLIENT_SECRET = "a-test-client-secret-that-is-long-enough-0123456789"

# People the provider knows, by the login name typed on its sign-in page.
ACCOUNTS = {
    "max": {"email": "max@acme.test", "email_verified": True, "name": "Max Member"},
    "stranger": {"email": "stranger@acme.test", "email_verified": True, "name": "Sam Stranger"},
    "newbie": {"email": "newbie@acme.test", "name": "Nia Newbie"},  # no email_verified claim
    "elsewhere": {"email": "max@elsewhere.test", "email_verified": True, "name": "Max"},
    "unverified": {"email": "unverified@acme.test", "email_verified": False, "name": "U"},
}


@dataclass(frozen=True)
class OidcServer:
    issuer: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_server(live_server, tmp_path_factory) -> Iterator[OidcServer]:
    """npm oidc-provider on a free loopback port, with one client whose redirect URI is
    acme's callback on the live server."""
    node = shutil.which("node")
    assert node, "node is needed for the OpenID Connect provider of the SSO tests"
    assert (ROOT / "node_modules" / "oidc-provider").is_dir(), "run npm ci (devDependencies)"
    port = free_port()
    config = {
        "port": port,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{live_server.url}/accounts/oidc/acme/login/callback/"],
                "token_endpoint_auth_method": "client_secret_post",
            }
        ],
        "accounts": ACCOUNTS,
    }
    path = tmp_path_factory.mktemp("oidc") / "config.json"
    path.write_text(json.dumps(config))
    log = path.with_name("oidc.log")
    with log.open("w") as out:
        process = subprocess.Popen(
            [node, str(SERVER), str(path)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 20
        while not (ready := re.search(r"^ready (\S+)$", log.read_text(), re.M)):
            assert process.poll() is None, f"oidc-provider stopped: {log.read_text()}"
            assert time.monotonic() < deadline, f"oidc-provider did not start: {log.read_text()}"
            time.sleep(0.1)
        yield OidcServer(issuer=ready.group(1))
    finally:
        process.terminate()
        process.wait(timeout=10)


def configure_oidc(org: Organization, issuer: str, **overrides: object) -> IdentityProvider:
    """acme's provider: OpenID Connect at `issuer`, domain acme.test."""
    settings = {
        "protocol": IdentityProvider.Protocol.OIDC,
        "enabled": True,
        "sso_required": False,
        "issuer_url": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }
    admin = org.memberships.filter(role="org_admin").first()
    actor = admin.user if admin else User.objects.create_user("root@acme.test", None)
    return sso.save_identity_provider(actor, org, settings, ["acme.test"])


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"')


def submit_form(session: requests.Session, page: requests.Response, **fields: str):
    """Post the page's first form (its hidden fields plus `fields`), following redirects."""
    match = _FORM.search(page.text)
    assert match, page.text[:2000]
    action = requests.compat.urljoin(page.url, html.unescape(match.group(1)))
    data = {name: html.unescape(value) for name, value in _HIDDEN.findall(match.group(2))}
    return session.post(action, data={**data, **fields}, timeout=20)


def csrf_token(page: requests.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, page.text[:2000]
    return match.group(1)


def sign_in_through_provider(live_url: str, email: str, login: str) -> requests.Session:
    """Type `email` on our sign-in page, follow the redirect to the provider, sign in there
    as `login`, consent, and come back through our callback. Returns the session, whose
    last response is in `session.last`."""
    session = requests.Session()
    page = session.get(f"{live_url}/accounts/login/", timeout=20)
    step = session.post(
        page.url,
        data={"username": email, "csrfmiddlewaretoken": csrf_token(page)},
        allow_redirects=False,
        timeout=20,
    )
    assert step.status_code == 302, step.text[:2000]
    session.to_provider = step.headers["Location"]  # type: ignore[attr-defined]
    provider_page = session.get(step.headers["Location"], timeout=20)
    response = submit_form(session, provider_page, login=login, password="any")
    if 'name="prompt" value="consent"' in response.text:
        response = submit_form(session, response)
    session.last = response  # type: ignore[attr-defined]
    return session


def text_of(response: requests.Response) -> str:
    """The page's text with HTML entities decoded (Django escapes apostrophes)."""
    return html.unescape(response.text)
