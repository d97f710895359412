"""Custom::TelegramWebhook through the real handler: setWebhook on Create/Update, deleteWebhook
on Delete, CloudFormation answered at its ResponseURL (a local server here) either way."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from fpv.local.fake_telegram import FakeTelegram
from fpv.local.invoker import FunctionInvoker
from fpv.local.loopback import LoopbackServer
from fpv.local.template import load_template
from fpv.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((ROOT / "events" / "cloudformation-webhook-create.json").read_text())


class CloudFormation(LoopbackServer):
    """Stands in for the pre-signed S3 URL: keeps every PUT body."""

    def __init__(self) -> None:
        self.answers: list[dict] = []

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        assert request.command == "PUT"
        self.answers.append(json.loads(request.rfile.read(length)))
        request.send_response(200)
        request.send_header("Content-Length", "0")
        request.end_headers()


@pytest.fixture
def peers(monkeypatch) -> Iterator[tuple[FakeTelegram, CloudFormation]]:
    with FakeTelegram() as telegram, CloudFormation() as cfn:
        monkeypatch.delenv("SECRETS_ARN", raising=False)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", telegram.token)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", telegram.base_url)
        monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret-header")
        get_settings.cache_clear()
        yield telegram, cfn
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def registrar():
    fn = load_template(ROOT / "template.yaml").functions["DeployHooksFunction"]
    invoker = FunctionInvoker()
    return lambda event: invoker.invoke(fn, event)


def request(cfn: CloudFormation, kind: str, **changes) -> dict:
    event = copy.deepcopy(SAMPLE) | {"RequestType": kind, "ResponseURL": f"{cfn.root_url}/r"}
    return event | changes


def test_create_sets_the_webhook_and_answers_success(peers, registrar):
    telegram, cfn = peers
    registrar(request(cfn, "Create"))
    [call] = telegram.calls_to("setWebhook")
    assert call.params["url"] == SAMPLE["ResourceProperties"]["Url"]
    assert call.params["secret_token"] == "s3cret-header"
    assert call.params["allowed_updates"] == ["message", "callback_query", "pre_checkout_query"]
    assert int(call.params["max_connections"]) == 40
    assert telegram.calls_to("setMyCommands")  # the menu, as `fpv set-webhook` sets it
    [answer] = cfn.answers
    assert answer["Status"] == "SUCCESS" and answer["PhysicalResourceId"] == "telegram-webhook"
    assert answer["RequestId"] == SAMPLE["RequestId"] and answer["StackId"] == SAMPLE["StackId"]
    assert answer["Data"] == {"Url": SAMPLE["ResourceProperties"]["Url"]}


def test_update_sets_the_new_values(peers, registrar):
    telegram, cfn = peers
    props = SAMPLE["ResourceProperties"] | {"MaxConnections": "10", "AllowedUpdates": ["message"]}
    registrar(
        request(cfn, "Update", ResourceProperties=props, PhysicalResourceId="telegram-webhook")
    )
    [call] = telegram.calls_to("setWebhook")
    assert int(call.params["max_connections"]) == 10 and call.params["allowed_updates"] == [
        "message"
    ]
    assert cfn.answers[0]["Status"] == "SUCCESS"


def test_delete_deletes_the_webhook(peers, registrar):
    telegram, cfn = peers
    registrar(request(cfn, "Delete", PhysicalResourceId="telegram-webhook"))
    assert len(telegram.calls_to("deleteWebhook")) == 1 and not telegram.calls_to("setWebhook")
    assert cfn.answers[0]["Status"] == "SUCCESS"


def test_a_refused_set_webhook_fails_the_stack_clearly_without_the_token(peers, registrar):
    telegram, cfn = peers
    telegram.fail(
        "setWebhook", error_code=400, description="Bad Request: bad webhook: Failed to resolve host"
    )
    registrar(request(cfn, "Create"))
    [answer] = cfn.answers
    assert answer["Status"] == "FAILED"
    assert (
        "setWebhook failed" in answer["Reason"]
        and "failed to resolve host" in answer["Reason"].lower()
    )
    assert telegram.token not in json.dumps(answer)
    # the rollback's Delete of that failed Create succeeds without calling Telegram
    registrar(request(cfn, "Delete", PhysicalResourceId=answer["PhysicalResourceId"]))
    assert cfn.answers[1]["Status"] == "SUCCESS" and not telegram.calls_to("deleteWebhook")


def test_missing_secret_values_fail_clearly(peers, registrar, monkeypatch):
    _, cfn = peers
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET")
    get_settings.cache_clear()
    registrar(request(cfn, "Create"))
    [answer] = cfn.answers
    assert answer["Status"] == "FAILED" and "TELEGRAM_WEBHOOK_SECRET is not set" in answer["Reason"]


def test_a_failed_delete_fails_clearly(peers, registrar):
    telegram, cfn = peers
    telegram.fail("deleteWebhook", error_code=401, description="Unauthorized")
    registrar(request(cfn, "Delete", PhysicalResourceId="telegram-webhook"))
    assert (
        cfn.answers[0]["Status"] == "FAILED" and "deleteWebhook failed" in cfn.answers[0]["Reason"]
    )


def test_unreadable_settings_still_get_an_answer(peers, registrar, monkeypatch):
    _, cfn = peers
    monkeypatch.setenv("HOLD_MINUTES", "not a number")
    get_settings.cache_clear()
    registrar(request(cfn, "Create"))
    assert cfn.answers[0]["Status"] == "FAILED"


def migrations_request(cfn: CloudFormation, kind: str, **changes) -> dict:
    event = copy.deepcopy(SAMPLE) | {
        "RequestType": kind,
        "ResponseURL": f"{cfn.root_url}/r",
        "ResourceType": "Custom::DatabaseMigrations",
        "LogicalResourceId": "DatabaseMigrations",
        "ResourceProperties": {"ServiceToken": "arn:x", "CodeVersion": "arn:layer:1"},
    }
    return event | changes


def test_migrations_run_inside_the_stack_on_create_and_update(
    peers, registrar, pg_factory, monkeypatch
):
    from fpv.db import Database
    from fpv.local.databases import temporary_databases

    _, cfn = peers
    with temporary_databases(pg_factory.server) as [url]:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        registrar(migrations_request(cfn, "Create"))
        registrar(migrations_request(cfn, "Update", PhysicalResourceId="database-migrations"))
        registrar(migrations_request(cfn, "Delete", PhysicalResourceId="database-migrations"))
        db = Database(url)
        try:
            with db.transaction() as tx:
                assert tx.value("SELECT count(*) FROM schema_migrations") > 0
        finally:
            db.close()
    created, updated, deleted = cfn.answers
    assert created["Status"] == "SUCCESS" and created["Data"]["Applied"] > 0
    assert updated["Status"] == "SUCCESS" and updated["Data"] == {"Applied": 0}
    assert deleted["Status"] == "SUCCESS"


def test_unreachable_database_fails_the_migrations_clearly(peers, registrar, monkeypatch):
    _, cfn = peers
    monkeypatch.setenv("DATABASE_URL", "postgresql://fpv:pw@127.0.0.1:9/fpv")
    get_settings.cache_clear()
    registrar(migrations_request(cfn, "Create"))
    [answer] = cfn.answers
    assert answer["Status"] == "FAILED" and "database migrations failed" in answer["Reason"]
    assert "pw@" not in answer["Reason"]
