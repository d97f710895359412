"""Stripe: webhook signature verification (`Stripe-Signature`: HMAC-SHA256 of "t.payload" with
the endpoint secret, within a tolerance) and refunds of charges made through Telegram Payments
(`provider_payment_charge_id` is the Stripe charge), with an Idempotency-Key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Any

import httpx

from fpv.payments.ports import ProviderUnavailable, RefundRejected, RefundRequest, RefundState

log = logging.getLogger("fpv.payments.stripe")

TOLERANCE_SECONDS = 300
OBJECT_ID = re.compile(r"^[A-Za-z0-9_]{1,100}$")
_REFUND_STATES = {
    "succeeded": "succeeded",
    "pending": "pending",
    "requires_action": "pending",
    "failed": "failed",
    "canceled": "failed",
}


class SignatureError(ValueError):
    """The event is not provably from Stripe (or is too old to be fresh)."""


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify_signature(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """The signed timestamp when one `v1` signature matches and the timestamp is within the
    tolerance (a replay of an old event fails here); SignatureError otherwise."""
    if not header or not secret:
        raise SignatureError("missing signature")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    expected = signature(secret, timestamp, payload)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("signature mismatch")
    if abs(now - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    return timestamp


def refund_state(obj: dict[str, Any]) -> RefundState:
    status = _REFUND_STATES.get(str(obj.get("status")), "pending")
    detail = (
        str(obj.get("failure_reason") or obj.get("status"))[:100] if status == "failed" else None
    )
    return RefundState(status, str(obj.get("id")) if obj.get("id") else None, detail)


class StripeClient:
    def __init__(
        self, api_key: str, base_url: str = "https://api.stripe.com", *, timeout: float = 10.0
    ) -> None:
        self._key = api_key
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=self._timeout, headers={"Authorization": f"Bearer {self._key}"}
            )
        return self._client

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http().request(method, f"{self._base}{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"stripe: {type(exc).__name__}") from None
        status = response.status_code
        if status in (401, 409, 429) or status >= 500:
            raise ProviderUnavailable(f"stripe HTTP {status}")
        try:
            data = response.json()
        except ValueError:
            raise ProviderUnavailable("stripe sent a non-JSON answer") from None
        if status != 200:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise RefundRejected(str(error.get("code") or f"http_{status}")[:100])
        return data

    def refund(self, request: RefundRequest) -> RefundState:
        if not request.provider_charge_id or not OBJECT_ID.match(request.provider_charge_id):
            raise RefundRejected("no_provider_payment_id")
        data = self._send(
            "POST",
            "/v1/refunds",
            data={
                "charge": request.provider_charge_id,
                "amount": str(request.amount),
                "metadata[payment]": str(request.payment_id),
            },
            headers={"Idempotency-Key": request.idempotence_key},
        )
        return refund_state(data)

    def refund_status(self, request: RefundRequest, refund_id: str) -> RefundState:
        if not OBJECT_ID.match(refund_id):
            return self.refund(request)
        return refund_state(self._send("GET", f"/v1/refunds/{refund_id}"))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
