"""Zendesk incremental ticket export API, cursor-based.

Reads `GET {base_url}/api/v2/incremental/tickets/cursor.json?start_time=<unix>`
on the first run, then `...?cursor=<after_cursor>` until `end_of_stream`
(see developer.zendesk.com, "Incremental Exports", cursor-based export).
Each response page (`tickets`, `after_cursor`, `after_url`,
`end_of_stream`) becomes one chunk whose watermark is
`{"cursor": after_cursor}`; the next run resumes from the stored cursor,
so only tickets created or updated since then are fetched.

Auth is basic `{email}/token:{token}` with the token read from the
environment variable `api.token_env` (a token without email is sent as an
OAuth bearer token). 429 responses are retried after their `Retry-After`;
5xx responses and connection errors are retried with doubling back-off;
after `api.max_retries` attempts the run stops with an `InputError`.
Tickets map exactly as in `zendesk.py`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from voc.config import SourceConfig, VocConfig
from voc.errors import ConfigError, InputError
from voc.ingest.base import Chunk
from voc.ingest.mapping import RowProblem, quarantine
from voc.ingest.zendesk import ticket_profile

log = logging.getLogger(__name__)

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
MAX_BACKOFF_S = 60.0


def retry_after_seconds(value: str | None, default: float = 60.0) -> float:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


class ZendeskApiConnector:
    """Pages of the Zendesk incremental ticket export as chunks.

    `sleep` and `backoff_s` are injectable so tests need not wait long;
    `transport` lets a test swap httpx's transport.
    """

    def __init__(
        self,
        source: SourceConfig,
        config: VocConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        backoff_s: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if source.api is None:
            raise ConfigError(
                f"source {source.name!r} has format zendesk_api but no [sources.api] table "
                "(base_url, email, token_env); add one to the config",
                code="E114",
            )
        self.source = source
        self.api = source.api
        self.config = config
        self.sleep = sleep
        self.backoff_s = backoff_s
        self.transport = transport
        self.full = False
        self.pages = 0
        self.profile = ticket_profile(
            source, url_template=source.url_template or self.api.ticket_url_template
        )

    def _auth(self) -> tuple[httpx.Auth | None, dict[str, str]]:
        token = os.environ.get(self.api.token_env)
        if not token:
            if self.api.email:
                raise InputError(
                    f"source {self.source.name!r}: the Zendesk API token is not set; export it in the "
                    f"environment variable {self.api.token_env} (api.token_env)",
                    code="E208",
                )
            log.warning(
                "ingest: %s: no token in %s; calling the API without auth",
                self.source.name,
                self.api.token_env,
            )
            return None, {}
        if self.api.email:
            return httpx.BasicAuth(f"{self.api.email}/token", token), {}
        return None, {"Authorization": f"Bearer {token}"}

    def read(self, watermarks: dict[str, str], full: bool = False) -> Iterator[Chunk]:
        """One chunk per API page, from the stored cursor (or `api.start_time`)."""
        full = full or self.full
        url = self.api.base_url.rstrip("/") + EXPORT_PATH
        cursor = None if full else watermarks.get("cursor")
        params: dict[str, Any] = {"per_page": self.api.page_size}
        if cursor:
            params["cursor"] = cursor
            log.info("ingest: %s: resuming the Zendesk export from the stored cursor", self.source.name)
        else:
            params["start_time"] = self.api.start_time
        auth, headers = self._auth()
        headers["Accept"] = "application/json"
        t0 = time.perf_counter()
        n = 0
        with httpx.Client(
            timeout=self.api.timeout_s, auth=auth, headers=headers, transport=self.transport
        ) as client:
            while True:
                data = self._get(client, url, params)
                tickets = data.get("tickets")
                if not isinstance(tickets, list):
                    raise InputError(
                        f"{url}: response has no 'tickets' list (keys: {', '.join(data)}); "
                        "check api.base_url is the Zendesk account URL",
                        code="E238",
                    )
                after = data.get("after_cursor")
                chunk = Chunk(file=None)
                for ticket in tickets:
                    self._add(chunk, ticket)
                if after:
                    chunk.watermark = {"cursor": str(after)}
                self.pages += 1
                n += chunk.read
                yield chunk
                if data.get("end_of_stream") or not after:
                    break
                params = {"per_page": self.api.page_size, "cursor": after}
        log.info(
            "ingest: %s: read %d tickets in %d pages in %.1f s",
            self.source.name,
            n,
            self.pages,
            time.perf_counter() - t0,
        )

    def _add(self, chunk: Chunk, ticket: Any) -> None:
        if not isinstance(ticket, dict):
            chunk.quarantined.append(
                quarantine(
                    self.source.name,
                    "bad_row",
                    f"ticket is a {type(ticket).__name__}, not an object",
                    ticket,
                    input_file=None,
                    input_row=None,
                )
            )
            return
        try:
            chunk.records.append(self.profile.map(ticket, input_file=None, input_row=None))
        except RowProblem as problem:
            chunk.quarantined.append(
                quarantine(
                    self.source.name,
                    problem.reason,
                    f"ticket {ticket.get('id')}: {problem.detail}",
                    ticket,
                    input_file=None,
                    input_row=None,
                )
            )

    def _get(self, client: httpx.Client, url: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET with retries: Retry-After on 429, doubling back-off on 5xx and connection errors."""
        attempts = 0
        backoff = self.backoff_s
        while True:
            attempts += 1
            try:
                resp = client.get(url, params=params)
            except httpx.TransportError as exc:
                problem = f"connection error: {exc!r}"
                wait = backoff
            else:
                status = resp.status_code
                if status == 200:
                    try:
                        data = resp.json()
                    except ValueError:
                        raise InputError(
                            f"{url}: response is not JSON: {resp.text[:200]!r}; "
                            "check api.base_url is the Zendesk account URL",
                            code="E241",
                        ) from None
                    if not isinstance(data, dict):
                        raise InputError(
                            f"{url}: expected a JSON object, got {type(data).__name__}; "
                            "check api.base_url is the Zendesk account URL",
                            code="E239",
                        )
                    return data
                if status == 429:
                    wait = retry_after_seconds(resp.headers.get("Retry-After"))
                    problem = f"HTTP 429 rate limited (Retry-After {resp.headers.get('Retry-After')!r})"
                elif status >= 500:
                    wait = backoff
                    problem = f"HTTP {status}"
                else:
                    hint = ""
                    if status in (401, 403):
                        hint = f" Check api.email and the token in ${self.api.token_env}."
                    raise InputError(f"{url}: HTTP {status}: {resp.text[:200]!r}.{hint}", code="E240")
            if attempts > self.api.max_retries:
                raise InputError(
                    f"{url}: gave up after {attempts} attempts; last problem: {problem}. "
                    "Try again later or raise api.max_retries.",
                    code="E209",
                )
            log.warning(
                "ingest: %s: %s; retrying in %.1f s (attempt %d of %d)",
                self.source.name,
                problem,
                wait,
                attempts,
                self.api.max_retries + 1,
            )
            self.sleep(wait)
            if wait == backoff:
                backoff = min(backoff * 2, MAX_BACKOFF_S)
