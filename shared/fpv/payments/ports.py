"""The payment ports: what the use cases need from providers, the Bot API and metrics.

Use cases receive a `PaymentPorts`; `fpv.payments.wiring.ports_from_settings` builds the real
one (YooKassa / Stripe / Telegram Stars refunders over HTTP, EMF metrics, the outbox deliverers
that tell pilots), tests build one pointed at the fake servers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class ProviderUnavailable(RuntimeError):
    """Transient: the provider could not be reached or asked us to come back later. Retry with
    the same idempotence key; nothing is lost."""


class RefundRejected(RuntimeError):
    """Definitive: the provider refused this refund (retrying the same request will not help)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class RefundRequest:
    """One refund of one payment, in full. `idempotence_key` is fixed per payment, so every retry
    asks the provider for the same refund."""

    payment_id: int
    provider: str
    currency: str
    amount: int  # minor units: kopecks for RUB, stars for XTR
    idempotence_key: str
    provider_charge_id: str | None
    telegram_charge_id: str | None
    payer_telegram_id: int | None
    description: str


@dataclass(frozen=True)
class RefundState:
    """What the provider says about a refund."""

    status: str  # succeeded | pending | failed
    refund_id: str | None = None
    detail: str | None = None  # a short machine reason (never personal data)


class Refunder(Protocol):
    def refund(self, request: RefundRequest) -> RefundState: ...

    def refund_status(self, request: RefundRequest, refund_id: str) -> RefundState: ...


class MetricSink(Protocol):
    def count(self, name: str, value: int = 1) -> None: ...


class YooKassaApi(Protocol):
    """Re-fetching objects named by a notification (the only way we trust one)."""

    def get_payment(self, payment_id: str) -> dict[str, Any] | None: ...

    def get_refund(self, refund_id: str) -> dict[str, Any] | None: ...


# Metric names the alarms watch (namespace FPV, dimension service=payments).
PAYMENT_SUCCEEDED = "PaymentSucceeded"
PAYMENT_FAILED = "PaymentFailed"
PRE_CHECKOUT_REJECTED = "PreCheckoutRejected"
REFUND_SUCCEEDED = "RefundSucceeded"
REFUND_FAILED = "RefundFailed"
REFUND_RETRIED = "RefundRetried"
NOTIFICATION_REJECTED = "PaymentNotificationRejected"


class EmfMetrics:
    """CloudWatch Embedded Metric Format through Powertools, one record per count, flushed at
    once: works inside any handler (the webhook's, the payments function's, the CLI)."""

    def __init__(self, service: str = "payments", namespace: str = "FPV") -> None:
        self._service = service
        self._namespace = namespace

    def count(self, name: str, value: int = 1) -> None:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=value,
            namespace=self._namespace,
            default_dimensions={"service": self._service},
        ):
            pass


class RecordingMetrics:
    """Keeps counts in memory (tests, and the CLI's summary)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value


@dataclass
class PaymentPorts:
    refunders: Mapping[str, Refunder]
    metrics: MetricSink
    yookassa: YooKassaApi | None = None
    deliverers: Any = None  # fpv.outbox.Deliverers: pilots' notices sent at once
    extras: dict[str, Any] = field(default_factory=dict)
