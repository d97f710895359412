"""The admin API as organizers reach it: the local gateway (template routes → API Gateway v2
events → the admin_api Lambda → Mangum → FastAPI) over real HTTP, codes through the fake Bot API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from fpv.actors import Actor
from fpv.admin.admins import add_admin
from fpv.db import Database
from fpv.local.fake_telegram import FakeTelegram
from fpv.local.fake_yookassa import FakeYooKassa
from fpv.local.gateway import LocalGateway
from fpv.local.invoker import FunctionInvoker
from fpv.local.template import load_template
from fpv.settings import get_settings
from tests.support.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
CLI = Actor(kind="system", via="cli")


def make_admin(
    db: Database,
    login: str,
    telegram_id: int,
    *,
    role: str = "superadmin",
    venues: list[int] | None = None,
    language: str = "ru",
) -> dict[str, Any]:
    return add_admin(
        db,
        CLI,
        telegram_id=telegram_id,
        login=login,
        password=PASSWORD,
        role=role,
        venue_ids=venues,
        language=language,
    )


@dataclass
class AdminGateway:
    url: str
    telegram: FakeTelegram
    db: Database

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def code_for(self, telegram_id: int) -> str:
        call = self.telegram.calls_to("sendMessage", telegram_id)[-1]
        found = re.search(r"\b(\d{6})\b", call.text)
        assert found, call.text
        return found.group(1)

    def login(
        self, client: httpx.Client, login: str, telegram_id: int, password: str = PASSWORD
    ) -> str:
        """Both factors; returns the CSRF token (the session cookie stays in the client)."""
        first = client.post("/api/admin/login", json={"login": login, "password": password})
        assert first.status_code == 200, first.text
        code = self.code_for(telegram_id)
        second = client.post(
            "/api/admin/login/verify", json={"challenge": first.json()["challenge"], "code": code}
        )
        assert second.status_code == 200, second.text
        return second.json()["csrf"]


@contextmanager
def admin_gateway(
    db: Database, telegram: FakeTelegram, yookassa: FakeYooKassa, tmp_path: Path, monkeypatch
) -> Iterator[AdminGateway]:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram.base_url)
    monkeypatch.setenv("YOOKASSA_SHOP_ID", yookassa.shop_id)
    monkeypatch.setenv("YOOKASSA_SECRET_KEY", yookassa.secret_key)
    monkeypatch.setenv("YOOKASSA_API_BASE_URL", yookassa.base_url)
    get_settings.cache_clear()
    gateway = LocalGateway(
        load_template(ROOT / "template.yaml"),
        site_dir=tmp_path / "site",
        admin_dir=ROOT / "static_site" / "admin",
        invoker=FunctionInvoker(),
    )
    with serve_in_thread(gateway) as url:
        yield AdminGateway(url, telegram, db)


@pytest.fixture(name="admin_gw")
def admin_gw_fixture(app_env, db, fakes, tmp_path, monkeypatch) -> Iterator[AdminGateway]:
    telegram, yookassa, _stripe = fakes
    with admin_gateway(db, telegram, yookassa, tmp_path, monkeypatch) as gw:
        yield gw


# --- sessions without the HTTP login (that flow has its own tests) -----------------------------
class CapturingSender:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def send(self, telegram_id: int, text: str) -> None:
        self.texts.append(text)


_ips = iter(range(1, 10**6))


def session_for(db: Database, login: str) -> tuple[str, str]:
    """(session token, csrf) for an existing admin, through the real two-factor use cases."""
    from fpv import audit
    from fpv.admin import auth

    sender = CapturingSender()
    with db.transaction() as tx:  # many sessions per test: the limits are tested elsewhere
        tx.execute("DELETE FROM admin_rate_limits")
    n = next(_ips)
    client = audit.Client(ip=f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}")
    challenge = auth.start_login(db, sender, login=login, password=PASSWORD, client=client)
    code = re.search(r"\b(\d{6})\b", sender.texts[-1])
    assert code
    new = auth.verify_code(db, challenge=challenge, code=code.group(1), client=client)
    return new.token, new.csrf


def with_session(gw: AdminGateway, token: str | None) -> httpx.Client:
    from fpv.admin import auth

    client = gw.client()
    if token:
        client.cookies.set(auth.COOKIE_NAME, token, domain="127.0.0.1", path="/api/admin/")
    return client


@dataclass
class World:
    """Two venues (A and B) with trainings, pilots and registrations; a superadmin, a local
    admin of A, and spare objects in B for the destructive operations."""

    city_a: int
    city_b: int
    venue_a: int
    venue_b: int
    training_a: int
    training_b: int
    training_b_cancel: int
    training_b_past: int
    registration_a: int
    registration_b: int
    registration_b_cancel: int
    registration_b_past: int
    pilot_a: int
    pilot_b: int
    superadmin: dict[str, Any]
    local_a: dict[str, Any]
    other_admin: dict[str, Any]
    spare_admin: dict[str, Any]
    api_key_b: int
    pass_product_b: int = 0
    pass_b: int = 0  # an active pass of pilot B on venue B's product, no credit used


def build_world(db: Database) -> World:
    from datetime import timedelta

    from fpv.dal import seats
    from fpv.ports.events import InProcessEventBus
    from fpv.registrations import sign_up
    from tests.support.factories import make_pilot, make_training, make_venue

    bus = InProcessEventBus()
    venue_a, venue_b = make_venue(db), make_venue(db)
    with db.transaction(readonly=True) as tx:
        cities = {
            r["id"]: r["city_id"]
            for r in tx.all(
                "SELECT id, city_id FROM venues WHERE id IN (:a, :b)", a=venue_a, b=venue_b
            )
        }
    t_a = make_training(db, venue_id=venue_a, title="A")
    t_b = make_training(db, venue_id=venue_b, title="B")
    t_b_cancel = make_training(db, venue_id=venue_b, title="B cancel")
    t_b_past = make_training(db, venue_id=venue_b, title="B past", starts_in=-timedelta(hours=1))
    pilot_a = make_pilot(db, 930_001, nickname="alpha_a")
    pilot_b = make_pilot(db, 930_002, nickname="bravo_b")
    pilot_b2 = make_pilot(db, 930_003, nickname="bravo_c")
    r_a = sign_up(db, bus, training_id=t_a, telegram_id=930_001).registration_id
    r_b = sign_up(db, bus, training_id=t_b, telegram_id=930_002).registration_id
    r_b_cancel = sign_up(db, bus, training_id=t_b, telegram_id=930_003).registration_id
    sign_up(db, bus, training_id=t_b_cancel, telegram_id=930_002)
    with db.transaction() as tx:
        r_b_past = seats.insert_confirmed(
            tx, training_id=t_b_past, pilot_id=pilot_b2, channel_mhz=5760, channel_label="F2"
        )
    from fpv import audit as audit_
    from fpv.admin import api_keys

    key = api_keys.create(
        db, CLI, name="B gates", scopes=["schedule:read"], venue_ids=[venue_b],
        client=audit_.Client(),
    )  # fmt: skip
    pass_product_b, pass_b = _pass_at(db, venue_b, 930_002)
    return World(
        pass_product_b=pass_product_b,
        pass_b=pass_b,
        api_key_b=key["id"],
        city_a=cities[venue_a],
        city_b=cities[venue_b],
        venue_a=venue_a,
        venue_b=venue_b,
        training_a=t_a,
        training_b=t_b,
        training_b_cancel=t_b_cancel,
        training_b_past=t_b_past,
        registration_a=r_a,
        registration_b=r_b,
        registration_b_cancel=r_b_cancel,
        registration_b_past=r_b_past,
        pilot_a=pilot_a,
        pilot_b=pilot_b,
        superadmin=make_admin(db, "root", 920_001),
        local_a=make_admin(db, "local_a", 920_002, role="local", venues=[venue_a]),
        other_admin=make_admin(db, "other", 920_003, role="local", venues=[venue_b]),
        spare_admin=make_admin(db, "spare", 920_004, role="local", venues=[venue_b]),
    )


def _pass_at(db: Database, venue_id: int, telegram_id: int) -> tuple[int, int]:
    """A pass product of the venue and an active pass of that pilot (bought through the use
    case, its payment recorded as the payments flow's transaction does)."""
    from datetime import UTC, datetime

    from fpv import actors, passes

    product = passes.create_product(
        db, CLI, title="Пять тренировок", valid_days=30, price_kopecks=250_000, trainings=5,
        venue_id=venue_id,
    )  # fmt: skip
    pass_id, _ids = passes.buy(db, actors.pilot(telegram_id), product)
    with db.transaction() as tx:
        row = tx.one("SELECT id FROM passes WHERE id = :id", id=pass_id)
        passes.activate_paid(tx, row, datetime.now(UTC))
    return product, pass_id
