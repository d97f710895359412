"""The one configuration model. Every environment variable the platform reads is declared here.

Domain code receives a `Settings` (or the values it needs); only entry points (Lambda handlers,
the CLI, the local runner) call `get_settings()`.

`Settings()` reads the process environment here and nowhere else: each field from the variable
of its name (then of its aliases), case-insensitively; keyword arguments win over the
environment; other variables and keywords are ignored. Values are checked like a pydantic
model's in lax mode ("30" is an int, "yes" a bool, bounds and patterns as declared), and every
bad one is reported by its field's name in one ValueError; secrets are `SecretStr`, masked in
any repr. It is a small model of its own rather than pydantic(-settings): every function builds
it at cold start, and pydantic's import alone cost more than the whole budget of issue #20
(cold start within 1.3x of a bare python-telegram-bot). pydantic stays where requests and tool
calls are parsed (the APIs, the voice assistant).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any


class SecretStr:
    """A secret value: `get_secret_value()` gives it; str/repr show stars."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr({str(self)!r})"


class _Field:
    __slots__ = (
        "aliases",
        "default",
        "description",
        "ge",
        "gt",
        "kind",
        "le",
        "optional",
        "pattern",
    )

    def __init__(
        self,
        default: Any,
        description: str,
        ge: float | None,
        le: float | None,
        gt: float | None,
        pattern: str | None,
        aliases: tuple[str, ...],
    ) -> None:
        self.default, self.description, self.aliases = default, description, aliases
        self.ge, self.le, self.gt, self.pattern = ge, le, gt, pattern
        self.kind, self.optional = "str", False  # from the annotation, by _declare


def setting(
    default: Any = None,
    *,
    description: str = "",
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    pattern: str | None = None,
    aliases: tuple[str, ...] = (),
) -> Any:
    """A field with more than a default: bounds, a pattern, other variable names, a description."""
    return _Field(default, description, ge, le, gt, pattern, aliases)


_TRUE = frozenset(("1", "on", "t", "true", "y", "yes"))
_FALSE = frozenset(("0", "off", "f", "false", "n", "no"))


def _convert(kind: str, value: Any) -> Any:
    if kind == "SecretStr":
        if isinstance(value, SecretStr):
            return value
        if hasattr(value, "get_secret_value"):  # a pydantic SecretStr
            value = value.get_secret_value()
        if isinstance(value, str):
            return SecretStr(value)
        raise ValueError("should be a string")
    if kind == "str":
        if isinstance(value, str):
            return value
        raise ValueError("should be a string")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower() if isinstance(value, str | int) else None
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(f"should be a boolean, not {value!r}")
    if isinstance(value, bool):
        raise ValueError(f"should be a number, not {value!r}")
    if kind == "int":
        if isinstance(value, int):
            return value
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            number = float("nan")
        if number.is_integer():
            return int(number)
        raise ValueError(f"should be an integer, not {value!r}")
    try:  # float
        return float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"should be a number, not {value!r}") from None


def _check(field: _Field, value: Any) -> Any:
    if value is None:
        if field.optional:
            return None
        raise ValueError("is required")
    value = _convert(field.kind, value)
    if field.ge is not None and value < field.ge:
        raise ValueError(f"should be >= {field.ge}, not {value!r}")
    if field.le is not None and value > field.le:
        raise ValueError(f"should be <= {field.le}, not {value!r}")
    if field.gt is not None and value <= field.gt:
        raise ValueError(f"should be > {field.gt}, not {value!r}")
    if field.pattern is not None:
        import re

        if not re.search(field.pattern, value):
            raise ValueError(f"should match {field.pattern}, not {value!r}")
    return value


def _environment(fields: dict[str, _Field]) -> dict[str, str]:
    """The environment's values of `fields` by field name: the variable of the field's name, else
    of its first alias that is set; names compared case-insensitively."""
    env = {key.lower(): value for key, value in os.environ.items()}
    found: dict[str, str] = {}
    for name, field in fields.items():
        for choice in (name, *field.aliases):
            if choice in env:
                found[name] = env[choice]
                break
    return found


class Settings:
    """Every setting of the platform, from the environment (and the AWS secret: `get_settings`)."""

    _fields: dict[str, _Field]

    database_url: SecretStr | None = setting(
        default=None,
        description="postgresql://user:pass@host:port/db; TLS verify-full unless local or"
        " the URL says sslmode=disable",
    )
    database_sslrootcert: str | None = setting(
        default=None,
        description="CA bundle for the database's certificate: a PEM path, PEM text, 'rds'"
        " (Amazon RDS global bundle shipped in the layer) or 'system' (default)",
    )
    database_secret_arn: str | None = setting(
        default=None,
        description="AWS, database created by the template: the RDS-format secret (username,"
        " password, host, port, dbname) DATABASE_URL is made from when the main secret has none",
    )
    database_host: str | None = setting(
        default=None, description="replaces the host of that secret (the RDS Proxy endpoint)"
    )
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_bot_username: str = "fpv_training_bot"
    ops_chat_id: int | None = None
    ops_timezone: str = setting(
        default="Europe/Moscow", description="the club's zone for times in ops alarm messages"
    )
    payment_provider_token: SecretStr | None = None
    # Payments (fpv.payments): the provider behind Telegram Payments and its own API (refunds,
    # re-fetching notifications); Stripe webhooks are trusted only with a valid signature.
    payment_provider: str = setting(default="yookassa", pattern="^(yookassa|stripe|stars)$")
    yookassa_shop_id: str | None = None
    yookassa_secret_key: SecretStr | None = None
    yookassa_api_base_url: str = "https://api.yookassa.ru/v3"
    yookassa_check_source_ip: bool = False
    receipt_vat_code: int = setting(
        default=1, ge=1, le=12, description="54-FZ vat_code, 1 = no VAT"
    )
    stripe_api_key: SecretStr | None = None
    stripe_api_base_url: str = "https://api.stripe.com"
    stripe_webhook_secret: SecretStr | None = None
    star_price_kopecks: int = setting(default=200, ge=1, description="price of one Telegram Star")
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    # Voice assistant (fpv.voice): models, patience with OpenAI, and where the webhook hands
    # admins' messages (AWS: this function name, invoked asynchronously; unset: the local runner)
    openai_transcription_model: str = "whisper-1"
    openai_chat_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = setting(default=20.0, gt=0, le=120)
    openai_max_retries: int = setting(default=1, ge=0, le=5)
    voice_assistant_function: str | None = None
    voice_proposal_minutes: int = setting(default=10, ge=1, le=60)
    site_bucket: str | None = None
    site_dir: str = ".fpv/site"
    site_distribution_id: str | None = setting(
        default=None, description="CloudFront distribution of the site (invalidated on publish)"
    )
    public_base_url: str = "http://127.0.0.1:8000"
    site_tile_url: str = setting(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="map tiles of the public site ({z}/{x}/{y}, {s}); '' = no tiles, list only",
    )
    site_tile_attribution: str = "© OpenStreetMap contributors"
    backup_url: str = setting(
        default=".fpv/backups", description="where backups go: s3://bucket[/prefix] or a folder"
    )
    backup_s3_endpoint_url: str | None = setting(
        default=None,
        description="an S3-compatible store for backups (e.g. in Russia for 152-FZ); unset = AWS",
    )
    backup_s3_region: str | None = None
    backup_s3_access_key_id: SecretStr | None = None
    backup_s3_secret_access_key: SecretStr | None = None
    aws_endpoint_url: str | None = None
    event_bus_name: str | None = setting(
        default=None, description="EventBridge bus for 'schedule changed'; unset = in-process"
    )
    hold_minutes: int = setting(default=15, ge=1, le=24 * 60)
    default_language: str = "ru"
    log_level: str = setting(
        default="INFO",
        pattern="^(?i:debug|info|warning|error|critical)$",
        aliases=("powertools_log_level",),
        description="level of the handlers' and the fpv.* loggers (template: LogLevel)",
    )
    aws_lambda_function_name: str | None = setting(
        default=None, description="set by Lambda itself: the code runs in AWS"
    )
    secrets_arn: str | None = setting(
        default=None, description="AWS: Secrets Manager secret (JSON) with the secret settings"
    )

    def __init__(self, **values: Any) -> None:
        fields = type(self)._fields
        given = _environment(fields)
        for name, field in fields.items():
            for choice in (name, *field.aliases):
                if choice in values:
                    given[name] = values[choice]
                    break
        errors = []
        for name, field in fields.items():
            try:
                value = _check(field, given[name]) if name in given else field.default
            except ValueError as exc:
                errors.append(f"{name}: {exc}")
                continue
            object.__setattr__(self, name, value)
        if errors:
            raise ValueError(f"{len(errors)} invalid setting(s):\n  " + "\n  ".join(errors))

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Settings:
        """A copy with some values replaced (taken as given, like pydantic's model_copy)."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(update or {})
        return copy

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"Settings({values})"

    def database_url_value(self) -> str | None:
        return self.database_url.get_secret_value() if self.database_url else None


def _declare(cls: type[Settings]) -> None:
    """Fields from the class body: name, annotation (str, int, float, bool or SecretStr,
    optionally `| None`) and default or `setting(...)`."""
    fields: dict[str, _Field] = {}
    for name, annotation in cls.__annotations__.items():
        if name.startswith("_"):
            continue
        declared = cls.__dict__.get(name)
        field = declared if isinstance(declared, _Field) else setting(declared)
        kinds = [part.strip() for part in str(annotation).split("|")]
        field.optional = "None" in kinds
        [field.kind] = [k for k in kinds if k != "None"]
        if field.kind not in ("str", "int", "float", "bool", "SecretStr"):
            raise TypeError(f"setting {name}: unsupported type {annotation}")
        fields[name] = field
        setattr(cls, name, field.default)
    cls._fields = fields


_declare(Settings)


def _secret_values(secrets_arn: str, endpoint_url: str | None) -> dict[str, str]:
    import json

    import boto3  # lazy: only deployed functions with SECRETS_ARN pay for it, once per container

    client = boto3.client("secretsmanager", endpoint_url=endpoint_url)
    secret = json.loads(client.get_secret_value(SecretId=secrets_arn)["SecretString"])
    return {str(k).lower(): v for k, v in secret.items()}


def database_url_from_rds_secret(values: dict[str, str], host: str | None = None) -> str:
    """postgresql:// URL from a secret in RDS's format (what SecretTargetAttachment writes):
    username, password, host, port, dbname. TLS: verify-full (the default for a remote host)."""
    from urllib.parse import quote

    missing = [k for k in ("username", "password", "host") if not values.get(k)]
    if missing:
        raise ValueError(f"the database secret lacks {', '.join(missing)}")
    user, password = (
        quote(str(values["username"]), safe=""),
        quote(str(values["password"]), safe=""),
    )
    where = f"{host or values['host']}:{values.get('port') or 5432}"
    return (
        f"postgresql://{user}:{password}@{where}/{quote(str(values.get('dbname') or 'postgres'))}"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once per process (warm Lambda containers reuse them). In AWS the secret
    values come from Secrets Manager (SECRETS_ARN), never from plain environment variables;
    with a database the template created, DATABASE_URL is made from its own secret
    (DATABASE_SECRET_ARN) unless the main secret sets one."""
    settings = Settings()
    if settings.secrets_arn:
        settings = Settings(**_secret_values(settings.secrets_arn, settings.aws_endpoint_url))
    if settings.database_secret_arn and not settings.database_url:
        rds = _secret_values(settings.database_secret_arn, settings.aws_endpoint_url)
        url = database_url_from_rds_secret(rds, settings.database_host)
        settings = settings.model_copy(update={"database_url": SecretStr(url)})
    return settings
