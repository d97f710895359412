"""The voice_assistant function's work: getFile → transcribe (OpenAI) → chat model with the
tools → reply with the transcript and the plain result or proposal (Confirm / Cancel).

Runs asynchronously (Lambda async invoke from the webhook; a background thread locally): the
webhook has already answered Telegram. Nothing said is kept: the audio and the transcript live
in this invocation's memory only; a proposal stores the validated tool calls. OpenAI's rate
limits, outages and timeouts, an unreadable file and an empty transcript each get a clear
message. This is the only module that imports `openai`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fpv.bot import callbacks, render
from fpv.dal import voice as dal
from fpv.db import Database
from fpv.payments.botapi import BotApi, BotApiError, BotApiUnavailable
from fpv.ports.events import EventBus
from fpv.settings import Settings
from fpv.texts import language_for, t
from fpv.voice import proposals
from fpv.voice.tools import Refused, Registry, ToolContext, actor_zone, registry, venue_filter

log = logging.getLogger("fpv.voice")

MAX_VOICE_SECONDS = 180
MAX_REPLY = 4000  # Telegram's limit is 4096 characters
FUNCTION_LOGICAL_ID = "VoiceAssistantFunction"


class AssistantError(Exception):
    """Something outside us failed; `key` is the text that tells the admin."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class VoiceRequest:
    chat_id: int
    telegram_id: int
    language: str
    file_id: str | None = None
    text: str | None = None
    duration: int | None = None

    def as_event(self) -> dict[str, Any]:
        return {"source": "fpv.voice", **self.__dict__}


def parse_event(event: dict[str, Any]) -> VoiceRequest | None:
    try:
        request = VoiceRequest(
            chat_id=int(event["chat_id"]),
            telegram_id=int(event["telegram_id"]),
            language=language_for(event.get("language")),
            file_id=str(event["file_id"]) if event.get("file_id") else None,
            text=str(event["text"])[:2000] if event.get("text") else None,
            duration=int(event["duration"]) if event.get("duration") is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        return None
    return request if (request.file_id or request.text) else None


# --- OpenAI --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str


class OpenAIPort:
    """Transcription and chat through the official client (real OpenAI or OPENAI_BASE_URL)."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        transcription_model: str,
        chat_model: str,
        timeout: float,
        max_retries: int,
    ) -> None:
        import openai  # only this function's code path pays for it

        self._openai = openai
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self.transcription_model = transcription_model
        self.chat_model = chat_model

    def _guard(self, call: Callable[[], Any]) -> Any:
        o = self._openai
        try:
            return call()
        except o.APITimeoutError:
            raise AssistantError("voice.error.timeout") from None
        except o.RateLimitError:
            raise AssistantError("voice.error.rate_limited") from None
        except o.APIStatusError as exc:
            log.warning("OpenAI answered %s", exc.status_code)
            raise AssistantError("voice.error.unavailable") from None
        except o.APIConnectionError:
            raise AssistantError("voice.error.unavailable") from None

    def transcribe(self, audio: bytes, language: str) -> str:
        result = self._guard(
            lambda: self._client.audio.transcriptions.create(
                model=self.transcription_model, file=("voice.ogg", audio), language=language
            )
        )
        return (getattr(result, "text", "") or "").strip()

    def chat(
        self, system: str, user: str, tools: list[dict[str, Any]]
    ) -> tuple[str, list[ToolCall]]:
        result = self._guard(
            lambda: self._client.chat.completions.create(
                model=self.chat_model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
                tools=tools,
                tool_choice="auto",
            )
        )
        message = result.choices[0].message
        calls = [
            ToolCall(c.function.name, c.function.arguments or "{}")
            for c in (message.tool_calls or [])
            if getattr(c, "function", None) is not None
        ]
        return (message.content or "").strip(), calls


# --- the assistant -------------------------------------------------------------------------------
def system_prompt(db: Database, actor: Any, language: str, now: datetime) -> str:
    """What the model needs to pick ids: the admin's venues and their coming trainings (no
    pilot data)."""
    with db.transaction(readonly=True) as tx:
        zone = actor_zone(tx, actor)
        venues = dal.venues(tx, venue_filter(actor))
        trainings = dal.trainings_between(
            tx, start=now, end=now + timedelta(days=21), venue_ids=venue_filter(actor), limit=60
        )
    local = now.astimezone(ZoneInfo(zone))
    lines = [
        "You turn an FPV drone club organizer's spoken request into tool calls.",
        f"Now: {local:%Y-%m-%d %H:%M} ({local:%A}), time zone {zone}.",
        "Dates are local YYYY-MM-DD, times HH:MM. Use only the ids listed below; never invent",
        "one. Several actions may be requested at once. If the request is unclear or is not",
        "about these tools, call no tool and answer in one short sentence in "
        + ("Russian." if language == "ru" else "English."),
        "Venues (id: name, city, zone):",
        *[f"- {v['id']}: {v['name']}, {v['city_name_en']}, {v['time_zone']}" for v in venues],
        "Trainings of the next 3 weeks (id: local start, title, venue id, seats taken/capacity):",
        *[
            f"- {r['id']}: {render.local_time(r['starts_at'], r['time_zone']):%Y-%m-%d %H:%M}, "
            f"{r['title']}, venue {r['venue_id']}, {r['seats_taken']}/{r['capacity']}"
            for r in trainings
        ],
    ]
    return "\n".join(lines)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…"


@dataclass
class Assistant:
    db: Database
    bus: EventBus
    bot: BotApi
    openai: Callable[[], OpenAIPort | None]  # None: OpenAI is not configured
    tools: Registry = field(default_factory=registry)
    proposal_minutes: int = 10
    payment_ports: Callable[[], Any] = lambda: None
    deliverers: Any = None
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def _say(self, chat_id: int, text: str, markup: dict[str, Any] | None = None) -> bool:
        params: dict[str, Any] = {"chat_id": chat_id, "text": _clip(text)}
        if markup is not None:
            params["reply_markup"] = markup
        try:
            self.bot.call("sendMessage", **params)
        except (BotApiError, BotApiUnavailable) as exc:
            log.warning("could not answer an admin: %s", type(exc).__name__)
            return False
        return True

    def _audio(self, request: VoiceRequest) -> bytes:
        try:
            found = self.bot.call("getFile", file_id=request.file_id)
            return self.bot.download(str(found["file_path"]))
        except (BotApiError, BotApiUnavailable, KeyError, TypeError) as exc:
            log.warning("voice file not fetched: %s", type(exc).__name__)
            raise AssistantError("voice.error.file") from None

    def handle(self, request: VoiceRequest) -> str:
        """Answer one admin message; returns the outcome (for metrics and tests)."""
        lang = request.language
        with self.db.transaction(readonly=True) as tx:
            who = dal.active_admin_by_telegram(tx, request.telegram_id)
        if who is None:  # the webhook checked; someone may have been deactivated since
            self._say(request.chat_id, t("voice.for_organizers", lang))
            return "not_admin"
        if request.duration is not None and request.duration > MAX_VOICE_SECONDS:
            self._say(request.chat_id, t("voice.error.too_long", lang, seconds=MAX_VOICE_SECONDS))
            return "too_long"
        port = self.openai()
        if port is None:
            self._say(request.chat_id, t("voice.unavailable", lang))
            return "not_configured"
        actor = proposals.actor_of(who)
        now = self.clock()
        try:
            if request.file_id:
                audio = self._audio(request)
                transcript = port.transcribe(audio, lang)
                del audio  # nothing said is kept
            else:
                transcript = (request.text or "").strip()
            if not transcript:
                self._say(request.chat_id, t("voice.not_understood", lang))
                return "not_understood"
            prompt = system_prompt(self.db, actor, lang, now)
            model_text, calls = port.chat(prompt, transcript, self.tools.openai_tools())
        except AssistantError as exc:
            self._say(request.chat_id, t(exc.key, lang))
            return exc.key.rsplit(".", 1)[-1]
        return self._answer(request, actor, who, transcript, model_text, calls, now)

    def _answer(
        self,
        request: VoiceRequest,
        actor: Any,
        who: dict[str, Any],
        transcript: str,
        model_text: str,
        calls: list[ToolCall],
        now: datetime,
    ) -> str:
        lang = request.language
        ctx = ToolContext(
            self.db,
            self.bus,
            lang,
            now,
            payment_ports=self.payment_ports,
            deliverers=self.deliverers,
        )
        parts = [t("voice.transcript", lang, text=transcript)]
        answers: list[str] = []
        proposed: list[str] = []
        actions: list[dict[str, Any]] = []
        for call in calls[:10]:
            tool = self.tools.get(call.name)
            if tool is None:
                answers.append("⛔ " + t("voice.refused.unknown_tool", lang))
                continue
            try:
                args = tool.parse(call.arguments)
                if tool.mutating:
                    assert tool.preview is not None
                    proposed.append("• " + tool.preview(ctx, actor, args))
                    actions.append({"tool": tool.name, "args": args.model_dump(mode="json")})
                else:
                    answers.append(tool.run(ctx, actor, args))
            except Refused as exc:
                answers.append("⛔ " + exc.text(lang))
        if not calls:
            answers.append(model_text or t("voice.not_understood", lang))
        parts += answers
        markup = None
        if actions:
            proposal_id = proposals.store(
                self.db,
                admin_id=who["id"],
                chat_id=request.chat_id,
                language=lang,
                actions=actions,
                now=now,
                minutes=self.proposal_minutes,
            )
            token = proposal_id.replace("-", "")
            parts += [
                t("voice.proposal.header", lang),
                *proposed,
                t("voice.proposal.expires", lang, minutes=self.proposal_minutes),
            ]
            markup = {
                "inline_keyboard": [
                    [
                        {
                            "text": t("voice.button.confirm", lang),
                            "callback_data": callbacks.encode("vok", token),
                        },
                        {
                            "text": t("voice.button.cancel", lang),
                            "callback_data": callbacks.encode("vno", token),
                        },
                    ]
                ]
            }
        self._say(request.chat_id, "\n\n".join(parts), markup)
        if actions:
            return "proposed"
        return "answered" if calls else "no_tool"


# --- from settings (the Lambda handler) ---------------------------------------------------------
_lock = threading.Lock()
_cached: tuple[Settings, Assistant] | None = None


def assistant_from_settings(settings: Settings) -> Assistant:
    """Built once per container (warm invocations reuse the clients)."""
    global _cached
    from fpv import delivery, runtime

    with _lock:
        if _cached is not None and _cached[0] is settings:
            return _cached[1]
        if settings.telegram_bot_token is None:
            raise runtime.ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
        bot = BotApi(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base_url)
        port: list[OpenAIPort] = []

        def openai_port() -> OpenAIPort | None:
            if settings.openai_api_key is None:
                return None
            if not port:
                port.append(
                    OpenAIPort(
                        api_key=settings.openai_api_key.get_secret_value(),
                        base_url=settings.openai_base_url,
                        transcription_model=settings.openai_transcription_model,
                        chat_model=settings.openai_chat_model,
                        timeout=settings.openai_timeout_seconds,
                        max_retries=settings.openai_max_retries,
                    )
                )
            return port[0]

        def payment_ports() -> Any:
            from fpv.payments.wiring import from_settings

            return from_settings(settings)[0]

        bus = runtime.event_bus(settings)
        made = Assistant(
            db=runtime.database(settings),
            bus=bus,
            bot=bot,
            openai=openai_port,
            proposal_minutes=settings.voice_proposal_minutes,
            payment_ports=payment_ports,
            deliverers=delivery.from_settings(settings, bus),
        )
        _cached = (settings, made)
        return made


def run_from_settings(settings: Settings, event: dict[str, Any]) -> str:
    request = parse_event(event)
    if request is None:
        log.warning("voice event without a chat or a message: ignored")
        return "malformed"
    assistant = assistant_from_settings(settings)
    try:
        return assistant.handle(request)
    except Exception as exc:  # a bug or the database down: say so (Lambda does not retry)
        log.exception("voice message failed: %s", type(exc).__name__)
        assistant._say(request.chat_id, t("common.error.try_later", request.language))
        return "error"


def event_json(request: VoiceRequest) -> str:
    return json.dumps(request.as_event())
