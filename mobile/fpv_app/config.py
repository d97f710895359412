"""The app's settings: the one place that reads its environment (the app is its own program,
not the platform's domain code, so it does not use `fpv.settings`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


@dataclass(frozen=True)
class AppConfig:
    api_url: str = DEFAULT_API_URL
    """Root of the platform: the app calls `<api_url>/api/app/...`."""
    data_dir: Path = field(default_factory=lambda: Path(".fpv") / "app")
    """Where the schedule cache lives (one file per signed-in device or anonymous)."""
    tile_url: str = DEFAULT_TILE_URL
    """Map tiles (`{z}/{x}/{y}`); empty = the venue map shows markers on a plain background."""
    tile_attribution: str = "© OpenStreetMap contributors"
    poll_seconds: float = 30.0
    """How often the notifications feed is polled while the app is open."""
    sign_in_poll_seconds: float = 2.0
    timeout_seconds: float = 15.0
    device_name: str = "FPV app"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AppConfig:
        env = os.environ if environ is None else environ
        return cls(
            api_url=env.get("FPV_APP_API_URL", DEFAULT_API_URL).rstrip("/"),
            data_dir=Path(env.get("FPV_APP_DATA_DIR", str(Path(".fpv") / "app"))),
            tile_url=env.get("FPV_APP_TILE_URL", DEFAULT_TILE_URL),
            tile_attribution=env.get("FPV_APP_TILE_ATTRIBUTION", "© OpenStreetMap contributors"),
            poll_seconds=float(env.get("FPV_APP_POLL_SECONDS", "30")),
            sign_in_poll_seconds=float(env.get("FPV_APP_SIGN_IN_POLL_SECONDS", "2")),
            device_name=env.get("FPV_APP_DEVICE_NAME", "FPV app"),
        )
