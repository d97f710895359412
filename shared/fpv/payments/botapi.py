"""A small synchronous Bot API client for what runs outside python-telegram-bot's event loop:
`refundStarPayment`, and the outbox's messages and invoices (`fpv.delivery`). Real HTTP to
settings.telegram_api_base_url (a fake server in tests). The URL carries the bot token, so it is
never logged.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

logging.getLogger("httpx").setLevel(logging.WARNING)  # httpx logs URLs, ours carry the token


class BotApiUnavailable(RuntimeError):
    """Network trouble, 5xx or 429: try again later."""


class BotApiError(RuntimeError):
    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(f"{error_code}: {description}")
        self.error_code = error_code
        self.description = description


class BotApi:
    def __init__(self, token: str, base_url: str, *, timeout: float = 10.0) -> None:
        self._url = f"{base_url.rstrip('/')}/bot{token}"
        self._timeout = timeout
        self._client: httpx.Client | None = None

    @classmethod
    def at(cls, bot_url: str, *, timeout: float = 10.0) -> BotApi:
        """A client for a full bot URL (`https://api.telegram.org/bot<token>`, as PTB's
        `Bot.base_url`)."""
        api = cls.__new__(cls)
        api._url = bot_url.rstrip("/")
        api._timeout = timeout
        api._client = None
        return api

    def _http(self) -> httpx.Client:
        if self._client is None:  # created on first use, reused while the container is warm
            self._client = httpx.Client(timeout=self._timeout)
        return self._client

    def call(self, method: str, **params: Any) -> Any:
        try:
            response = self._http().post(f"{self._url}/{method}", json=params)
        except httpx.HTTPError as exc:
            raise BotApiUnavailable(f"{method}: {type(exc).__name__}") from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 429 or response.status_code >= 500:
            raise BotApiUnavailable(f"{method}: HTTP {response.status_code}")
        if not isinstance(data, dict) or not data.get("ok"):
            description = str(data.get("description", "")) if isinstance(data, dict) else ""
            raise BotApiError(response.status_code, description[:200])
        return data.get("result")

    def download(self, file_path: str, *, max_bytes: int = 20 * 1024 * 1024) -> bytes:
        """A file's content by the `file_path` getFile gave (`<root>/file/bot<token>/<path>`)."""
        root, _, token = self._url.rpartition("/bot")
        try:
            response = self._http().get(f"{root}/file/bot{token}/{file_path}")
        except httpx.HTTPError as exc:
            raise BotApiUnavailable(f"file download: {type(exc).__name__}") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise BotApiUnavailable(f"file download: HTTP {response.status_code}")
        if response.status_code != 200 or len(response.content) > max_bytes:
            raise BotApiError(response.status_code, "file not downloadable")
        return response.content

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
