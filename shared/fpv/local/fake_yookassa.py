"""Fake payment provider APIs on 127.0.0.1 that the platform really talks to over HTTP:
`FakeYooKassa` (API v3: payments, refunds with Idempotence-Key, Basic auth) and `FakeStripe`
(refunds with Idempotency-Key, Bearer auth). Tests point YOOKASSA_API_BASE_URL /
STRIPE_API_BASE_URL at `server.base_url`; nothing goes to the internet.

Scripting: `fail(times, status)` answers the next requests with an error (503 = provider down),
`lose_responses(times)` does the work but answers 500 (the caller cannot know it happened: the
idempotence key must make its retry harmless), `refund_outcome` makes new refunds succeed, stay
pending or be canceled. Every request is recorded in `calls`.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from fpv.local.loopback import LoopbackServer


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _Script:
    status: int
    times: int
    lose: bool = False  # do the work, then answer `status`


def _kopecks(value: str) -> int:
    rubles, _, rest = value.partition(".")
    return int(rubles) * 100 + int((rest + "00")[:2])


def _value(kopecks: int) -> str:
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class _FakeServer(LoopbackServer):
    """HTTP plumbing shared by the fakes: a threaded server, call log, scripted failures."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._scripts: list[_Script] = []
        self._lock = threading.RLock()

    # --- scripting --------------------------------------------------------------------------
    def fail(self, times: int = 1, status: int = 503) -> None:
        """The next `times` requests are answered `status` without doing anything."""
        with self._lock:
            self._scripts.append(_Script(status, times))

    def lose_responses(self, times: int = 1, status: int = 500) -> None:
        """The next `times` requests are carried out, then answered `status`."""
        with self._lock:
            self._scripts.append(_Script(status, times, lose=True))

    def reset(self) -> None:
        """Forget every call, script and object (one server shared by many tests)."""
        with self._lock:
            self.calls.clear()
            self._scripts.clear()
            self._reset_state()

    def _reset_state(self) -> None:
        raise NotImplementedError

    def calls_to(self, method: str, prefix: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    # --- HTTP ---------------------------------------------------------------------------------
    def _take_script(self) -> _Script | None:
        with self._lock:
            if not self._scripts:
                return None
            script = self._scripts[0]
            script.times -= 1
            if script.times <= 0:
                self._scripts.pop(0)
            return script

    def _reply(self, request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        ctype = request.headers.get("Content-Type", "")
        body: Any
        if ctype.startswith("application/json") and raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
        elif ctype.startswith("application/x-www-form-urlencoded"):
            body = dict(parse_qsl(raw.decode()))
        else:
            body = raw.decode(errors="replace") or None
        path = request.path.split("?")[0]
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.calls.append(Call(request.command, path, headers, body))
        if not self._authorized(headers):
            self._reply(request, 401, self._auth_error())
            return
        script = self._take_script()
        if script is not None and not script.lose:
            self._reply(request, script.status, {"type": "error", "code": "internal_server_error"})
            return
        with self._lock:
            status, payload = self._route(request.command, path, headers, body)
        if script is not None:
            self._reply(request, script.status, {"type": "error", "code": "internal_server_error"})
            return
        self._reply(request, status, payload)

    def _authorized(self, headers: dict[str, str]) -> bool:
        raise NotImplementedError

    def _auth_error(self) -> Any:
        raise NotImplementedError

    def _route(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        raise NotImplementedError


class FakeYooKassa(_FakeServer):
    """YooKassa API v3. `base_url` ends with /v3 (set YOOKASSA_API_BASE_URL to it)."""

    def __init__(self, shop_id: str = "123456", secret_key: str = "test_secret") -> None:  # noqa: S107
        super().__init__()
        self.shop_id = shop_id
        self.secret_key = secret_key
        self._ids = itertools.count(1)
        self._reset_state()

    def _reset_state(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.refund_outcome = "succeeded"  # succeeded | pending | canceled
        self._idempotence: dict[str, tuple[int, Any]] = {}

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v3"

    # --- the provider's state ------------------------------------------------------------------
    def add_payment(
        self, amount_kopecks: int, currency: str = "RUB", payment_id: str | None = None
    ) -> str:
        """A succeeded payment, as one made through Telegram Payments; returns its id (what
        Telegram reports as provider_payment_charge_id)."""
        payment_id = payment_id or f"2f{next(self._ids):06d}-000f-5000-9000-{uuid.uuid4().hex[:12]}"
        with self._lock:
            self.payments[payment_id] = {
                "id": payment_id,
                "status": "succeeded",
                "paid": True,
                "amount": {"value": _value(amount_kopecks), "currency": currency},
                "refunded_amount": {"value": "0.00", "currency": currency},
                "created_at": _now(),
                "test": True,
            }
        return payment_id

    def settle_refund(self, refund_id: str, status: str) -> dict[str, Any]:
        """A pending refund reaches its final status (succeeded | canceled)."""
        with self._lock:
            refund = self.refunds[refund_id]
            if refund["status"] == "pending":
                refund["status"] = status
                if status == "canceled":
                    self._unrefund(refund)
                    refund["cancellation_details"] = {
                        "party": "yoo_money",
                        "reason": "rejected_by_payee",
                    }
            return dict(refund)

    def refunded_kopecks(self, payment_id: str) -> int:
        with self._lock:
            return _kopecks(self.payments[payment_id]["refunded_amount"]["value"])

    def refunds_for(self, payment_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.refunds.values() if r["payment_id"] == payment_id]

    @staticmethod
    def notification(event: str, obj: dict[str, Any]) -> bytes:
        """The body YooKassa POSTs to the shop's notification URL."""
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    # --- HTTP ---------------------------------------------------------------------------------
    def _authorized(self, headers: dict[str, str]) -> bool:
        expected = base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        return headers.get("authorization") == f"Basic {expected}"

    def _auth_error(self) -> Any:
        return {"type": "error", "code": "invalid_credentials", "description": "Basic auth failed"}

    def _route(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:1] != ["v3"]:
            return 404, {"type": "error", "code": "not_found"}
        if method == "GET" and len(parts) == 3 and parts[1] in ("payments", "refunds"):
            store = self.payments if parts[1] == "payments" else self.refunds
            obj = store.get(parts[2])
            if obj is None:
                return 404, {"type": "error", "code": "not_found", "description": "not found"}
            return 200, obj
        if method == "POST" and parts[1:] == ["refunds"]:
            key = headers.get("idempotence-key")
            if not key:
                return 400, {
                    "type": "error",
                    "code": "invalid_request",
                    "parameter": "Idempotence-Key",
                }
            if key in self._idempotence:  # same key: the same answer, nothing done twice
                return self._idempotence[key]
            answer = self._create_refund(body)
            self._idempotence[key] = answer
            return answer
        return 404, {"type": "error", "code": "not_found"}

    def _create_refund(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("amount"), dict):
            return 400, {"type": "error", "code": "invalid_request", "parameter": "amount"}
        payment = self.payments.get(str(body.get("payment_id")))
        if payment is None or payment["status"] != "succeeded":
            return 400, {"type": "error", "code": "invalid_request", "parameter": "payment_id"}
        amount = _kopecks(str(body["amount"]["value"]))
        paid = _kopecks(payment["amount"]["value"])
        already = _kopecks(payment["refunded_amount"]["value"])
        if amount <= 0 or already + amount > paid:
            return 400, {
                "type": "error",
                "code": "invalid_request",
                "description": "refund exceeds payment",
            }
        refund_id = f"2e{next(self._ids):06d}-0015-5000-8000-{uuid.uuid4().hex[:12]}"
        refund = {
            "id": refund_id,
            "payment_id": payment["id"],
            "status": "canceled" if self.refund_outcome == "canceled" else self.refund_outcome,
            "amount": {"value": _value(amount), "currency": body["amount"].get("currency", "RUB")},
            "created_at": _now(),
            "description": body.get("description", ""),
        }
        if refund["status"] == "canceled":
            refund["cancellation_details"] = {"party": "yoo_money", "reason": "rejected_by_payee"}
        else:
            payment["refunded_amount"]["value"] = _value(already + amount)
        self.refunds[refund_id] = refund
        return 200, dict(refund)

    def _unrefund(self, refund: dict[str, Any]) -> None:
        payment = self.payments[refund["payment_id"]]
        left = _kopecks(payment["refunded_amount"]["value"]) - _kopecks(refund["amount"]["value"])
        payment["refunded_amount"]["value"] = _value(max(left, 0))


class FakeStripe(_FakeServer):
    """Stripe's refunds API (form-encoded, Bearer key). `base_url` is the API root."""

    def __init__(self, api_key: str = "sk_test_fake") -> None:
        super().__init__()
        self.api_key = api_key
        self._ids = itertools.count(1)
        self._reset_state()

    def _reset_state(self) -> None:
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.refund_outcome = "succeeded"  # succeeded | pending | failed
        self._idempotence: dict[str, tuple[int, Any]] = {}

    @property
    def base_url(self) -> str:
        return self.root_url

    def add_charge(self, amount: int, currency: str = "rub") -> str:
        charge_id = f"ch_fake{next(self._ids):08d}"
        with self._lock:
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "amount_refunded": 0,
                "currency": currency,
                "refunded": False,
            }
        return charge_id

    def refunds_for(self, charge_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.refunds.values() if r["charge"] == charge_id]

    def _authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.api_key}"

    def _auth_error(self) -> Any:
        return {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}

    def _route(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "refunds"]:
            refund = self.refunds.get(parts[2])
            if refund is None:
                return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}
            return 200, refund
        if method == "POST" and parts == ["v1", "refunds"]:
            key = headers.get("idempotency-key")
            if key and key in self._idempotence:
                return self._idempotence[key]
            answer = self._create_refund(body if isinstance(body, dict) else {})
            if key:
                self._idempotence[key] = answer
            return answer
        return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}

    def _create_refund(self, body: dict[str, Any]) -> tuple[int, Any]:
        charge = self.charges.get(str(body.get("charge")))
        if charge is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}
        amount = int(body.get("amount") or charge["amount"] - charge["amount_refunded"])
        if charge["amount_refunded"] + amount > charge["amount"]:
            return 400, {
                "error": {"type": "invalid_request_error", "code": "charge_already_refunded"}
            }
        refund_id = f"re_fake{next(self._ids):08d}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "currency": charge["currency"],
            "status": self.refund_outcome,
        }
        if self.refund_outcome != "failed":
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self.refunds[refund_id] = refund
        return 200, dict(refund)
