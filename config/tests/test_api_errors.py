"""Every API error is JSON in one shape, {"detail": "...", <field>: [...]}, with the status the schema documents."""

import json
import socket

import pytest
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from config import views

pytestmark = pytest.mark.django_db


def assert_error(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_field_errors_keep_their_fields_and_are_summed_up_in_detail(client):
    body = assert_error(client.post("/api/auth/signup/", {}, content_type="application/json"), 400)
    assert body["username"] == ["This field is required."] and body["password"] == ["This field is required."]
    assert "username" in body["detail"] and "password" in body["detail"]


def test_a_list_body_of_errors_becomes_detail(client_for, owner):
    body = assert_error(client_for(owner).post("/api/posts/", [1, 2], format="json"), 400)
    assert body["detail"]


@pytest.mark.parametrize(
    "path",
    ["/api/posts/not-a-number/", "/api/clips/not-a-uuid/", "/api/clips/jobs/not-a-uuid/", "/api/no-such-endpoint/", "/api/"],
)
def test_bad_ids_and_unknown_api_paths_are_a_json_404(client_for, owner, path):
    assert_error(client_for(owner).get(path), 404)


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "query",
    [
        "/api/feed/?cursor=junk",
        "/api/feed/?kind=new&cursor=junk",
        "/api/posts/?cursor=junk",
        "/api/feed/?page_size=junk",
        "/api/feed/?page_size=0",
        "/api/feed/?page_size=-3",
        "/api/characters/?page_size=many",
        "/api/characters/?page=junk",
        "/api/characters/?page=0",
    ],
)
def test_junk_cursor_page_or_page_size_is_a_400_that_says_which(client, query):
    body = assert_error(client.get(query), 400)
    parameter = query.split("?")[1].split("=")[0].split("&")[-1]
    assert parameter in body["detail"] or "cursor" in body["detail"].lower()


def test_junk_cursor_of_the_following_feed_is_a_400(client_for, owner):
    assert_error(client_for(owner).get("/api/feed/?kind=following&cursor=junk"), 400)


def test_sane_page_sizes_are_honoured_and_big_ones_capped(client, make_character):
    for name in ("A", "B", "C"):
        make_character(name)
    assert len(client.get("/api/characters/?page_size=2").json()["results"]) == 2
    assert len(client.get("/api/characters/?page_size=100000").json()["results"]) == 3
    assert_error(client.get("/api/characters/?page=9"), 404)  # past the last page


def test_the_schema_documents_the_errors_in_the_error_shape(client):
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
    feed = schema["paths"]["/api/feed/"]["get"]["responses"]
    characters = schema["paths"]["/api/characters/"]["get"]["responses"]
    assert {"400", "401", "404"} <= set(feed) and {"400", "401", "404"} <= set(characters)
    assert characters["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert {"400", "401", "403", "404", "413", "429"} <= set(schema["paths"]["/api/posts/{post_id}/"]["patch"]["responses"])


def test_an_api_crash_is_a_json_500_and_a_page_crash_stays_html():
    api = views.server_error(RequestFactory().get("/api/posts/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json" and b"detail" in api.content
    page = views.server_error(RequestFactory().get("/feed/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


MALFORMED_MULTIPART = [
    ("multipart/form-data", b"no boundary at all"),  # Twisted used to refuse this itself, with a bare 400
    ("multipart/form-data; boundary=\xff\xfe", b"--\xff\xfe\r\n\r\n"),
    ("multipart/form-data; boundary=b", b"--b\r\n" + b"X-Pad: " + b"y" * 20_000 + b"\r\n\r\nx\r\n--b--\r\n"),
]


def raw_post(port: int, path: str, content_type: str, body: bytes, token: str) -> tuple[int, dict[str, str], bytes]:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nContent-Type: {content_type}\r\n\r\n"
    ).encode("latin-1")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    header_block, _, content = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, content


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("content_type", "body"), MALFORMED_MULTIPART)
def test_a_malformed_multipart_body_through_daphne_is_a_json_400(asgi_server, make_user, content_type, body):
    token = Token.objects.create(user=make_user("uploader")).key
    status, headers, content = raw_post(asgi_server.port, "/api/characters/", content_type, body, token)
    assert status == 400 and headers["content-type"] == "application/json"
    assert b'"detail"' in content
