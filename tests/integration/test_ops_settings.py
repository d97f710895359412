"""Deployment settings (issue 14 item 4): DATABASE_URL made from the template-created database's
secret (moto Secrets Manager); backups to an S3-compatible store by endpoint URL and its own keys
(moto's server on 127.0.0.1 stands in for such a store)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from fpv.db import ConnectionParams
from fpv.settings import Settings, get_settings
from tests.support.aws import REGION, fake_credentials


@pytest.fixture
def secrets(monkeypatch) -> Iterator[object]:
    import boto3
    from moto import mock_aws

    fake_credentials(monkeypatch)
    for name in ("SECRETS_ARN", "DATABASE_URL", "DATABASE_SECRET_ARN", "DATABASE_HOST"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        get_settings.cache_clear()
        yield boto3.client("secretsmanager", region_name=REGION)
    get_settings.cache_clear()


def _secret(client, name: str, value: dict) -> str:
    return client.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]


RDS_SECRET = {
    "engine": "postgres",
    "username": "fpv",
    "password": "p@ss/w:rd?",
    "host": "fpv-db.abc.eu-central-1.rds.amazonaws.com",
    "port": 5432,
    "dbname": "fpv",
}


def test_database_url_from_the_rds_secret(secrets, monkeypatch):
    main = _secret(secrets, "fpv/app", {"TELEGRAM_BOT_TOKEN": "1:x"})
    rds = _secret(secrets, "fpv/db", RDS_SECRET)
    monkeypatch.setenv("SECRETS_ARN", main)
    monkeypatch.setenv("DATABASE_SECRET_ARN", rds)
    settings = get_settings()
    params = ConnectionParams.from_url(settings.database_url_value())
    assert (params.user, params.password, params.host, params.database) == (
        "fpv",
        "p@ss/w:rd?",
        RDS_SECRET["host"],
        "fpv",
    )
    assert params.sslmode == "verify-full"
    assert settings.telegram_bot_token.get_secret_value() == "1:x"


def test_the_proxy_endpoint_replaces_the_instance_host(secrets, monkeypatch):
    monkeypatch.setenv("SECRETS_ARN", _secret(secrets, "fpv/app", {}))
    monkeypatch.setenv("DATABASE_SECRET_ARN", _secret(secrets, "fpv/db", RDS_SECRET))
    monkeypatch.setenv("DATABASE_HOST", "fpv-proxy.proxy-abc.eu-central-1.rds.amazonaws.com")
    url = get_settings().database_url_value()
    assert ConnectionParams.from_url(url).host.startswith("fpv-proxy.proxy-abc")


def test_a_url_in_the_main_secret_wins(secrets, monkeypatch):
    url = "postgresql://u:p@db.example.ru:6432/club?sslmode=verify-full"
    monkeypatch.setenv("SECRETS_ARN", _secret(secrets, "fpv/app", {"DATABASE_URL": url}))
    monkeypatch.setenv("DATABASE_SECRET_ARN", _secret(secrets, "fpv/db", RDS_SECRET))
    assert get_settings().database_url_value() == url


def test_an_unfilled_database_secret_is_a_clear_error(secrets, monkeypatch):
    monkeypatch.setenv("SECRETS_ARN", _secret(secrets, "fpv/app", {}))
    monkeypatch.setenv("DATABASE_SECRET_ARN", _secret(secrets, "fpv/db", {"username": "fpv"}))
    with pytest.raises(ValueError, match="lacks password, host"):
        get_settings()


def test_backups_go_to_an_s3_compatible_store_with_its_own_keys(db_url, monkeypatch, tmp_path):
    import boto3
    from moto.server import ThreadedMotoServer

    from fpv.jobs import backup_job

    # no AWS credentials in the environment at all: only the store's own keys can work
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        keys = {"aws_access_key_id": "store-key", "aws_secret_access_key": "store-secret"}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="ru-central1", **keys)
        client.create_bucket(
            Bucket="club-backups", CreateBucketConfiguration={"LocationConstraint": "ru-central1"}
        )
        settings = Settings(
            database_url=db_url,
            backup_url="s3://club-backups/fpv",
            backup_s3_endpoint_url=endpoint,
            backup_s3_region="ru-central1",
            backup_s3_access_key_id="store-key",
            backup_s3_secret_access_key="store-secret",
        )
        backup_job._stores.clear()
        result = backup_job.backup_from_settings(settings)
        keys_written = [o["Key"] for o in client.list_objects_v2(Bucket="club-backups")["Contents"]]
        assert result.manifest_key.endswith("manifest.json")
        assert any(k.startswith("fpv/") and k.endswith("manifest.json") for k in keys_written)
    finally:
        backup_job._stores.clear()
        server.stop()
