"""How things look in the chat: dates in the venue's zone, prices, channels, equipment."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fpv.texts import t
from fpv.zones import zone_label

# Short names for buttons; the tables in fpv.channels carry the long descriptions.
DIGITAL_SHORT_NAMES = {
    "dji-v1-25": "DJI V1",
    "dji-v1-50": "DJI V1 50M",
    "dji-o3": "DJI O3",
    "dji-o3-40": "DJI O3 40M",
    "dji-o4": "DJI O4",
    "dji-o4-race": "DJI O4 Race",
    "walksnail": "Walksnail",
    "walksnail-50": "Walksnail 50M",
    "walksnail-race": "Walksnail Race",
    "hdzero": "HDZero",
}


def local_time(moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(time_zone))


def when(moment: datetime, time_zone: str, lang: str) -> str:
    """'пт, 14 марта, 19:00' in the venue's zone."""
    local = local_time(moment, time_zone)
    weekdays = t("bot.fmt.weekdays", lang).split(",")
    months = t("bot.fmt.months", lang).split(",")
    return t(
        "bot.fmt.when",
        lang,
        weekday=weekdays[local.weekday()],
        day=local.day,
        month=months[local.month - 1],
        time=local.strftime("%H:%M"),
    )


def short_when(moment: datetime, time_zone: str, lang: str) -> str:
    """'пт 14.03 19:00' for buttons."""
    local = local_time(moment, time_zone)
    weekday = t("bot.fmt.weekdays", lang).split(",")[local.weekday()]
    return f"{weekday} {local:%d.%m %H:%M}"


def clock(moment: datetime, time_zone: str, lang: str | None = None) -> str:
    """'14:35', or with `lang` '14:35 МСК' / '14:35 UTC+7' (a hold's end: whose clock?)."""
    text = local_time(moment, time_zone).strftime("%H:%M")
    return f"{text} {zone_label(time_zone, moment, lang)}" if lang else text


def zone(time_zone: str, moment: datetime, lang: str) -> str:
    """The venue's zone as people name it ('МСК', 'UTC+7'), never 'Europe/Moscow'."""
    return zone_label(time_zone, moment, lang)


def price(kopecks: int, lang: str) -> str:
    if kopecks <= 0:
        return t("bot.fmt.free", lang)
    rubles, rest = divmod(kopecks, 100)
    if lang == "ru":  # 1 234,50 ₽
        amount = f"{rubles:,}".replace(",", "\u202f") + (f",{rest:02d}" if rest else "")
    else:  # 1,234.50 RUB
        amount = f"{rubles:,}" + (f".{rest:02d}" if rest else "")
    return t("bot.fmt.price", lang, amount=amount)


def channel(label: str | None, mhz: int | None, lang: str, heat: int | None = None) -> str:
    """ "R1 · 5658 MHz", and the heat when the training flies in more than one."""
    if mhz is None:
        return t("bot.fmt.no_channel", lang)
    text = t("bot.fmt.channel", lang, label=label or "?", mhz=mhz)
    return t("bot.fmt.channel_heat", lang, channel=text, heat=heat) if heat and heat > 1 else text


def track(track_type: str, lang: str) -> str:
    return t(f"bot.track.{track_type}", lang)


def city_name(row: dict, lang: str) -> str:
    return row["name_en"] if lang == "en" else row["name_ru"]


def split_equipment(equipment: str) -> tuple[list[str], str | None]:
    """(analog band codes in the pilot's order, digital system id): one or the other."""
    from fpv.channels import Equipment  # the allocator's package: only when equipment shows

    try:
        parsed = Equipment.parse(equipment)
    except ValueError:  # not expected from the database; show it as "no bands"
        return [], None
    return list(parsed.bands), parsed.system


def equipment(equipment: str, lang: str) -> str:
    bands, digital = split_equipment(equipment)
    if digital:
        return t(
            "bot.fmt.equipment_digital", lang, system=DIGITAL_SHORT_NAMES.get(digital, digital)
        )
    return t("bot.fmt.equipment_analog", lang, bands=", ".join(bands) or "—")


def toggle_band(equipment_text: str, code: str) -> str | None:
    """Equipment after toggling one analog band (order kept: the first band names shared
    frequencies); None when that would leave no band at all."""
    bands, _digital = split_equipment(equipment_text)
    if code in bands:
        bands = [b for b in bands if b != code]
    else:
        bands.append(code)
    return ",".join(bands) if bands else None
