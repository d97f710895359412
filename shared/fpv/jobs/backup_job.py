"""Entry points of the backup function and the CLI: adapters from settings."""

from __future__ import annotations

from fpv import runtime
from fpv.jobs.backup import BackupResult, create_backup
from fpv.jobs.restore import mirror_ledger
from fpv.jobs.store import BackupStore, store_from_url
from fpv.settings import Settings

_stores: dict[str, BackupStore] = {}


def backup_store(settings: Settings, url: str | None = None) -> BackupStore:
    """The store for BACKUP_URL (or `url`), reused across warm invocations."""
    url = url or settings.backup_url
    if url not in _stores:
        key_id, key = settings.backup_s3_access_key_id, settings.backup_s3_secret_access_key
        _stores[url] = store_from_url(
            url,
            endpoint_url=settings.backup_s3_endpoint_url or settings.aws_endpoint_url,
            region=settings.backup_s3_region,
            credentials=(key_id.get_secret_value(), key.get_secret_value())
            if key_id and key
            else None,
        )
    return _stores[url]


def backup_from_settings(settings: Settings, *, url: str | None = None) -> BackupResult:
    db = runtime.database(settings)
    store = backup_store(settings, url)
    result = create_backup(db, store)
    # the nightly run refreshes the ledger copy too (it also runs every 10 minutes)
    mirror_ledger(db, store)
    return result


def mirror_ledger_from_settings(settings: Settings, *, url: str | None = None) -> int:
    return mirror_ledger(runtime.database(settings), backup_store(settings, url))
