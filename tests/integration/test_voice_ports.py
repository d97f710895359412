"""How the webhook hands work to the voice_assistant function: Lambda's async invoke (moto)
when VOICE_ASSISTANT_FUNCTION is set, the local runner's background thread otherwise."""

from __future__ import annotations

import io
import threading
import zipfile

import pytest

from fpv import runtime
from fpv.ports.functions import InProcessFunctions, InvokeFailed, LambdaAsync
from fpv.settings import Settings
from tests.support.aws import REGION, fake_credentials


def test_lambda_async_invoke_hands_the_event_over(monkeypatch):
    import boto3
    from moto import mock_aws

    fake_credentials(monkeypatch)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="voice", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName="fpv-voice",
            Runtime="python3.12",
            Role=role,
            Handler="app.lambda_handler",
            Code={"ZipFile": code.getvalue()},
        )
        monkeypatch.setattr(runtime, "_functions", None)
        functions = runtime.async_functions(Settings(voice_assistant_function="fpv-voice"))
        assert isinstance(functions, LambdaAsync)
        functions.invoke_async("fpv-voice", {"chat_id": 1, "telegram_id": 1, "text": "hi"})


def test_lambda_unreachable_is_reported(monkeypatch):
    fake_credentials(monkeypatch)
    functions = LambdaAsync(endpoint_url="http://127.0.0.1:9")  # nothing listens there
    functions._client = None
    with pytest.raises(InvokeFailed):
        functions.invoke_async("fpv-voice", {"text": "hi"})


def test_in_process_invoke_returns_at_once_and_runs_in_the_background():
    started, release, done = threading.Event(), threading.Event(), []

    def slow(function: str, event: dict) -> None:
        started.set()
        release.wait(5)
        done.append((function, event))

    functions = InProcessFunctions(slow)
    functions.invoke_async("VoiceAssistantFunction", {"text": "hi"})
    assert started.wait(5) and done == []  # the caller did not wait
    release.set()
    functions.join(5)
    assert done == [("VoiceAssistantFunction", {"text": "hi"})]


def test_in_process_invoke_of_an_unknown_function_fails_at_once():
    ran = []
    functions = InProcessFunctions(lambda f, e: ran.append(f), known={"VoiceAssistantFunction"})
    with pytest.raises(InvokeFailed):
        functions.invoke_async("Elsewhere", {})
    functions.invoke_async("VoiceAssistantFunction", {})
    functions.join(5)
    assert ran == ["VoiceAssistantFunction"]


def test_no_invoker_locally_without_the_runner(monkeypatch):
    monkeypatch.setattr(runtime, "_functions", None)
    assert runtime.async_functions(Settings()) is None
