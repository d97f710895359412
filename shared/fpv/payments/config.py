"""Payment settings the use cases need, taken once from `Settings` (no env reads in logic)."""

from __future__ import annotations

from dataclasses import dataclass

from fpv.settings import Settings

PROVIDERS = ("yookassa", "stripe", "stars")


@dataclass(frozen=True)
class PaymentConfig:
    provider: str = "yookassa"  # who takes the invoices: yookassa | stripe | stars
    provider_token: str = ""  # Telegram's payment provider token ("" for Stars)
    vat_code: int = 1  # 54-FZ vat_code in YooKassa receipts (1 = no VAT)
    star_price_kopecks: int = 200
    stripe_webhook_secret: str | None = None
    yookassa_check_source_ip: bool = False
    hold_minutes: int = 15

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown payment provider {self.provider!r}")

    @property
    def currency(self) -> str:
        return "XTR" if self.provider == "stars" else "RUB"

    @classmethod
    def from_settings(cls, settings: Settings) -> PaymentConfig:
        token = settings.payment_provider_token
        secret = settings.stripe_webhook_secret
        return cls(
            provider=settings.payment_provider,
            provider_token=token.get_secret_value() if token else "",
            vat_code=settings.receipt_vat_code,
            star_price_kopecks=settings.star_price_kopecks,
            stripe_webhook_secret=secret.get_secret_value() if secret else None,
            yookassa_check_source_ip=settings.yookassa_check_source_ip,
            hold_minutes=settings.hold_minutes,
        )
