"""Pilots' own data: consent first, then a nickname (validated, unique), equipment, language and
whether the nickname shows on the public schedule (152-FZ: nothing else is stored).

Use cases for every front door (the bot today, the app API tomorrow): each takes an actor and
decides whose profile it may touch; a change the public board shows is followed by "schedule
changed" for the pilot's trainings, queued in the same transaction (DESIGN §8).
"""

from __future__ import annotations

import re

from fpv import outbox
from fpv.actors import Actor
from fpv.dal import people
from fpv.db import Database, IntegrityViolation, Row, Tx
from fpv.ports.events import SCHEDULE_CHANGED, EventBus
from fpv.texts import LANGUAGES

# Same rule as the CHECK on pilots.nickname: letters (Latin, Cyrillic), digits, _ - .
NICKNAME = re.compile(r"[A-Za-z0-9_\-\.А-Яа-яЁё]{2,32}")


class ProfileError(Exception):
    """Base of the refusals below (front doors word them for the person)."""


class NoConsent(ProfileError):
    """Nothing is known about this person until they consent."""


class NicknameInvalid(ProfileError):
    pass


class NicknameTaken(ProfileError):
    pass


class NotAllowed(ProfileError):
    """The actor may not change this profile."""


class InvalidValue(ProfileError):
    pass


def valid_nickname(text: str) -> bool:
    return NICKNAME.fullmatch(text) is not None


def _whose(actor: Actor, telegram_id: int | None) -> int:
    """A pilot acts on their own profile only; staff name the pilot."""
    if actor.kind == "pilot":
        if telegram_id not in (None, actor.id):
            raise NotAllowed("a pilot changes only their own profile")
        assert actor.id is not None
        return actor.id
    if actor.is_staff and telegram_id is not None:
        return telegram_id
    raise NotAllowed(f"{actor.audit_label()} may not change pilot profiles")


def give_consent(db: Database, actor: Actor, *, language: str, policy_version: str) -> bool:
    """Record consent (with the policy version) and open the pilot's row. False when consent
    was already in force (a double tap, an old message): nothing changes."""
    telegram_id = _whose(actor, None)
    with db.transaction() as tx:
        if people.consent(tx, telegram_id) is not None:
            return False
        people.record_consent(tx, telegram_id=telegram_id, policy_version=policy_version)
        people.ensure_pilot(tx, telegram_id=telegram_id, language=language)
    return True


def profile(db: Database, actor: Actor, telegram_id: int | None = None) -> Row | None:
    """The pilot with consent in force, or None."""
    with db.transaction(readonly=True) as tx:
        return people.pilot(tx, _whose(actor, telegram_id))


def _board_changed(tx: Tx, telegram_id: int, events: list[int]) -> None:
    """What shows the pilot's nickname publicly follows: the boards of their trainings and, when
    they are rated, the leaderboards."""
    for training_id in people.active_training_ids(tx, telegram_id):
        detail = {"training_id": training_id, "reason": "profile"}
        events.append(outbox.event(tx, SCHEDULE_CHANGED, detail))
    if people.on_a_leaderboard(tx, telegram_id):
        from fpv.site import trigger as site_trigger

        events.append(site_trigger.queue_rebuild(tx, "profile"))


def set_nickname(
    db: Database, bus: EventBus, actor: Actor, nickname: str, *, telegram_id: int | None = None
) -> str:
    """Save a nickname (unique ignoring case); the public board follows if it shows it."""
    nickname = nickname.strip()
    if not valid_nickname(nickname):
        raise NicknameInvalid(nickname)
    whose = _whose(actor, telegram_id)
    events: list[int] = []
    try:
        with db.transaction() as tx:
            pilot = people.pilot(tx, whose)
            if pilot is None:
                raise NoConsent("consent first")
            if people.nickname_taken(tx, nickname, except_telegram_id=whose):
                raise NicknameTaken(nickname)
            people.update_pilot(tx, whose, nickname=nickname)
            if pilot["show_on_site"] and pilot["nickname"] != nickname:
                _board_changed(tx, whose, events)
    except IntegrityViolation as exc:  # a concurrent pilot took it between check and update
        if exc.constraint != "pilots_nickname_unique":
            raise
        raise NicknameTaken(nickname) from None
    outbox.publish_now(db, bus, events)
    return nickname


def update_profile(
    db: Database,
    bus: EventBus,
    actor: Actor,
    *,
    telegram_id: int | None = None,
    language: str | None = None,
    equipment: str | None = None,
    show_on_site: bool | None = None,
) -> Row:
    """Change some of language / equipment / show_on_site; returns the profile as saved."""
    if language is not None and language not in LANGUAGES:
        raise InvalidValue(f"language {language!r}")
    if equipment is not None:
        from fpv.channels import Equipment  # the allocator's package: only when it changes

        try:
            Equipment.parse(equipment)
        except ValueError as exc:
            raise InvalidValue(f"equipment: {exc}") from None
    if show_on_site is not None and not isinstance(show_on_site, bool):
        raise InvalidValue("show_on_site must be true or false")
    fields = {
        name: value
        for name, value in (
            ("language", language),
            ("equipment", equipment),
            ("show_on_site", show_on_site),
        )
        if value is not None
    }
    whose = _whose(actor, telegram_id)
    events: list[int] = []
    with db.transaction() as tx:
        pilot = people.pilot(tx, whose)
        if pilot is None:
            raise NoConsent("consent first")
        if fields:
            people.update_pilot(tx, whose, **fields)
        visible_changed = (
            show_on_site is not None
            and show_on_site != pilot["show_on_site"]
            and pilot["nickname"] is not None
        )
        if visible_changed:
            _board_changed(tx, whose, events)
        saved = people.pilot(tx, whose)
    outbox.publish_now(db, bus, events)
    assert saved is not None
    return saved
