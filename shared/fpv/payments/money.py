"""Amounts: integer minor units everywhere (kopecks for RUB, whole stars for XTR)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fpv.texts import t


def charge_for(price_kopecks: int, currency: str, star_price_kopecks: int) -> int:
    """What the invoice asks for, in the currency's minor units. Stars are whole: rounded up,
    so a Stars payment never covers less than the RUB price."""
    if currency == "XTR":
        return -(-price_kopecks // star_price_kopecks)
    return price_kopecks


def to_decimal_string(kopecks: int) -> str:
    """50000 → '500.00' (YooKassa amounts are strings with two decimals)."""
    rubles, rest = divmod(kopecks, 100)
    return f"{rubles}.{rest:02d}"


def from_decimal_string(value: object) -> int | None:
    """'500.00' → 50000; None when it is not a non-negative amount with at most 2 decimals."""
    try:
        amount = Decimal(str(value))
        if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
            return None
    except (InvalidOperation, ValueError):  # e.g. '1e400' does not fit the context
        return None
    return int(amount * 100)


def format_amount(amount: int, currency: str, lang: str) -> str:
    """For people: '1 500 ₽', '1 500,50 ₽', '75 ⭐'."""
    if currency == "XTR":
        return t("payments.fmt.stars", lang, amount=amount)
    rubles, rest = divmod(amount, 100)
    text = f"{rubles:,}".replace(",", "\u202f" if lang == "ru" else ",")
    if rest:
        text += f",{rest:02d}" if lang == "ru" else f".{rest:02d}"
    return t("payments.fmt.rub", lang, amount=text)
