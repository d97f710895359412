"""/rating: the pilot's rating this season in each city they raced in, and the city's top ten
(only pilots who show their nickname on the site)."""

from __future__ import annotations

from telegram import Update

from fpv.bot import render
from fpv.bot.deps import deps_of
from fpv.bot.handlers.common import Context, reply, require_pilot
from fpv.texts import t

TOP = 10


def _lap(ms: int | None) -> str:
    return "—" if not ms else f"{ms / 1000:.3f}"


async def my_rating(update: Update, context: Context) -> None:
    from fpv import ratings  # loads with the first /rating, not at cold start (issue #20)

    pilot = await require_pilot(update, context)
    if pilot is None:
        return
    deps = deps_of(context)
    lang = pilot["language"]
    mine = ratings.my_ratings(deps.db, pilot["telegram_id"])
    if not mine:
        await reply(update, context, t("bot.rating.none", lang))
        return
    lines = []
    for row in mine:
        city = render.city_name(row, lang)
        lines.append(
            t(
                "bot.rating.mine",
                lang,
                city=city,
                rating=f"{row['ordinal']:.1f}",
                races=row["races"],
                best=_lap(row["best_lap_ms"]),
                streak=row["streak"],
            )
        )
        if not pilot["show_on_site"]:
            lines.append(t("bot.rating.hidden", lang))
        else:
            lines.append(t("bot.rating.place", lang, place=row["place"]))
        board = ratings.leaderboard(deps.db, row["city_id"], limit=TOP)
        lines.append(t("bot.rating.top", lang, city=city))
        lines += [
            f"{n}. {entry['nickname']} · {entry['ordinal']:.1f} · {_lap(entry['best_lap_ms'])}"
            for n, entry in enumerate(board, start=1)
        ]
    await reply(update, context, "\n".join(lines))
