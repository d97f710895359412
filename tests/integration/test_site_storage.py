"""Storage adapters and publisher guards against real peers: the folder, S3 (moto), the
PostgreSQL publish lock and the `fpv site build` command."""

from __future__ import annotations

import pytest

from fpv.cli import main as fpv_main
from fpv.dal import site as site_dal
from fpv.db import Database
from fpv.ports.storage import LocalDirStorage, S3Storage
from fpv.site.build import PublishBusy, publish_site
from fpv.site.model import SiteConfig
from tests.support.aws import mocked_s3
from tests.support.factories import make_training


@pytest.mark.parametrize("key", ["../outside.html", "/etc/passwd", "a/../../x", ""])
def test_folder_storage_refuses_keys_outside_the_site(tmp_path, key):
    storage = LocalDirStorage(tmp_path / "site")
    with pytest.raises(ValueError, match="escapes the site folder"):
        storage.put(key, b"x", content_type="text/plain", cache_control="no-store")
    assert not (tmp_path / "outside.html").exists()


def test_folder_storage_round_trip_and_delete(tmp_path):
    storage = LocalDirStorage(tmp_path / "site")
    storage.put("a/b/c.html", b"hi", content_type="text/html", cache_control="x")
    assert storage.get("a/b/c.html") == b"hi" and storage.get("missing.html") is None
    storage.delete(["a/b/c.html", "never-there.html"])
    assert storage.get("a/b/c.html") is None
    assert not [p for p in (tmp_path / "site").rglob(".tmp-*")]  # no temp files left


def test_s3_storage_missing_key_is_none_and_large_deletes_are_chunked(monkeypatch):
    with mocked_s3(monkeypatch, "fpv-chunks") as s3:
        storage = S3Storage("fpv-chunks", client=s3)
        storage.delete_batch = 10  # the real limit is 1,000; the chunking is what is tested
        assert storage.get("nope.html") is None
        for i in range(25):
            storage.put(f"k{i}", b"x", content_type="text/plain", cache_control="no-store")
        storage.delete([f"k{i}" for i in range(25)])
        assert s3.list_objects_v2(Bucket="fpv-chunks").get("KeyCount") == 0
        s3.delete_bucket(Bucket="fpv-chunks")
        with pytest.raises(Exception, match="NoSuchBucket"):
            storage.get("anything")  # other errors are not mistaken for "absent"


def test_a_publisher_that_cannot_get_the_lock_in_time_says_so(db_url, db, tmp_path):
    make_training(db)
    holder = Database(db_url)
    try:
        with holder.transaction() as tx:
            site_dal.acquire_publish_lock(tx, timeout_ms=1000)
        with pytest.raises(PublishBusy, match="another publisher"):
            publish_site(db, LocalDirStorage(tmp_path), config=SiteConfig(), lock_timeout_s=0.2)
        assert LocalDirStorage(tmp_path).get("index.html") is None
    finally:
        holder.close()  # the session ends, and its lock with it
    assert not publish_site(db, LocalDirStorage(tmp_path), config=SiteConfig()).skipped


def test_the_lock_is_released_after_a_failed_publication(db, tmp_path):
    class Broken(LocalDirStorage):
        def put(self, key, body, *, content_type, cache_control):
            raise OSError("disk full")

    make_training(db)
    with pytest.raises(OSError, match="disk full"):
        publish_site(db, Broken(tmp_path), config=SiteConfig())
    report = publish_site(db, LocalDirStorage(tmp_path), config=SiteConfig(), lock_timeout_s=1)
    assert not report.skipped  # the failed run recorded nothing: everything is published now


def test_cli_site_build_publishes_into_site_dir(app_env, db, capsys, tmp_path):
    make_training(db)
    assert fpv_main(["site", "build"]) == 0
    assert "site built in" in capsys.readouterr().out
    assert fpv_main(["site", "build"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert fpv_main(["site", "build", "--force"]) == 0
    assert "objects uploaded" in capsys.readouterr().out


def test_folder_storage_recreates_a_folder_removed_while_running(tmp_path):
    import shutil

    storage = LocalDirStorage(tmp_path / "site")
    storage.put("city/a.html", b"1", content_type="text/html", cache_control="x")
    shutil.rmtree(tmp_path / "site")
    storage.put("city/b.html", b"2", content_type="text/html", cache_control="x")
    assert storage.get("city/b.html") == b"2"
    assert oct((tmp_path / "site" / "city" / "b.html").stat().st_mode & 0o777) == "0o644"


def test_folder_storage_leaves_a_file_alone_only_when_it_holds_the_same_bytes(tmp_path):
    storage = LocalDirStorage(tmp_path / "site")
    storage.put("qr/a.svg", b"<svg/>", content_type="image/svg+xml", cache_control="x")
    path = tmp_path / "site" / "qr" / "a.svg"
    inode = path.stat().st_ino
    storage.put("qr/a.svg", b"<svg/>", content_type="image/svg+xml", cache_control="x")
    assert path.stat().st_ino == inode  # the same bytes: not rewritten
    storage.put("qr/a.svg", b"<svg></svg>", content_type="image/svg+xml", cache_control="x")
    assert path.read_bytes() == b"<svg></svg>" and path.stat().st_ino != inode
    storage.put("qr/a.svg", b"<svg/>!", content_type="image/svg+xml", cache_control="x")
    assert path.read_bytes() == b"<svg/>!"  # same size, other bytes: rewritten too
    storage.put("qr/a.svg", b"<svg/>?", content_type="image/svg+xml", cache_control="x")
    assert path.read_bytes() == b"<svg/>?"
    path.chmod(0o600)  # same bytes, but a web server of another user could not read it
    storage.put("qr/a.svg", b"<svg/>?", content_type="image/svg+xml", cache_control="x")
    assert path.stat().st_mode & 0o777 == 0o644
