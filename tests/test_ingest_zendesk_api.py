"""Zendesk incremental export connector against a local HTTP server on loopback."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from voc.config import SourceConfig, VocConfig, ZendeskApiConfig
from voc.errors import InputError
from voc.ingest import make_connector
from voc.ingest.zendesk_api import ZendeskApiConnector, retry_after_seconds

EXPORT = "/api/v2/incremental/tickets/cursor.json"


def ticket(i: int) -> dict:
    return {
        "id": i,
        "url": f"https://acme.zendesk.com/api/v2/tickets/{i}.json",
        "created_at": f"2026-01-0{1 + i % 9}T10:00:00Z",
        "updated_at": f"2026-01-0{1 + i % 9}T11:00:00Z",
        "subject": f"Ticket {i}",
        "description": f"Problem number {i}" if i != 5 else "",
        "status": "open",
        "priority": "normal",
        "requester_id": 1000 + i,
        "organization_id": None,
        "tags": ["t"],
        "via": {"channel": "web"},
        "satisfaction_rating": {"score": "good" if i % 2 else "unoffered"},
        "custom_fields": [{"id": 360001, "value": "smb"}],
    }


# Three pages in the documented shape: cursor c1 -> c2 -> c3 (end of stream).
PAGES = {
    None: {"tickets": [ticket(1), ticket(2)], "after_cursor": "c1", "end_of_stream": False},
    "c1": {"tickets": [ticket(3), ticket(4)], "after_cursor": "c2", "end_of_stream": False},
    "c2": {"tickets": [ticket(5), ticket(6)], "after_cursor": "c3", "end_of_stream": True},
}


class Server:
    """Replays PAGES; optional failures by cursor: a list of (status, headers) to return first."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, dict[str, list[str]], str | None]] = []
        self.failures: dict[str | None, list[tuple[int, dict[str, str]]]] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                q = parse_qs(url.query)
                outer.requests.append((time.monotonic(), q, self.headers.get("Authorization")))
                cursor = q.get("cursor", [None])[0]
                if url.path != EXPORT or cursor not in PAGES:
                    self.send_error(404)
                    return
                pending = outer.failures.get(cursor)
                if pending:
                    status, headers = pending.pop(0)
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                page = dict(PAGES[cursor])
                host = f"http://{self.headers['Host']}"
                page["after_url"] = f"{host}{EXPORT}?cursor={page['after_cursor']}"
                body = json.dumps(page).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def cursors(self) -> list[str | None]:
        return [q.get("cursor", [None])[0] for _, q, _ in self.requests]


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def source(url: str, **api) -> SourceConfig:
    api.setdefault("email", "agent@acme.com")
    return SourceConfig(
        name="zd",
        format="zendesk_api",
        api=ZendeskApiConfig(
            base_url=url, ticket_url_template="https://acme.zendesk.com/agent/tickets/{id}", **api
        ),
    )


def test_three_pages_with_a_429_are_complete_and_wait(server: Server, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "s3cret")
    server.failures["c1"] = [(429, {"Retry-After": "1"})]
    conn = make_connector(source(server.url, start_time=1767225600), VocConfig())
    chunks = list(conn.read({}))

    assert [c.watermark for c in chunks] == [{"cursor": "c1"}, {"cursor": "c2"}, {"cursor": "c3"}]
    ids = [r.external_id for c in chunks for r in c.records]
    assert ids == ["1", "2", "3", "4", "6"]
    (q,) = [q for c in chunks for q in c.quarantined]
    assert q.reason == "missing_text" and "ticket 5" in q.detail
    assert sum(c.read for c in chunks) == 6

    # first call by start_time, then by cursor; c1 asked twice because of the 429
    assert server.cursors() == [None, "c1", "c1", "c2"]
    assert server.requests[0][1]["start_time"] == ["1767225600"]
    times = [t for t, _, _ in server.requests]
    assert times[2] - times[1] >= 0.95  # Retry-After: 1 was honoured
    expected = "Basic " + base64.b64encode(b"agent@acme.com/token:s3cret").decode()
    assert {auth for _, _, auth in server.requests} == {expected}

    r = chunks[0].records[0]
    assert (r.id, r.kind.value, r.channel, r.customer_id) == ("zd:1", "ticket", "web", "1001")
    assert r.url == "https://acme.zendesk.com/agent/tickets/1"
    assert (r.rating, r.rating_scale.value) == (5.0, "csat")


def test_resume_from_cursor_fetches_only_later_pages(server: Server, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "s3cret")
    chunks = list(make_connector(source(server.url), VocConfig()).read({"cursor": "c2"}))
    assert server.cursors() == ["c2"]
    assert [r.external_id for c in chunks for r in c.records] == ["6"]
    assert chunks[-1].watermark == {"cursor": "c3"}


def test_5xx_is_retried_with_backoff_then_gives_up(server: Server, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "s3cret")
    waits: list[float] = []
    server.failures[None] = [(503, {}), (502, {})]
    conn = ZendeskApiConnector(source(server.url), VocConfig(), sleep=waits.append, backoff_s=0.5)
    assert len([r for c in conn.read({}) for r in c.records]) == 5
    assert waits == [0.5, 1.0]

    server.failures["c1"] = [(500, {})] * 10
    conn = ZendeskApiConnector(
        source(server.url, max_retries=2), VocConfig(), sleep=waits.append, backoff_s=0.01
    )
    it = conn.read({})
    first = next(it)
    assert first.watermark == {
        "cursor": "c1"
    }  # page 1 is delivered (and can be committed) before the failure
    with pytest.raises(InputError, match=r"gave up after 3 attempts.*HTTP 500"):
        next(it)


def test_connection_error_and_missing_token(monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "x")
    conn = ZendeskApiConnector(
        source("http://127.0.0.1:9", max_retries=1, timeout_s=2), VocConfig(), sleep=lambda s: None
    )
    with pytest.raises(InputError, match="connection error"):
        list(conn.read({}))
    monkeypatch.delenv("ZENDESK_API_TOKEN")
    with pytest.raises(InputError, match="ZENDESK_API_TOKEN"):
        list(make_connector(source("http://127.0.0.1:9"), VocConfig()).read({}))


def test_401_is_a_clear_error_without_retries(server: Server, monkeypatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "wrong")
    server.failures[None] = [(401, {})]
    with pytest.raises(InputError, match=r"HTTP 401.*ZENDESK_API_TOKEN"):
        list(make_connector(source(server.url), VocConfig()).read({}))
    assert len(server.requests) == 1


def test_retry_after_parsing() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None, default=3) == 3
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
