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
