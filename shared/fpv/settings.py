"""The one configuration model. Every environment variable the platform reads is declared here.

Domain code receives a `Settings` (or the values it needs); only entry points (Lambda handlers,
the CLI, the local runner) call `get_settings()`.

`Settings` is a msgspec Struct: its fields, defaults and constraints (`Meta(ge=, le=, gt=,
pattern=)`) are declared below, and `msgspec.convert(..., strict=False)` checks values in lax
mode ("30" is an int, "2.5" a float, "true" a bool). `Settings(**values)` reads the process
environment, here and nowhere else: each field from the variable of its name (then of its
aliases, `Meta(extra={"aliases": (...)})`), case-insensitively; keyword arguments win over the
environment; other variables and keywords are ignored. Before converting, text for a number or a
bool is stripped and the environment's words for booleans ("yes", "on", "y", "t" and their
opposites) are read. Every bad value is reported by its field's name in one ValueError; a
secret's value never appears in it; secrets are `SecretStr`, masked in any repr.

Why msgspec rather than pydantic(-settings): every function builds its settings at cold start,
and pydantic's import alone cost more than the whole budget of issue #20 (cold start within 1.3x
of a bare python-telegram-bot); msgspec, a C extension, imports in a few milliseconds. pydantic
stays where requests and tool calls are parsed (the APIs, the voice assistant).
"""

import os
from functools import lru_cache
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec
from msgspec import Meta


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


class _ReadsTheEnvironment(msgspec.StructMeta):
    """`Settings(**values)`: the environment's values, the keywords over them, then checked.
    (Positional arguments build the struct as they are, as msgspec's own copy and pickle do.)"""

    def __call__(cls, *args: Any, **values: Any) -> Any:
        if args:
            return super().__call__(*args, **values)
        return _build(cls, values)


class Settings(msgspec.Struct, kw_only=True, metaclass=_ReadsTheEnvironment):
    """Every setting of the platform, from the environment (and the AWS secret: `get_settings`)."""

    database_url: Annotated[
        SecretStr | None,
        Meta(
            description="postgresql://user:pass@host:port/db; TLS verify-full unless local or"
            " the URL says sslmode=disable"
        ),
    ] = None
    database_sslrootcert: Annotated[
        str | None,
        Meta(
            description="CA bundle for the database's certificate: a PEM path, PEM text, 'rds'"
            " (Amazon RDS global bundle shipped in the layer) or 'system' (default)"
        ),
    ] = None
    database_secret_arn: Annotated[
        str | None,
        Meta(
            description="AWS, database created by the template: the RDS-format secret (username,"
            " password, host, port, dbname) DATABASE_URL is made from when the main secret has"
            " none"
        ),
    ] = None
    database_host: Annotated[
        str | None, Meta(description="replaces the host of that secret (the RDS Proxy endpoint)")
    ] = None
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_bot_username: str = "fpv_training_bot"
    ops_chat_id: int | None = None
    ops_timezone: Annotated[
        str, Meta(description="the club's zone for times in ops alarm messages")
    ] = "Europe/Moscow"
    payment_provider_token: SecretStr | None = None
    # Payments (fpv.payments): the provider behind Telegram Payments and its own API (refunds,
    # re-fetching notifications); Stripe webhooks are trusted only with a valid signature.
    payment_provider: Annotated[str, Meta(pattern="^(yookassa|stripe|stars)$")] = "yookassa"
    yookassa_shop_id: str | None = None
    yookassa_secret_key: SecretStr | None = None
    yookassa_api_base_url: str = "https://api.yookassa.ru/v3"
    yookassa_check_source_ip: bool = False
    receipt_vat_code: Annotated[
        int, Meta(ge=1, le=12, description="54-FZ vat_code, 1 = no VAT")
    ] = 1
    stripe_api_key: SecretStr | None = None
    stripe_api_base_url: str = "https://api.stripe.com"
    stripe_webhook_secret: SecretStr | None = None
    star_price_kopecks: Annotated[int, Meta(ge=1, description="price of one Telegram Star")] = 200
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    # Voice assistant (fpv.voice): models, patience with OpenAI, and where the webhook hands
    # admins' messages (AWS: this function name, invoked asynchronously; unset: the local runner)
    openai_transcription_model: str = "whisper-1"
    openai_chat_model: str = "gpt-4o-mini"
    openai_timeout_seconds: Annotated[float, Meta(gt=0, le=120)] = 20.0
    openai_max_retries: Annotated[int, Meta(ge=0, le=5)] = 1
    voice_assistant_function: str | None = None
    voice_proposal_minutes: Annotated[int, Meta(ge=1, le=60)] = 10
    site_bucket: str | None = None
    site_dir: str = ".fpv/site"
    site_distribution_id: Annotated[
        str | None,
        Meta(description="CloudFront distribution of the site (invalidated on publish)"),
    ] = None
    public_base_url: str = "http://127.0.0.1:8000"
    site_tile_url: Annotated[
        str,
        Meta(
            description="map tiles of the public site ({z}/{x}/{y}, {s}); '' = no tiles, list only"
        ),
    ] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    site_tile_attribution: str = "© OpenStreetMap contributors"
    backup_url: Annotated[
        str, Meta(description="where backups go: s3://bucket[/prefix] or a folder")
    ] = ".fpv/backups"
    backup_s3_endpoint_url: Annotated[
        str | None,
        Meta(
            description="an S3-compatible store for backups (e.g. in Russia for 152-FZ);"
            " unset = AWS"
        ),
    ] = None
    backup_s3_region: str | None = None
    backup_s3_access_key_id: SecretStr | None = None
    backup_s3_secret_access_key: SecretStr | None = None
    aws_endpoint_url: str | None = None
    event_bus_name: Annotated[
        str | None,
        Meta(description="EventBridge bus for 'schedule changed'; unset = in-process"),
    ] = None
    hold_minutes: Annotated[int, Meta(ge=1, le=24 * 60)] = 15
    default_language: str = "ru"
    log_level: Annotated[
        str,
        Meta(
            pattern="^(?i:debug|info|warning|error|critical)$",
            description="level of the handlers' and the fpv.* loggers (template: LogLevel)",
            extra={"aliases": ("powertools_log_level",)},
        ),
    ] = "INFO"
    aws_lambda_function_name: Annotated[
        str | None, Meta(description="set by Lambda itself: the code runs in AWS")
    ] = None
    secrets_arn: Annotated[
        str | None,
        Meta(description="AWS: Secrets Manager secret (JSON) with the secret settings"),
    ] = None

    def model_copy(self, *, update: dict[str, Any] | None = None) -> "Settings":
        """A copy with some values replaced (taken as given, like pydantic's model_copy)."""
        return msgspec.structs.replace(self, **(update or {}))

    def database_url_value(self) -> str | None:
        return self.database_url.get_secret_value() if self.database_url else None


def _declared(annotation: Any) -> tuple[type, tuple[str, ...]]:
    """A field's type without `Annotated` and `| None`, and its other variable names."""
    aliases: tuple[str, ...] = ()
    if get_origin(annotation) is Annotated:
        annotation, *metadata = get_args(annotation)
        for meta in metadata:
            aliases += tuple((meta.extra or {}).get("aliases", ()))
    if get_origin(annotation) in (Union, type(int | None)):
        [annotation] = [arg for arg in get_args(annotation) if arg is not type(None)]
    return annotation, aliases


# field name -> (its type, the names it is read under: its own, then its aliases)
_FIELDS: dict[str, tuple[type, tuple[str, ...]]] = {}
for _name, _annotation in Settings.__annotations__.items():
    _kind, _aliases = _declared(_annotation)
    _FIELDS[_name] = (_kind, (_name, *_aliases))
del _name, _annotation, _kind, _aliases

_TRUE = frozenset(("1", "on", "t", "true", "y", "yes"))
_FALSE = frozenset(("0", "off", "f", "false", "n", "no"))


def _lax(kind: type, value: Any) -> Any:
    """Text as the environment gives it, for msgspec's lax mode: a number's or a bool's text
    stripped, the environment's words for booleans read."""
    if not isinstance(value, str) or kind not in (int, float, bool):
        return value
    word = value.strip()
    if kind is bool:
        folded = word.lower()
        return True if folded in _TRUE else False if folded in _FALSE else value
    return word


def _secret(kind: type, value: Any) -> Any:
    """msgspec's decoding hook for the one custom type, SecretStr (never echoes the value)."""
    if kind is SecretStr:
        if isinstance(value, SecretStr):
            return value
        if hasattr(value, "get_secret_value"):  # a pydantic SecretStr
            value = value.get_secret_value()
        if isinstance(value, str):
            return SecretStr(value)
        raise ValueError(f"Expected `str`, got `{type(value).__name__}`")
    raise NotImplementedError(kind)


def _build(cls: type, keywords: dict[str, Any]) -> Any:
    env = {key.lower(): value for key, value in os.environ.items()}
    given: dict[str, Any] = {}
    for name, (kind, names) in _FIELDS.items():
        for source in (keywords, env):
            choice = next((n for n in names if n in source), None)
            if choice is not None:
                given[name] = _lax(kind, source[choice])
                break
    try:
        return msgspec.convert(given, cls, strict=False, dec_hook=_secret)
    except msgspec.ValidationError as exc:
        first = exc
    # msgspec stops at the first bad value: check each alone to name them all
    errors = []
    for name, value in given.items():
        try:
            msgspec.convert({name: value}, cls, strict=False, dec_hook=_secret)
        except msgspec.ValidationError as exc:
            message = str(exc).removesuffix(f" - at `$.{name}`")
            if _FIELDS[name][0] is not SecretStr:
                shown = repr(value)
                message += f", given {shown if len(shown) <= 60 else shown[:57] + '...'}"
            errors.append(f"{name}: {message}")
    if not errors:  # not expected: values that pass alone always pass together
        raise ValueError(f"invalid settings: {first}") from None
    raise ValueError(f"{len(errors)} invalid setting(s):\n  " + "\n  ".join(errors)) from None


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
