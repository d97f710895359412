"""The publisher's small rules: which events it accepts, which URL paths an object is served
at, and what the sync uploads, deletes and invalidates given a manifest."""

from __future__ import annotations

import json

import pytest

from fpv.ports.events import SCHEDULE_CHANGED, eventbridge_event
from fpv.ports.storage import (
    MANIFEST_KEY,
    Manifest,
    StoredObject,
    cdn_paths,
    read_manifest,
    sync_objects,
)
from fpv.site.trigger import BadTrigger, parse_trigger


class MemoryStorage:
    """An in-memory ObjectStorage: the sync logic needs nothing more (no I/O in unit tests)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str, str]] = {}
        self.puts: list[str] = []

    def put(self, key, body, *, content_type, cache_control):
        self.objects[key] = (body, content_type, cache_control)
        self.puts.append(key)

    def get(self, key):
        found = self.objects.get(key)
        return found[0] if found else None

    def delete(self, keys):
        for key in keys:
            self.objects.pop(key, None)


class RecordingCdn:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def invalidate(self, paths):
        self.batches.append(list(paths))
        return "I1"


def _obj(key: str, content: str, cache: str = "public, max-age=60") -> StoredObject:
    return StoredObject(key, "text/html; charset=utf-8", cache, content, lambda: content.encode())


def test_schedule_changed_and_periodic_events_are_accepted():
    assert parse_trigger(eventbridge_event(SCHEDULE_CHANGED, {})).reason == "schedule_changed"
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert parse_trigger(scheduled).reason == "periodic"
    assert parse_trigger({"trigger": "periodic"}).reason == "periodic"
    assert parse_trigger({"trigger": "manual", "force": True}).force is True


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([1, 2], "must be a JSON object"),
        ("publish", "must be a JSON object"),
        ({"source": "fpv.platform", "detail-type": "SomethingElse"}, "unexpected event"),
        ({"source": "evil", "detail-type": SCHEDULE_CHANGED}, "unexpected event"),
        ({"trigger": "manual", "force": 1}, "'force' must be true or false"),
        ({"trigger": None}, "unknown trigger"),
    ],
)
def test_bad_events_are_refused_with_a_reason(event, message):
    with pytest.raises(BadTrigger, match=message):
        parse_trigger(event)


def test_index_pages_are_invalidated_at_their_folder_url_too():
    assert cdn_paths(["index.html", "en/index.html", "city/x.html"]) == [
        "/",
        "/city/x.html",
        "/en/",
        "/en/index.html",
        "/index.html",
    ]


def test_sync_uploads_changed_deletes_removed_and_invalidates_exactly_those():
    storage, cdn = MemoryStorage(), RecordingCdn()
    first = sync_objects(
        storage,
        [_obj("index.html", "a"), _obj("old.html", "x"), _obj("same.html", "s")],
        previous=read_manifest(storage),
        meta={"data_digest": "1"},
        cdn=cdn,
    )
    assert sorted(first.uploaded) == ["index.html", "old.html", "same.html"]
    storage.puts.clear()
    second = sync_objects(
        storage,
        [_obj("index.html", "b"), _obj("same.html", "s"), _obj("new.html", "n")],
        previous=read_manifest(storage),
        meta={"data_digest": "2"},
        cdn=cdn,
    )
    assert sorted(second.uploaded) == ["index.html", "new.html"]
    assert second.deleted == ["old.html"] and second.unchanged == 1
    assert storage.puts == ["new.html", "index.html", MANIFEST_KEY]  # home page last
    assert sorted(cdn.batches[-1]) == ["/", "/index.html", "/new.html", "/old.html"]
    assert "old.html" not in storage.objects
    assert read_manifest(storage).meta == {"data_digest": "2"}


def test_a_header_change_alone_re_uploads_the_object():
    storage = MemoryStorage()
    sync_objects(storage, [_obj("a.html", "x")], previous=Manifest(), meta={})
    report = sync_objects(
        storage, [_obj("a.html", "x", "no-store")], previous=read_manifest(storage), meta={}
    )
    assert report.uploaded == ["a.html"] and storage.objects["a.html"][2] == "no-store"


def test_many_changed_paths_become_one_wildcard():
    storage, cdn = MemoryStorage(), RecordingCdn()
    objects = [_obj(f"p{i}.html", "x") for i in range(1500)]
    report = sync_objects(storage, objects, previous=Manifest(), meta={}, cdn=cdn)
    assert cdn.batches == [["/*"]] and len(report.uploaded) == 1500


def test_unreadable_or_foreign_manifest_means_upload_everything():
    storage = MemoryStorage()
    storage.put(MANIFEST_KEY, b"{not json", content_type="", cache_control="")
    assert read_manifest(storage) == Manifest()
    storage.put(
        MANIFEST_KEY, json.dumps({"version": 99}).encode(), content_type="", cache_control=""
    )
    assert read_manifest(storage) == Manifest()


def test_the_manifest_key_cannot_be_published_as_content():
    with pytest.raises(ValueError, match="reserved"):
        sync_objects(MemoryStorage(), [_obj(MANIFEST_KEY, "x")], previous=Manifest(), meta={})


def test_unchanged_inputs_are_not_even_produced():
    storage = MemoryStorage()
    calls: list[str] = []

    def lazy(key: str, digest: str) -> StoredObject:
        def content() -> bytes:
            calls.append(key)
            return b"x"

        return StoredObject(key, "text/html; charset=utf-8", "public", digest, content)

    sync_objects(storage, [lazy("a.html", "1"), lazy("b.html", "1")], previous=Manifest(), meta={})
    calls.clear()
    report = sync_objects(
        storage,
        [lazy("a.html", "1"), lazy("b.html", "2")],
        previous=read_manifest(storage),
        meta={},
    )
    assert calls == ["b.html"]  # a.html's inputs did not change: never rendered
    assert report.uploaded == []  # b.html's inputs changed but its bytes did not: not uploaded


def test_the_finishing_stamp_is_applied_on_upload_but_is_not_a_change():
    storage = MemoryStorage()

    def stamped(stamp: str) -> StoredObject:
        return StoredObject(
            "p.html",
            "text/html; charset=utf-8",
            "public",
            "d1",
            lambda: b"<p>[stamp]</p>",
            lambda body: body.replace(b"[stamp]", stamp.encode()),
        )

    sync_objects(storage, [stamped("monday")], previous=Manifest(), meta={})
    assert storage.get("p.html") == b"<p>monday</p>"
    again = sync_objects(storage, [stamped("tuesday")], previous=read_manifest(storage), meta={})
    assert again.uploaded == [] and storage.get("p.html") == b"<p>monday</p>"
    forced = sync_objects(
        storage, [stamped("tuesday")], previous=read_manifest(storage), meta={}, force=True
    )
    assert forced.uploaded == ["p.html"] and storage.get("p.html") == b"<p>tuesday</p>"


class SlowFirstGroupStorage(MemoryStorage):
    """Stores from several threads; the referenced objects (group 0) are slow to store, so a
    page stored before them would show up here."""

    concurrency = 4

    def __init__(self, fail: str = "") -> None:
        super().__init__()
        self.fail = fail
        import threading

        self.lock = threading.Lock()

    def put(self, key, body, *, content_type, cache_control):
        import time

        if key == self.fail:
            raise RuntimeError(f"storage refused {key}")
        if not key.endswith(".html"):
            time.sleep(0.02)
        with self.lock:
            super().put(key, body, content_type=content_type, cache_control=cache_control)


def _mixed_objects() -> list[StoredObject]:
    keys = ["index.html", "a.html", "b.html", "qr/1.svg", "qr/2.svg", "schedule.json"]
    return [_obj(k, k) for k in keys] + [_obj("en/index.html", "en")]


def test_objects_are_stored_referenced_first_pages_next_home_pages_last():
    storage = SlowFirstGroupStorage()
    sync_objects(storage, _mixed_objects(), previous=Manifest(), meta={})
    order = [k for k in storage.puts if k != MANIFEST_KEY]
    first_page = min(order.index(k) for k in order if k.endswith(".html"))
    assert all(order.index(k) < first_page for k in ("qr/1.svg", "qr/2.svg", "schedule.json"))
    assert set(order[-2:]) == {"index.html", "en/index.html"}


def test_a_referenced_object_that_fails_stops_every_page_after_it():
    storage = SlowFirstGroupStorage(fail="qr/2.svg")
    with pytest.raises(RuntimeError, match=r"qr/2\.svg"):
        sync_objects(storage, _mixed_objects(), previous=Manifest(), meta={})
    assert not [k for k in storage.puts if k.endswith(".html")]
    assert MANIFEST_KEY not in storage.puts  # the next publication retries everything
