"""Entry point of the packaged app (`flet build apk|ipa` in mobile/, `flet run main.py`).

The platform's address: `config.json` next to this file (`{"api_url": "https://..."}`, put there
before building), else FPV_APP_API_URL, else http://127.0.0.1:8000. On a phone the schedule cache
goes to the app's own storage (FLET_APP_STORAGE_DATA, set by Flet's runtime)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import flet as ft

from fpv_app.config import AppConfig
from fpv_app.ui.app import run_app


def config() -> AppConfig:
    settings = AppConfig.from_env()
    bundled = Path(__file__).with_name("config.json")
    if bundled.exists():
        settings = replace(settings, **json.loads(bundled.read_text(encoding="utf-8")))
    storage = os.environ.get("FLET_APP_STORAGE_DATA")
    if storage:
        settings = replace(settings, data_dir=Path(storage))
    return settings


async def main(page: ft.Page) -> None:
    await run_app(page, config())


if __name__ == "__main__":
    ft.run(main, assets_dir="assets")
