"""The one configuration model. Every environment variable the platform reads is declared here.

Domain code receives a `Settings` (or the values it needs); only entry points (Lambda handlers,
the CLI, the local runner) call `get_settings()`.

`Settings()` reads the process environment here and nowhere else: each field from the variable
of its name (or of its validation alias), case-insensitively; keyword arguments win over the
environment; other variables are ignored. (A plain pydantic model with that one reader rather than
pydantic-settings, whose import was a third of every function's cold start: issue #20.)
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr


def _environment(fields: dict[str, Any]) -> dict[str, str]:
    """The environment's values of `fields` (name → FieldInfo), keyed by the name (or the first
    alias) the model validates, case-insensitively like the shell-less Lambda environment."""
    env = {key.lower(): value for key, value in os.environ.items()}
    found: dict[str, str] = {}
    for name, field in fields.items():
        alias = field.validation_alias
        names = alias.choices if isinstance(alias, AliasChoices) else [alias or name]
        for choice in names:
            if isinstance(choice, str) and choice.lower() in env:
                found[str(names[0])] = env[choice.lower()]
                break
    return found


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_environment(type(self).model_fields), **values})

    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:pass@host:port/db; TLS verify-full unless local or"
        " the URL says sslmode=disable",
    )
    database_sslrootcert: str | None = Field(
        default=None,
        description="CA bundle for the database's certificate: a PEM path, PEM text, 'rds'"
        " (Amazon RDS global bundle shipped in the layer) or 'system' (default)",
    )
    database_secret_arn: str | None = Field(
        default=None,
        description="AWS, database created by the template: the RDS-format secret (username,"
        " password, host, port, dbname) DATABASE_URL is made from when the main secret has none",
    )
    database_host: str | None = Field(
        default=None, description="replaces the host of that secret (the RDS Proxy endpoint)"
    )
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_bot_username: str = "fpv_training_bot"
    ops_chat_id: int | None = None
    ops_timezone: str = Field(
        default="Europe/Moscow", description="the club's zone for times in ops alarm messages"
    )
    payment_provider_token: SecretStr | None = None
    # Payments (fpv.payments): the provider behind Telegram Payments and its own API (refunds,
    # re-fetching notifications); Stripe webhooks are trusted only with a valid signature.
    payment_provider: str = Field(default="yookassa", pattern="^(yookassa|stripe|stars)$")
    yookassa_shop_id: str | None = None
    yookassa_secret_key: SecretStr | None = None
    yookassa_api_base_url: str = "https://api.yookassa.ru/v3"
    yookassa_check_source_ip: bool = False
    receipt_vat_code: int = Field(default=1, ge=1, le=12, description="54-FZ vat_code, 1 = no VAT")
    stripe_api_key: SecretStr | None = None
    stripe_api_base_url: str = "https://api.stripe.com"
    stripe_webhook_secret: SecretStr | None = None
    star_price_kopecks: int = Field(default=200, ge=1, description="price of one Telegram Star")
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    # Voice assistant (fpv.voice): models, patience with OpenAI, and where the webhook hands
    # admins' messages (AWS: this function name, invoked asynchronously; unset: the local runner)
    openai_transcription_model: str = "whisper-1"
    openai_chat_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    openai_max_retries: int = Field(default=1, ge=0, le=5)
    voice_assistant_function: str | None = None
    voice_proposal_minutes: int = Field(default=10, ge=1, le=60)
    site_bucket: str | None = None
    site_dir: str = ".fpv/site"
    site_distribution_id: str | None = Field(
        default=None, description="CloudFront distribution of the site (invalidated on publish)"
    )
    public_base_url: str = "http://127.0.0.1:8000"
    site_tile_url: str = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="map tiles of the public site ({z}/{x}/{y}, {s}); '' = no tiles, list only",
    )
    site_tile_attribution: str = "© OpenStreetMap contributors"
    backup_url: str = Field(
        default=".fpv/backups", description="where backups go: s3://bucket[/prefix] or a folder"
    )
    backup_s3_endpoint_url: str | None = Field(
        default=None,
        description="an S3-compatible store for backups (e.g. in Russia for 152-FZ); unset = AWS",
    )
    backup_s3_region: str | None = None
    backup_s3_access_key_id: SecretStr | None = None
    backup_s3_secret_access_key: SecretStr | None = None
    aws_endpoint_url: str | None = None
    event_bus_name: str | None = Field(
        default=None, description="EventBridge bus for 'schedule changed'; unset = in-process"
    )
    hold_minutes: int = Field(default=15, ge=1, le=24 * 60)
    default_language: str = "ru"
    log_level: str = Field(
        default="INFO",
        pattern="^(?i:debug|info|warning|error|critical)$",
        validation_alias=AliasChoices("log_level", "powertools_log_level"),
        description="level of the handlers' and the fpv.* loggers (template: LogLevel)",
    )
    aws_lambda_function_name: str | None = Field(
        default=None, description="set by Lambda itself: the code runs in AWS"
    )
    secrets_arn: str | None = Field(
        default=None, description="AWS: Secrets Manager secret (JSON) with the secret settings"
    )

    def database_url_value(self) -> str | None:
        return self.database_url.get_secret_value() if self.database_url else None


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
