"""`fpv payments ...` against real PostgreSQL and the fake providers (settings from the
environment, as an operator's shell would have them)."""

from __future__ import annotations

import json

import pytest

from fpv.cli import main
from fpv.settings import get_settings
from tests.integration.test_payments_harness import (  # noqa: F401 - fixtures
    PRICE,
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
)

A, B = 860_001, 860_002


@pytest.fixture
def shell(app_env, pay: Harness, monkeypatch) -> Harness:
    for key, value in {
        "YOOKASSA_SHOP_ID": pay.yookassa.shop_id,
        "YOOKASSA_SECRET_KEY": pay.yookassa.secret_key,
        "YOOKASSA_API_BASE_URL": pay.yookassa.base_url,
        "TELEGRAM_BOT_TOKEN": pay.telegram.token,
        "TELEGRAM_API_BASE_URL": pay.telegram.base_url,
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return pay


def run(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main(["payments", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_cancel_training_money_and_refund_retries_from_the_command_line(shell: Harness, capsys):
    pay = shell
    training = pay.paid_training(capacity=3)
    for who in (A, B):
        pay.pilot(who)
        pay.pay(pay.sign_up(training, who), who)
    code, money, _ = run(capsys, "money", str(training))
    assert code == 0 and (money["paid"], money["net"], money["payments"]) == (
        2 * PRICE,
        2 * PRICE,
        2,
    )

    pay.yookassa.fail(times=1, status=503)  # the first refund has to wait
    with pytest.raises(SystemExit) as refused:  # --admin-id must be a number: nothing done
        main(["payments", "cancel-training", str(training), "--admin-id", "x"])
    assert refused.value.code == 2 and "invalid int value" in capsys.readouterr().err
    assert pay.q("SELECT status FROM trainings WHERE id = :t", t=training)[0]["status"] == (
        "scheduled"
    )
    code, result, _ = run(capsys, "cancel-training", str(training))
    assert code == 0 and result["newly_cancelled"] and result["registrations_cancelled"] == 2
    assert sorted(r["status"] for r in result["refunds"]) == ["refund_pending", "refunded"]
    assert result["pilots_told"] == 2

    with pay.db.transaction() as tx:  # the backoff has passed
        tx.execute("UPDATE payments SET refund_next_at = now() - interval '1 second'")
    code, report, _ = run(capsys, "retry-refunds")
    assert code == 0 and report["refunded"] == 1
    code, money, _ = run(capsys, "money", str(training))
    assert (money["net"], money["refunded"], money["owed_back"]) == (0, 2 * PRICE, 0)

    [payment, _other] = pay.payments()
    code, result, _ = run(capsys, "retry-refund", str(payment["id"]))
    assert code == 1 and result["status"] == "not_due"  # refunded: nothing to retry


def test_cancel_an_unknown_training_is_a_clear_error(shell: Harness, capsys):
    code, out, err = run(capsys, "cancel-training", "987654")
    assert code == 2 and out is None and "does not exist" in err
