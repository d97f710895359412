"""CloudWatch alarm notifications (SNS, possibly through the SQS buffer) → short texts for the
operators' Telegram chat.

One transition gives one message: the state, the alarm, the reason in words, the time in the
club's zone and a console link. Several transitions arriving together (a storm) give one message
listing them all. Only what CloudWatch says about the alarm goes out: the alarm's name, its
metric and threshold, never the raw notification (no account id, no ARNs, no personal data,
which alarms never carry anyway).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fpv.texts import t

# Telegram's limit is 4096 characters per message; leave room for the head line.
MESSAGE_LIMIT = 3800
MAX_BURST_LINES = 40
_OPERATORS = {
    "GreaterThanOrEqualToThreshold": "≥",
    "GreaterThanThreshold": ">",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
    "LessThanLowerOrGreaterThanUpperThreshold": "outside",
    "LessThanLowerThreshold": "<",
    "GreaterThanUpperThreshold": ">",
}
_VALUE = re.compile(r"\[([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")


@dataclass(frozen=True)
class Transition:
    """One alarm state change, reduced to what may be shown."""

    name: str
    state: str
    at: datetime
    region: str | None
    reason: dict[str, Any]  # how to say why: kind + values, rendered per language
    description: str = ""

    @property
    def key(self) -> tuple[str, str, datetime]:
        return (self.name, self.state, self.at)


@dataclass(frozen=True)
class Notice:
    """Anything on the topic that is not a CloudWatch alarm: only its subject is shown."""

    subject: str


Item = Transition | Notice


def _parse_time(value: Any) -> datetime:
    if isinstance(value, str):
        for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
            try:
                return datetime.strptime(value.replace("Z", "+0000"), fmt)
            except ValueError:
                continue
    return datetime.now(UTC)


def _region(arn: Any) -> str | None:
    parts = str(arn or "").split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None


def _reason(alarm: dict[str, Any]) -> dict[str, Any]:
    if "AlarmRule" in alarm or alarm.get("TriggeringChildren") is not None:
        children = []
        for child in alarm.get("TriggeringChildren") or []:
            arn = str(child.get("Arn") or "")
            children.append(arn.rsplit(":alarm:", 1)[-1] if ":alarm:" in arn else arn)
        if children:
            return {"kind": "composite", "children": ", ".join(children)}
        return {"kind": "composite_rule", "rule": str(alarm.get("AlarmRule") or "")[:300]}
    trigger = alarm.get("Trigger") or {}
    text = str(alarm.get("NewStateReason") or "")
    if trigger.get("MetricName"):
        value = _VALUE.search(text)
        dims = [
            str(d.get("value") or d.get("Value") or "") for d in trigger.get("Dimensions") or []
        ]
        return {
            "kind": "metric",
            "metric": str(trigger["MetricName"]),
            "where": f" [{', '.join(d for d in dims if d)}]" if any(dims) else "",
            "op": _OPERATORS.get(str(trigger.get("ComparisonOperator")), "?"),
            "threshold": _number(trigger.get("Threshold")),
            "statistic": str(
                trigger.get("Statistic") or trigger.get("ExtendedStatistic") or ""
            ).lower(),
            "period": int(trigger.get("Period") or 0) * int(trigger.get("EvaluationPeriods") or 1),
            "value": _number(value.group(1)) if value else None,
            "no_data": value is None and "no datapoints" in text.lower(),
        }
    return {"kind": "unknown", "reason": text[:300]}


def _number(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def parse_alarm(message: Any, subject: str = "") -> Item:
    """An SNS message body (the alarm JSON as a string, or already decoded)."""
    alarm = message
    if isinstance(message, str):
        try:
            alarm = json.loads(message)
        except json.JSONDecodeError:
            return Notice(subject or "—")
    if not isinstance(alarm, dict) or "AlarmName" not in alarm or "NewStateValue" not in alarm:
        return Notice(subject or "—")
    return Transition(
        name=str(alarm["AlarmName"]),
        state=str(alarm["NewStateValue"]),
        at=_parse_time(alarm.get("StateChangeTime")),
        region=_region(alarm.get("AlarmArn")),
        reason=_reason(alarm),
        description=str(alarm.get("AlarmDescription") or "").strip(),
    )


def items_from_event(event: dict[str, Any]) -> list[tuple[str, Item]]:
    """(record id, item) for each record of an SNS event or an SQS event whose bodies are SNS
    notifications (raw delivery or the SNS envelope). Record ids are SQS message ids (used for
    partial batch failures) or SNS message ids."""
    out: list[tuple[str, Item]] = []
    for index, record in enumerate(event.get("Records") or []):
        if "Sns" in record:
            sns = record["Sns"]
            rid = str(sns.get("MessageId") or index)
            out.append((rid, parse_alarm(sns.get("Message"), str(sns.get("Subject") or ""))))
            continue
        rid = str(record.get("messageId") or index)
        body: Any = record.get("body")
        try:
            body = json.loads(body) if isinstance(body, str) else body
        except json.JSONDecodeError:
            out.append((rid, Notice("—")))
            continue
        if isinstance(body, dict) and body.get("Type") == "Notification" and "Message" in body:
            out.append((rid, parse_alarm(body["Message"], str(body.get("Subject") or ""))))
        else:
            out.append((rid, parse_alarm(body)))
    return out


def zone_label(zone: ZoneInfo, at: datetime) -> str:
    if zone.key == "Europe/Moscow":
        return "МСК"
    offset = at.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "") if minutes else "UTC"


def club_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _when(at: datetime, zone: ZoneInfo, with_date: bool = True) -> str:
    local = at.astimezone(zone)
    text = f"{local:%d.%m %H:%M}" if with_date else f"{local:%H:%M}"
    return f"{text} {zone_label(zone, local)}"


def _period(seconds: int, lang: str) -> str:
    if seconds and seconds % 3600 == 0:
        return t("ops.period.hours", lang, n=seconds // 3600)
    if seconds and seconds % 60 == 0:
        return t("ops.period.minutes", lang, n=seconds // 60)
    return t("ops.period.seconds", lang, n=seconds)


def reason_text(reason: dict[str, Any], lang: str) -> str:
    kind = reason["kind"]
    if kind == "metric":
        text = t(
            "ops.reason.metric",
            lang,
            metric=reason["metric"],
            where=reason["where"],
            op=reason["op"],
            threshold=reason["threshold"],
            statistic=reason["statistic"],
            period=_period(reason["period"], lang),
        )
        if reason["value"] is not None:
            text += t("ops.reason.value", lang, value=reason["value"])
        elif reason["no_data"]:
            text += t("ops.reason.no_data", lang)
        return text
    if kind == "composite":
        return t("ops.reason.composite", lang, children=reason["children"])
    if kind == "composite_rule":
        return t("ops.reason.composite_rule", lang, rule=reason["rule"])
    return t("ops.reason.unknown", lang, reason=reason.get("reason") or "—")


def state_text(state: str, lang: str) -> str:
    return (
        t(f"ops.state.{state}", lang)
        if state in _STATES
        else t("ops.state.other", lang, state=state)
    )


def console_link(region: str | None, name: str | None = None) -> str:
    region = region or "eu-central-1"
    base = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:"
    return f"{base}alarm/{quote(name, safe='')}" if name else base


@dataclass(frozen=True)
class Message:
    text: str
    record_ids: tuple[str, ...]  # the records this message delivers


def render(items: Iterable[tuple[str, Item]], *, zone: ZoneInfo, lang: str = "ru") -> list[Message]:
    """One message for one transition, one listing message for several (split only when it
    would exceed Telegram's size). Duplicates (same alarm, state and time: a redelivery) count
    once; transitions are listed in time order."""
    seen: dict[tuple[str, str, datetime], int] = {}
    transitions: list[tuple[Transition, list[str]]] = []
    notices: list[tuple[Notice, str]] = []
    for rid, item in items:
        if isinstance(item, Notice):
            notices.append((item, rid))
        elif item.key in seen:
            transitions[seen[item.key]][1].append(rid)
        else:
            seen[item.key] = len(transitions)
            transitions.append((item, [rid]))
    transitions.sort(key=lambda pair: pair[0].at)
    messages = [
        Message(t("ops.unrecognised", lang, subject=n.subject[:100]), (rid,)) for n, rid in notices
    ]
    if len(transitions) == 1:
        tr, rids = transitions[0]
        description = f"\n{tr.description[:400]}" if tr.description else ""
        text = t(
            "ops.single",
            lang,
            state=state_text(tr.state, lang),
            name=tr.name,
            reason=reason_text(tr.reason, lang),
            time=_when(tr.at, zone),
            description=description,
            link=console_link(tr.region, tr.name),
        )
        messages.append(Message(text, tuple(rids)))
    elif transitions:
        messages.extend(_burst(transitions, zone, lang))
    return messages


def _burst(
    transitions: list[tuple[Transition, list[str]]], zone: ZoneInfo, lang: str
) -> list[Message]:
    latest: dict[str, str] = {}
    for tr, _ in transitions:
        latest[tr.name] = tr.state
    head = t(
        "ops.burst.head",
        lang,
        count=len(transitions),
        first=_when(transitions[0][0].at, zone),
        last=_when(transitions[-1][0].at, zone, with_date=False),
        alarming=sum(1 for state in latest.values() if state == "ALARM"),
    )
    link = t("ops.burst.link", lang, link=console_link(transitions[0][0].region))
    lines = [
        t(
            "ops.burst.line",
            lang,
            state=state_text(tr.state, lang),
            name=tr.name,
            reason=reason_text(tr.reason, lang),
        )
        for tr, _ in transitions
    ]
    shown, rest = transitions[:MAX_BURST_LINES], transitions[MAX_BURST_LINES:]
    messages: list[Message] = []
    text, rids = head, []
    for line, (_, line_rids) in zip(lines, shown, strict=False):
        if len(text) + len(line) + len(link) + 2 > MESSAGE_LIMIT:
            messages.append(Message(text, tuple(rids)))
            text, rids = head, []
        text += "\n" + line
        rids.extend(line_rids)
    if rest:  # a very long storm: the last ones are counted, not listed
        text += "\n" + t("ops.burst.more", lang, count=len(rest))
        rids.extend(r for _, more in rest for r in more)
    messages.append(Message(f"{text}\n{link}", tuple(rids)))
    return messages
