"""The webhook's update claims under concurrency (issue #10 item 5): real PostgreSQL, each
"container" on its own connection and thread.

A claim answers 'done' only for an update that was processed, and a processor whose lease ran
out (so another took the update over) can neither give back the new holder's claim (a third
delivery would process the update again, alongside) nor lose its own completed work (the mark
lands even when the claim was given back meanwhile).
"""

from __future__ import annotations

import threading
from uuid import uuid4

from fpv.bot.deps import BotDeps
from fpv.bot.webhook import WebhookService
from fpv.dal import bot as bot_dal
from fpv.db import Database
from fpv.local.fake_telegram import Call, FakeTelegram
from fpv.ports.events import InProcessEventBus
from tests.support.bot import WEBHOOK_SECRET, message_update

KEY = "4242"


def _expire_lease(db_or_url: Database | str, key: str) -> None:
    db = Database(db_or_url) if isinstance(db_or_url, str) else db_or_url
    try:
        with db.transaction() as tx:
            tx.execute(
                "UPDATE processed_updates SET claimed_until = now() - interval '1 second'"
                " WHERE key = :k",
                k=key,
            )
    finally:
        if db is not db_or_url:
            db.close()


def _claim(db: Database, key: str = KEY, token=None) -> str:
    with db.autocommit() as tx:
        return bot_dal.claim_update(tx, key, lease_seconds=60, token=token)


def test_a_stale_processor_cannot_give_back_the_claim_that_took_it_over(db_url):
    """A's lease ran out and B took the update over; A's late transient failure must not
    delete B's live claim (a third delivery would then process the update alongside B)."""
    a, b = Database(db_url), Database(db_url)
    try:
        token_a, token_b = uuid4(), uuid4()
        assert _claim(a, token=token_a) == "claimed"
        _expire_lease(a, KEY)
        assert _claim(b, token=token_b) == "claimed"
        with a.transaction() as tx:
            bot_dal.release_update(tx, KEY, token=token_a)  # A gives back what it thinks it has
        assert _claim(a) == "busy"  # B's claim is intact
        with b.transaction() as tx:
            bot_dal.release_update(tx, KEY, token=token_b)
        assert _claim(a) == "claimed"
    finally:
        a.close()
        b.close()


def test_racing_claims_and_releases_never_answer_done(db_url):
    """Two threads on two connections: one claims and gives back each key (transient failure),
    the other claims the same key at the same moment. Nothing is ever finished, so 'done' is
    never a correct answer; exactly one of two simultaneous claims wins."""
    a, b = Database(db_url), Database(db_url)
    rounds = 150
    answers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def releaser() -> None:
        try:
            for n in range(rounds):
                key, token = f"r{n}", uuid4()
                won = _claim(a, key, token=token)
                barrier.wait(timeout=10)
                if won == "claimed":
                    with a.transaction() as tx:
                        bot_dal.release_update(tx, key, token=token)
                barrier.wait(timeout=10)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            barrier.abort()

    def redeliverer() -> None:
        try:
            for n in range(rounds):
                barrier.wait(timeout=10)
                answers.append(_claim(b, f"r{n}"))
                barrier.wait(timeout=10)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=releaser), threading.Thread(target=redeliverer)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        a.close()
        b.close()
    assert not errors, errors
    assert len(answers) == rounds
    assert "done" not in answers
    assert set(answers) <= {"busy", "claimed"}


# --- through the webhook: two containers, each its own connection, on two threads -----------

PILOT = 730_001


def _service(db_url: str, fake: FakeTelegram) -> WebhookService:
    return WebhookService(
        deps=BotDeps(db=Database(db_url), bus=InProcessEventBus()),
        token=fake.token,
        api_base_url=fake.base_url,
        secret=WEBHOOK_SECRET,
    )


def _help_messages(fake: FakeTelegram) -> int:
    return len(fake.calls_to("sendMessage", PILOT))


def test_a_late_failure_of_a_taken_over_update_does_not_let_a_third_delivery_in(db_url):
    """Container A handles an update; its lease runs out and container B takes the update
    over (Telegram redelivered). A's Bot API call then fails (5xx): A gives its claim back.
    Before the fix that deleted B's live claim, so the next redelivery processed the update a
    third time while B was still at it (two answers to one /help)."""
    with FakeTelegram() as fake:
        a, b, c = (_service(db_url, fake) for _ in range(3))
        update = message_update(PILOT, "/help")
        b_sending, a_released = threading.Event(), threading.Event()
        results: dict[str, object] = {}
        calls = []

        def on_call(call: Call) -> None:
            if call.method != "sendMessage":
                return
            calls.append(call)
            if len(calls) == 1:  # A's call: its lease runs out, B takes the update over
                _expire_lease(db_url, str(update["update_id"]))
                worker.start()
                assert b_sending.wait(timeout=10)
            elif len(calls) == 2:  # B's call: held until A has given its claim back
                b_sending.set()
                assert a_released.wait(timeout=10)

        worker = threading.Thread(target=lambda: results.update(b=b.process(update)))

        fake.fail("sendMessage", chat_id=PILOT, error_code=502, description="Bad Gateway")
        fake.on_call.append(on_call)
        try:
            first = a.process(update)
            assert (first.status, first.outcome) == (503, "transient")
            third = c.process(update)  # a redelivery while B is still sending
            a_released.set()
            worker.join(timeout=10)
            assert results["b"].outcome == "processed"
            assert (third.status, third.outcome) == (503, "busy")
            assert c.process(update).outcome == "duplicate"
        finally:
            a_released.set()
            for service in (a, b, c):
                service.close()
                service.db.close()
        assert _help_messages(fake) == 2  # A's refused call and B's answer; no third


def test_work_done_by_a_processor_whose_lease_ran_out_is_not_lost(db_url):
    """A's lease runs out mid-update; B takes it over and fails transiently (gives its claim
    back); A then completes. Before the fix A's "done" mark hit no row, so the next redelivery
    processed the update all over again."""
    with FakeTelegram() as fake:
        a, b, c = (_service(db_url, fake) for _ in range(3))
        update = message_update(PILOT, "/help")
        results: dict[str, object] = {}
        calls = []

        def on_call(call: Call) -> None:
            if call.method != "sendMessage":
                return
            calls.append(call)
            if len(calls) == 1:  # A is sending: its lease runs out, B takes over and fails
                _expire_lease(db_url, str(update["update_id"]))
                fake.fail("sendMessage", chat_id=PILOT, error_code=502, description="Bad Gateway")
                worker = threading.Thread(target=lambda: results.update(b=b.process(update)))
                worker.start()
                worker.join(timeout=10)

        fake.on_call.append(on_call)
        try:
            first = a.process(update)
            assert results["b"].outcome == "transient"  # B gave its claim back
            assert first.outcome == "processed"
            again = c.process(update)  # Telegram redelivers B's 503
            assert again.outcome == "duplicate"
        finally:
            for service in (a, b, c):
                service.close()
                service.db.close()
        assert _help_messages(fake) == 2  # A's answer and B's refused call; nothing more
