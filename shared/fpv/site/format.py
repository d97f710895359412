"""How dates, prices and track types read in each language (texts from texts/site.json)."""

from __future__ import annotations

from datetime import datetime

from fpv.texts import t


def date_text(moment: datetime, lang: str) -> str:
    return t(
        "site.date",
        lang,
        weekday=t(f"site.weekday.{moment.isoweekday()}", lang),
        day=moment.day,
        month=t(f"site.month.{moment.month}", lang),
        year=moment.year,
    )


def when_text(starts_iso: str, ends_iso: str, lang: str) -> str:
    """'пт, 28 ноября 2025, 19:00–22:00' in the venue's time (the ISO strings carry it)."""
    starts, ends = datetime.fromisoformat(starts_iso), datetime.fromisoformat(ends_iso)
    end = ends.strftime("%H:%M")
    if ends.date() != starts.date():
        end = f"{date_text(ends, lang)}, {end}"
    return t(
        "site.time.range",
        lang,
        date=date_text(starts, lang),
        start=starts.strftime("%H:%M"),
        end=end,
    )


def price_text(kopecks: int, lang: str) -> str:
    if kopecks <= 0:
        return t("site.price.free", lang)
    rubles, rest = divmod(int(kopecks), 100)
    grouped = f"{rubles:,}".replace(",", "\u00a0")  # 1 500 with a no-break space
    amount = grouped if rest == 0 else f"{grouped}{',' if lang == 'ru' else '.'}{rest:02d}"
    return t("site.price.value", lang, amount=amount)


def track_text(track_type: str, lang: str) -> str:
    key = f"site.track.{track_type}"
    try:
        return t(key, lang)
    except KeyError:  # a track type added to the schema before its text: show it as is
        return track_type
