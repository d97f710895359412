"""What an admin request can be refused for. Each error has an HTTP status and a code; the
texts (RU + EN) are `admin.problem.<code>` in texts/admin.json."""

from __future__ import annotations

from typing import Any


class AdminError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", **values: Any) -> None:
        super().__init__(message or self.code)
        self.values = values


class Unauthorized(AdminError):
    status, code = 401, "unauthorized"


class InvalidCode(AdminError):
    status, code = 401, "invalid_code"


class CodeExpired(AdminError):
    status, code = 401, "code_expired"


class CsrfRejected(AdminError):
    status, code = 403, "csrf"


class Forbidden(AdminError):
    status, code = 403, "forbidden"


class NotFound(AdminError):
    """Also what a local admin gets for another venue's object (ids are not confirmed)."""

    status, code = 404, "not_found"


class Conflict(AdminError):
    status, code = 409, "conflict"


class TrainingClosedError(AdminError):
    status, code = 409, "training_closed"


class ChannelTaken(AdminError):
    status, code = 409, "channel_unavailable"


class Invalid(AdminError):
    status, code = 422, "invalid"


class RateLimited(AdminError):
    status, code = 429, "rate_limited"


class TooManyAttempts(AdminError):
    status, code = 429, "too_many_attempts"


class CodeUndeliverable(AdminError):
    status, code = 503, "code_undeliverable"
