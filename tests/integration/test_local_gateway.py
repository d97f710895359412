"""The local gateway over real HTTP: template routes reach the handlers, the site and the admin
page are served, and a database outage is reported, not hidden."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from fpv.local.runner import platform
from fpv.migrate import latest_version
from fpv.settings import get_settings
from tests.support.server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gateway_url(app_env, tmp_path):
    with (
        platform(ROOT, data_dir=tmp_path, schedules=False) as gateway,
        serve_in_thread(gateway) as url,
    ):
        yield url


def test_health_reports_database_and_schema(gateway_url):
    response = httpx.get(f"{gateway_url}/api/health")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "status": "ok",
        "database": "up",
        "schema_version": latest_version(),
        "expected_schema_version": latest_version(),
    }


def test_site_and_admin_are_served(gateway_url):
    subprocess.run(["make", "-s", "admin-page"], cwd=ROOT, check=True, timeout=300)  # the bundle
    home = httpx.get(f"{gateway_url}/")
    assert home.status_code == 200 and "<html" in home.text
    assert home.text.count('data-training="') > 0  # seeded demo trainings
    admin = httpx.get(f"{gateway_url}/admin", follow_redirects=True)
    assert admin.status_code == 200 and '<script type="module" src="app.js">' in admin.text
    assert "script-src 'self'" in admin.text and "unsafe-inline" not in admin.text
    script = httpx.get(f"{gateway_url}/admin/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert httpx.get(f"{gateway_url}/admin/package.json").status_code == 404  # only the build
    assert httpx.get(f"{gateway_url}/no/such/page").status_code == 404
    assert httpx.post(f"{gateway_url}/api/health").status_code in (404, 405)


def test_database_outage_is_503_not_a_crash(gateway_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    get_settings.cache_clear()
    response = httpx.get(f"{gateway_url}/api/health", timeout=15)
    assert response.status_code == 503
    assert response.json()["database"] == "down"
