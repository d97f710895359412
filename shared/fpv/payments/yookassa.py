"""YooKassa API v3: refunds (with an Idempotence-Key), re-fetching payments and refunds named
by HTTP notifications, and the published source addresses of those notifications.

Auth is HTTP Basic shop_id:secret_key. Answers we treat as "come back later" (nothing lost,
same idempotence key next time): network errors, 5xx, 429, 401 (credentials being fixed) and
202 "processing". 400/403/404 on a refund are YooKassa saying no.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any

import httpx

from fpv.payments.money import from_decimal_string, to_decimal_string
from fpv.payments.ports import ProviderUnavailable, RefundRejected, RefundRequest, RefundState

log = logging.getLogger("fpv.payments.yookassa")

# Where YooKassa sends HTTP notifications from (its documentation's published list).
NOTIFICATION_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "185.71.76.0/27",
        "185.71.77.0/27",
        "77.75.153.0/25",
        "77.75.156.11/32",
        "77.75.156.35/32",
        "77.75.154.128/25",
        "2a02:5180::/32",
    )
)
# Object ids go into URL paths: only what YooKassa ids look like.
OBJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REFUND_STATES = {"succeeded": "succeeded", "pending": "pending", "canceled": "failed"}


def from_yookassa(source_ip: str | None) -> bool:
    try:
        address = ipaddress.ip_address((source_ip or "").strip())
    except ValueError:
        return False
    return any(address in network for network in NOTIFICATION_NETWORKS)


def refund_state(obj: dict[str, Any]) -> RefundState:
    status = _REFUND_STATES.get(str(obj.get("status")), "pending")
    detail = None
    if status == "failed":
        details = obj.get("cancellation_details") or {}
        detail = str(details.get("reason") or "canceled")[:100]
    return RefundState(status, str(obj.get("id")) if obj.get("id") else None, detail)


def amount_of(obj: dict[str, Any], key: str = "amount") -> tuple[int | None, str | None]:
    amount = obj.get(key) or {}
    if not isinstance(amount, dict):
        return None, None
    return from_decimal_string(amount.get("value")), amount.get("currency")


class YooKassaClient:
    def __init__(
        self, shop_id: str, secret_key: str, base_url: str, *, timeout: float = 10.0
    ) -> None:
        self._auth = (shop_id, secret_key)
        self._base = base_url.rstrip("/")
        self._timeout = timeout
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=self._timeout, auth=self._auth)
        return self._client

    def _send(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        try:
            response = self._http().request(
                method, f"{self._base}{path}", json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"yookassa {method} {path.split('/')[1]}: {type(exc).__name__}"
            ) from None
        if response.status_code in (202, 401, 429) or response.status_code >= 500:
            if response.status_code == 401:
                log.error("YooKassa rejected our credentials (check YOOKASSA_SHOP_ID / key)")
            raise ProviderUnavailable(f"yookassa HTTP {response.status_code}")
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise ProviderUnavailable("yookassa sent a non-JSON answer") from None
        if not isinstance(data, dict):
            raise ProviderUnavailable("yookassa sent an unexpected answer")
        return data

    def _get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        if not OBJECT_ID.match(object_id):
            return None
        response = self._send("GET", f"/{kind}/{object_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProviderUnavailable(f"yookassa HTTP {response.status_code}")
        return self._json(response)

    def get_payment(self, payment_id: str) -> dict[str, Any] | None:
        return self._get("payments", payment_id)

    def get_refund(self, refund_id: str) -> dict[str, Any] | None:
        return self._get("refunds", refund_id)

    def refund(self, request: RefundRequest) -> RefundState:
        if not request.provider_charge_id or not OBJECT_ID.match(request.provider_charge_id):
            raise RefundRejected("no_provider_payment_id")
        body = {
            "payment_id": request.provider_charge_id,
            "amount": {"value": to_decimal_string(request.amount), "currency": request.currency},
            "description": request.description[:250],
            "metadata": {"payment": str(request.payment_id)},
        }
        response = self._send(
            "POST", "/refunds", json=body, headers={"Idempotence-Key": request.idempotence_key}
        )
        if response.status_code in (400, 403, 404):
            data = self._json(response)
            raise RefundRejected(str(data.get("code") or f"http_{response.status_code}")[:100])
        if response.status_code != 200:
            raise ProviderUnavailable(f"yookassa HTTP {response.status_code}")
        return refund_state(self._json(response))

    def refund_status(self, request: RefundRequest, refund_id: str) -> RefundState:
        obj = self.get_refund(refund_id)
        if obj is None:
            # unknown to YooKassa: ask again with our idempotence key (returns the same refund if
            # it exists, creates it if it does not)
            return self.refund(request)
        return refund_state(obj)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
