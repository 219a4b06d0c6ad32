"""Production-safe defaults: DEBUG off unless asked for, a plain 500 page, and a Content-Security-Policy on every response."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from feed import api as feed_api
from feed import views as feed_views

ROOT = Path(__file__).resolve().parents[2]


def policy(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def test_debug_is_off_unless_the_environment_turns_it_on():
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "STATIC_MANIFEST", "DJANGO_SETTINGS_MODULE"}}
    code = "import config.settings as s; print(s.DEBUG, s.STATIC_MANIFEST)"

    def read(**extra: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env={**env, **extra}, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert read() == "False True"  # production: hashed static names from collectstatic's manifest
    assert read(DEBUG="true") == "True False"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/feed/", "/accounts/login/", "/admin/login/", "/api/docs/", "/no-such-page/"])
def test_every_page_has_a_policy_without_inline_scripts(client, path):
    response = client.get(path)
    assert response.status_code in {200, 404}, path
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    for kind in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in directives[kind] and "'unsafe-eval'" not in directives[kind]
        assert "'self'" in directives[kind]
    html = response.content.decode()
    nonces = {source for source in directives["script-src"] + directives["style-src"] if source.startswith("'nonce-")}
    # An inline script or style block runs only with the response's nonce; none runs without it.
    for tag, attributes, body in re.findall(r"<(script|style)([^>]*)>(.*?)</\1>", html, flags=re.S):
        if tag == "script" and ("src=" in attributes or 'type="application/json"' in attributes):
            continue
        assert body.strip() == "" or any(f'nonce="{nonce[7:-1]}"' in attributes for nonce in nonces), (path, tag, attributes)
    assert " style=" not in html, path


@pytest.mark.django_db
def test_the_api_docs_load_their_script_from_a_file_and_nonce_their_style(client):
    response = client.get("/api/docs/")
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert f'<style nonce="{nonce}">' in html
    script_url = re.search(r'<script src="([^"]*\?script[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
    assert client.get("/api/docs/").headers["Content-Security-Policy"] != response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_api_responses_carry_the_policy_and_are_json_only(client):
    response = client.get("/api/feed/?kind=new", HTTP_ACCEPT="text/html")
    assert response.status_code == 406 or response["Content-Type"] == "application/json"
    response = client.get("/api/feed/?kind=new")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'nonce-" not in response.headers["Content-Security-Policy"]  # nothing inline to allow


@pytest.mark.django_db
def test_an_error_without_debug_is_a_plain_500_page_or_plain_json(client, monkeypatch, settings):
    """Pages get the plain HTML error page, the API its JSON shape; neither shows anything internal."""
    assert not settings.DEBUG

    def fail(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(feed_api.FeedView, "get", fail)
    monkeypatch.setattr(feed_views, "give_viewer_id", fail)
    client.raise_request_exception = False
    page, api = client.get("/feed/"), client.get("/api/feed/")
    assert page.status_code == api.status_code == 500
    assert "Server error" in page.content.decode() and page["Content-Type"].startswith("text/html")
    assert api["Content-Type"] == "application/json" and set(api.json()) == {"detail"}
    for response in (page, api):
        body = response.content.decode()
        assert "secret internals" not in body and "Traceback" not in body and "settings" not in body.lower()
        assert "Content-Security-Policy" in response.headers


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_api_docs_work_under_the_policy(page, asgi_server):
    """Swagger UI renders the schema in real Chromium; the page fixture fails the test on any CSP violation."""
    page.goto(f"{asgi_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Marionette API", timeout=30_000)
    expect(page.locator(".opblock-tag").first).to_be_visible()
