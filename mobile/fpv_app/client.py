"""Typed calls to the platform's pilots' app API (`/api/app/`, see the README's "Public APIs").

No UI here. Every failure becomes an `ApiError` whose `code` names what happened in words the app
shows (`fpv_app.texts`): the network, a refusal of the server (problem JSON), or an answer that
is not what the API promises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

# problem JSON `type` suffixes and titles (fpv/api/app.py) -> the app's error codes
_KINDS = {
    "pending": "pending",
    "sign-in-over": "sign_in_over",
    "AlreadyRegistered": "already_registered",
    "TrainingClosed": "training_closed",
    "ChannelUnavailable": "channel_unavailable",
    "CancelTooLate": "too_late",
    "TrainingNotFound": "not_found",
    "RegistrationNotFound": "not_found",
    "PilotNotFound": "no_profile",
    "NicknameInvalid": "nickname_invalid",
    "NicknameTaken": "nickname_taken",
    "InvalidValue": "invalid",
    "NoConsent": "no_consent",
}
_STATUSES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    410: "sign_in_over",
    422: "invalid",
    429: "rate_limited",
}


class ApiError(Exception):
    """`code`: offline, timeout, server, bad_answer, or a refusal (unauthorized, not_found,
    already_registered, too_late, ...). `detail` is the server's own words, for logs only."""

    def __init__(self, code: str, status: int | None = None, detail: str = "") -> None:
        super().__init__(f"{code} ({status}): {detail}" if status else f"{code}: {detail}")
        self.code = code
        self.status = status
        self.detail = detail

    @property
    def is_network(self) -> bool:
        return self.code in ("offline", "timeout")


def _error_from(response: httpx.Response) -> ApiError:
    status = response.status_code
    body: dict[str, Any] = {}
    try:
        parsed = response.json()
        if isinstance(parsed, dict):
            body = parsed
    except ValueError:
        pass
    kind = str(body.get("type", "")).rsplit("/", 1)[-1]
    detail = str(body.get("detail") or body.get("title") or "")
    if kind in _KINDS:
        return ApiError(_KINDS[kind], status, detail)
    if status >= 500:
        return ApiError("server", status, detail)
    return ApiError(_STATUSES.get(status, "bad_request"), status, detail)


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Venue:
    id: int
    name: str
    address: str
    latitude: float | None
    longitude: float | None
    time_zone: str
    city_id: int

    @classmethod
    def of(cls, d: dict[str, Any]) -> Venue:
        return cls(
            id=d["id"],
            name=d["name"],
            address=d.get("address", ""),
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            time_zone=d["time_zone"],
            city_id=d["city_id"],
        )


@dataclass(frozen=True)
class Training:
    id: int
    title: str
    track_type: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    status: str
    capacity: int
    seats_free: int
    price_kopecks: int
    currency: str
    notes: str
    venue: Venue

    @classmethod
    def of(cls, d: dict[str, Any]) -> Training:
        return cls(
            id=d["id"],
            title=d["title"],
            track_type=d.get("track_type", ""),
            starts_at=datetime.fromisoformat(d["starts_at"]),
            ends_at=datetime.fromisoformat(d["ends_at"]),
            time_zone=d["time_zone"],
            status=d.get("status", "scheduled"),
            capacity=d["capacity"],
            seats_free=d["seats_free"],
            price_kopecks=d["price_kopecks"],
            currency=d.get("currency", "RUB"),
            notes=d.get("notes", ""),
            venue=Venue.of(d["venue"]),
        )

    @property
    def is_free(self) -> bool:
        return self.price_kopecks == 0


@dataclass(frozen=True)
class Registration:
    id: int
    training_id: int
    status: str
    channel_mhz: int | None
    channel_label: str | None
    heat: int
    hold_expires_at: datetime | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> Registration:
        return cls(
            id=d["id"],
            training_id=d["training_id"],
            status=d["status"],
            channel_mhz=d.get("channel_mhz"),
            channel_label=d.get("channel_label"),
            heat=d.get("heat", 1),
            hold_expires_at=_time(d.get("hold_expires_at")),
        )


@dataclass(frozen=True)
class MyTraining:
    registration: Registration
    title: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    time_zone: str
    price_kopecks: int

    @classmethod
    def of(cls, d: dict[str, Any]) -> MyTraining:
        return cls(
            registration=Registration.of(d),
            title=d["title"],
            starts_at=datetime.fromisoformat(d["starts_at"]),
            ends_at=datetime.fromisoformat(d["ends_at"]),
            venue_name=d["venue_name"],
            time_zone=d["time_zone"],
            price_kopecks=d["price_kopecks"],
        )


@dataclass(frozen=True)
class Channel:
    mhz: int
    label: str
    rating: int
    heat: int


@dataclass(frozen=True)
class BoardSeat:
    heat: int
    channel_mhz: int | None
    channel_label: str | None
    status: str
    nickname: str | None


@dataclass(frozen=True)
class TrainingCard:
    training: Training
    board: list[BoardSeat]
    mine: Registration | None
    channels: list[Channel]


@dataclass(frozen=True)
class SignUp:
    registration: Registration
    waitlist_position: int | None
    price_kopecks: int
    invoice_link: str | None


@dataclass(frozen=True)
class SignInStarted:
    nonce: str
    verifier: str
    deep_link: str
    expires_at: datetime


@dataclass(frozen=True)
class Profile:
    telegram_id: int
    nickname: str | None
    equipment: str
    language: str
    show_on_site: bool


@dataclass(frozen=True)
class Device:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    current: bool


@dataclass(frozen=True)
class Notification:
    kind: str
    text: str
    at: datetime
    delivered: bool


class AppApi:
    """One pilot's connection to `/api/app/`. `token` is the device token (None = signed out)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(
            base_url=f"{self.base_url}/api/app",
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AppApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> Any:
        headers = {}
        if auth:
            if not self.token:
                raise ApiError("unauthorized", None, "not signed in")
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self._http.request(method, path, headers=headers, **kw)
        except httpx.TimeoutException as exc:
            raise ApiError("timeout", None, type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise ApiError("offline", None, type(exc).__name__) from None
        if response.status_code >= 400:
            raise _error_from(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ApiError("bad_answer", response.status_code, "not JSON") from None

    # --- sign-in --------------------------------------------------------------------------------
    def start_sign_in(self, device_name: str) -> SignInStarted:
        d = self._call("POST", "/sign-in", auth=False, json={"device_name": device_name[:64]})
        return SignInStarted(
            nonce=d["nonce"],
            verifier=d["verifier"],
            deep_link=d["deep_link"],
            expires_at=datetime.fromisoformat(d["expires_at"]),
        )

    def exchange(self, started: SignInStarted) -> str:
        """The device token once the pilot confirmed in the bot; ApiError("pending") before."""
        d = self._call(
            "POST",
            "/sign-in/token",
            auth=False,
            json={"nonce": started.nonce, "verifier": started.verifier},
        )
        return str(d["token"])

    def sign_out(self) -> None:
        self._call("POST", "/sign-out")

    # --- profile --------------------------------------------------------------------------------
    def me(self) -> Profile:
        return Profile(**self._call("GET", "/me"))

    def update_me(self, **changes: Any) -> Profile:
        body = {k: v for k, v in changes.items() if v is not None}
        return Profile(**self._call("PATCH", "/me", json=body))

    def delete_me(self) -> None:
        self._call("DELETE", "/me")

    def devices(self) -> list[Device]:
        return [
            Device(
                id=d["id"],
                name=d["name"],
                created_at=datetime.fromisoformat(d["created_at"]),
                last_used_at=_time(d.get("last_used_at")),
                current=d["current"],
            )
            for d in self._call("GET", "/devices")
        ]

    def revoke_device(self, device_id: int) -> None:
        self._call("DELETE", f"/devices/{int(device_id)}")

    # --- schedule and trainings -----------------------------------------------------------------
    def schedule_raw(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """Every coming training (the JSON as served: the cache stores it as it is)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(20):  # at most 20 pages: a bound, not a expectation
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            page = self._call("GET", "/schedule", auth=False, params=params)
            items.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                break
        return items

    def equipment_choices(self) -> tuple[list[str], dict[str, str]]:
        """(analog band codes, digital system id → name), as the platform defines them."""
        d = self._call("GET", "/equipment", auth=False)
        return list(d["analog_bands"]), {s["id"]: s["name"] for s in d["digital_systems"]}

    def cities_raw(self) -> list[dict[str, Any]]:
        """Cities with their names (the public integration API: the app API has no list)."""
        try:
            response = self._http.get(f"{self.base_url}/api/v1/cities")
        except httpx.TimeoutException as exc:
            raise ApiError("timeout", None, type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise ApiError("offline", None, type(exc).__name__) from None
        if response.status_code >= 400:
            raise _error_from(response)
        return list(response.json()["items"])

    def training(self, training_id: int) -> TrainingCard:
        d = self._call("GET", f"/trainings/{int(training_id)}")
        return TrainingCard(
            training=Training.of(d["training"]),
            board=[BoardSeat(**b) for b in d["board"]],
            mine=Registration.of(d["mine"]) if d.get("mine") else None,
            channels=[Channel(**c) for c in d["channels"]],
        )

    def sign_up(self, training_id: int, channel_mhz: int | None = None) -> SignUp:
        body = {"channel_mhz": channel_mhz} if channel_mhz else {}
        d = self._call("POST", f"/trainings/{int(training_id)}/registrations", json=body)
        return SignUp(
            registration=Registration.of(d["registration"]),
            waitlist_position=d.get("waitlist_position"),
            price_kopecks=d["price_kopecks"],
            invoice_link=d.get("invoice_link"),
        )

    def my_trainings(self) -> list[MyTraining]:
        return [MyTraining.of(d) for d in self._call("GET", "/registrations")]

    def cancel(self, registration_id: int) -> bool:
        """Cancel my seat; True when money is due back."""
        d = self._call("DELETE", f"/registrations/{int(registration_id)}")
        return bool(d["refund_due"])

    def change_channel(self, registration_id: int, channel_mhz: int) -> Channel:
        d = self._call(
            "PUT",
            f"/registrations/{int(registration_id)}/channel",
            json={"channel_mhz": int(channel_mhz)},
        )
        return Channel(**d)

    def notifications(self, limit: int = 50) -> list[Notification]:
        d = self._call("GET", "/notifications", params={"limit": limit})
        return [
            Notification(
                kind=n["kind"],
                text=n["text"],
                at=datetime.fromisoformat(n["at"]),
                delivered=n["delivered"],
            )
            for n in d["items"]
        ]
