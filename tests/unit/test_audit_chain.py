"""The audit log's canonical JSON and hash chain (no I/O): what is hashed is defined, secrets
never enter an entry, and any change to an entry or its link changes the hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from fpv.audit import GENESIS, Client, canonical, entry_hash, plain


def test_canonical_json_is_sorted_compact_utf8():
    assert canonical({"b": 1, "a": "Казань", "c": [2, 1]}) == '{"a":"Казань","b":1,"c":[2,1]}'


def test_plain_drops_secrets_and_normalises_values():
    msk = timezone(timedelta(hours=3))
    value = plain(
        {
            "password": "x",
            "password_hash": "$argon2id$...",
            "code": "123456",
            "token": "t",
            "csrf": "c",
            "key": "fpv_...",
            "api_key_id": 7,  # an id, not a secret
            "at": datetime(2026, 12, 2, 9, 0, tzinfo=msk),
            "id": UUID(int=1),
            "nested": {"secret": "s", "name": "ok"},
        }
    )
    assert value == {
        "api_key_id": 7,
        "at": "2026-12-02T06:00:00.000000+00:00",
        "id": "00000000-0000-0000-0000-000000000001",
        "nested": {"name": "ok"},
    }


def test_every_field_and_the_link_are_covered_by_the_hash():
    doc = {
        "at": datetime(2026, 12, 2, tzinfo=UTC).isoformat(timespec="microseconds"),
        "admin_id": 1,
        "actor": "admin:1 via admin_api",
        "action": "training.update",
        "target": "training:5",
        "venue_id": 2,
        "details": {},
        "before": {"capacity": 8},
        "after": {"capacity": 10},
        "client": None,
        "agent": None,
    }
    base = entry_hash(GENESIS, doc)
    assert len(base) == 64 and base == entry_hash(GENESIS, dict(reversed(doc.items())))
    for key in doc:
        changed = {**doc, key: "tampered"}
        assert entry_hash(GENESIS, changed) != base, key
    assert entry_hash("f" * 64, doc) != base


def test_client_address_and_agent_are_stored_only_as_hashes():
    client = Client(ip="203.0.113.5", user_agent="Mozilla/5.0")
    assert client.ip_hash and "203.0.113.5" not in client.ip_hash
    assert client.ip_hash != Client(ip="203.0.113.6").ip_hash
    assert Client().ip_hash is None and Client().agent_hash is None
