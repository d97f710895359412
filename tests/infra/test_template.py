"""The SAM template: linted, validated and built offline; its promises checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fpv.local.template import _CfnLoader, load_template
from fpv.tooling.layer_requirements import render

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def _sam() -> str:
    sam = os.environ.get("SAM_CLI") or shutil.which("sam")
    if not sam or not Path(sam).exists():
        pytest.skip("SAM CLI not installed (make test installs it into .venv-sam)")
    return sam


def _doc() -> dict:
    import yaml

    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def test_cfn_lint_is_clean():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_validate_lint(tmp_path):
    result = subprocess.run(
        [_sam(), "validate", "--lint", "--template-file", str(TEMPLATE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "eu-central-1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sam_build_succeeds(tmp_path):
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    python312 = shutil.which("python3.12", path=env["PATH"])
    if not python312 or subprocess.run([python312, "-c", ""], env=env, check=False).returncode:
        pytest.skip("sam build needs python3.12 (the Lambda runtime) on PATH; none here")
    result = subprocess.run(
        [
            _sam(),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(tmp_path / "b"),
            "--cache-dir",
            str(ROOT / ".fpv" / "sam-cache"),
            "--cached",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=900,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "b" / "FpvLayer" / "python" / "fpv" / "migrations").is_dir()
    assert (tmp_path / "b" / "DepsLayer" / "python" / "telegram").is_dir()
    assert (tmp_path / "b" / "DepsLayer" / "python" / "fpdf").is_dir()
    fonts = tmp_path / "b" / "FpvLayer" / "python" / "fpv" / "admin" / "fonts"
    assert (fonts / "DejaVuSans.ttf").is_file() and (fonts / "LICENSE").is_file()
    assert (tmp_path / "b" / "AdminPageLayer" / "admin-page" / "index.html").is_file()
    # the channel search's compiled copy (make native) ships in the layer and is the one used
    layer = tmp_path / "b" / "FpvLayer" / "python"
    if list((ROOT / "shared" / "fpv" / "channels").glob("_native_search*.so")):
        probe = subprocess.run(
            [python312, "-c", "from fpv.channels import search; print(search.NATIVE is not None)"],
            capture_output=True,
            text=True,
            env={"PATH": env["PATH"], "PYTHONPATH": str(layer)},
            cwd=tmp_path,
            check=False,
        )
        assert probe.stdout.strip() == "True", probe.stdout + probe.stderr


def test_every_function_follows_the_house_rules():
    doc = _doc()
    globals_fn = doc["Globals"]["Function"]
    assert globals_fn["Runtime"] == "python3.12"
    functions = {
        k: v for k, v in doc["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }
    assert "HealthFunction" in functions
    for name, resource in functions.items():
        props = resource["Properties"]
        code = ROOT / props["CodeUri"]
        assert code.parent == ROOT / "functions", f"{name}: handlers live in functions/<name>/"
        assert (code / "app.py").is_file(), name
        assert "Runtime" not in props, f"{name}: the runtime comes from Globals"
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "HttpApi":
                assert event["Properties"]["ApiId"] == {"Ref": "HttpApi"}, name


def test_local_gateway_reads_the_same_template():
    template = load_template(TEMPLATE)
    doc = _doc()
    functions = {k for k, v in doc["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert set(template.functions) == functions


def test_layer_requirements_match_pyproject():
    assert (ROOT / "layers" / "deps" / "requirements.txt").read_text() == render(
        ROOT / "pyproject.toml"
    ), "run `make layer-requirements`"


def test_no_secret_values_in_the_template():
    text = TEMPLATE.read_text()
    for name in (
        "TELEGRAM_BOT_TOKEN:",
        "DATABASE_URL:",
        "PAYMENT_PROVIDER_TOKEN:",
        "OPENAI_API_KEY:",
    ):
        assert name not in text, f"{name} must come from Secrets Manager (SECRETS_ARN)"


# ---- operations (issue 14): what the parsed template promises -----------------------------


def _resources(kind: str) -> dict[str, dict]:
    return {k: v for k, v in _doc()["Resources"].items() if v["Type"] == kind}


def _getatt(value: dict) -> tuple[str, str]:
    """(resource, attribute) of a GetAtt in either form ("X.Arn" or [X, Arn])."""
    target = value["Fn::GetAtt"]
    return tuple(target.split(".", 1)) if isinstance(target, str) else tuple(target)


def _alarms() -> dict[str, dict]:
    return _resources("AWS::CloudWatch::Alarm")


def _notifies_topic(alarm: dict) -> bool:
    props = alarm["Properties"]
    topic = {"Ref": "OpsAlarmTopic"}
    return topic in (props.get("AlarmActions") or []) and topic in (props.get("OKActions") or [])


def _lambda_alarm(function: str, metric: str) -> list[str]:
    return [
        name
        for name, alarm in _alarms().items()
        if alarm["Properties"].get("Namespace") == "AWS/Lambda"
        and alarm["Properties"].get("MetricName") == metric
        and {"Name": "FunctionName", "Value": {"Ref": function}}
        in (alarm["Properties"].get("Dimensions") or [])
    ]


def test_every_alarm_notifies_the_ops_topic_on_alarm_and_ok():
    alarms = {**_alarms(), **_resources("AWS::CloudWatch::CompositeAlarm")}
    assert len(alarms) > 20
    silent = [name for name, alarm in alarms.items() if not _notifies_topic(alarm)]
    assert not silent, f"alarms that reach nobody: {silent}"


def test_every_function_has_errors_and_throttles_alarms():
    for name in _resources("AWS::Serverless::Function"):
        assert _lambda_alarm(name, "Errors"), f"{name}: no errors alarm"
        assert _lambda_alarm(name, "Throttles"), f"{name}: no throttles alarm"


def test_every_dead_letter_queue_has_an_alarm():
    resources = _doc()["Resources"]
    dlqs = {
        _getatt(props["RedrivePolicy"]["deadLetterTargetArn"])[0]
        for r in resources.values()
        if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in (props := r["Properties"])
    }
    for r in _resources("AWS::Serverless::Function").values():
        on_failure = (
            ((r["Properties"].get("EventInvokeConfig") or {}).get("DestinationConfig") or {})
            .get("OnFailure", {})
            .get("Destination")
        )
        if on_failure:
            dlqs.add(_getatt(on_failure)[0])
    assert dlqs == {"SitePublisherDeadLetterQueue", "AlarmForwarderDeadLetterQueue"}
    for dlq in dlqs:
        watching = [
            a
            for a in _alarms().values()
            if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and _getatt(a["Properties"]["Dimensions"][0]["Value"]) == (dlq, "QueueName")
            and a["Properties"]["Threshold"] == 1
        ]
        assert watching, f"{dlq}: no alarm when it is not empty"


def test_the_platform_alarms_exist():
    metrics = {
        (a["Properties"].get("Namespace"), a["Properties"]["MetricName"])
        for a in _alarms().values()
    }
    for wanted in [
        ("AWS/ApiGateway", "5xx"),
        ("FPV", "BotHandlerError"),
        ("FPV", "ScheduledJobFailed"),
        ("FPV", "PaymentFailed"),
        ("FPV", "RefundFailed"),
        ("FPV", "BackupSucceeded"),
        ("FPV", "RemindersSkippedLate"),
        ("FPV", "SitePublishFailed"),
        ("FPV", "DatabaseProbeSucceeded"),
        ("FPV", "DatabaseLatency"),
    ]:
        assert wanted in metrics, wanted
    api = next(a for a in _alarms().values() if a["Properties"]["MetricName"] == "5xx")
    assert api["Properties"]["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": "HttpApi"}}]
    backup = next(
        a for a in _alarms().values() if a["Properties"]["MetricName"] == "BackupSucceeded"
    )
    assert backup["Properties"]["Period"] * backup["Properties"]["EvaluationPeriods"] == 26 * 3600
    assert backup["Properties"]["TreatMissingData"] == "breaching"


def test_the_database_probe_is_scheduled_with_the_sample_input():
    import json

    health = _doc()["Resources"]["HealthFunction"]["Properties"]["Events"]["DatabaseProbe"]
    assert health["Type"] == "ScheduleV2"
    assert json.loads(health["Properties"]["Input"]) == json.loads(
        (ROOT / "events" / "scheduler-database-probe.json").read_text()
    )


def test_every_function_logs_into_its_own_group_with_retention():
    resources = _doc()["Resources"]
    groups = _resources("AWS::Logs::LogGroup")
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    for name, fn in _resources("AWS::Serverless::Function").items():
        ref = (fn["Properties"].get("LoggingConfig") or {}).get("LogGroup")
        assert ref and ref["Ref"] in groups, f"{name}: no log group of its own"
    assert _doc()["Parameters"]["LogRetentionDays"]["Default"] == 30
    assert "Tracing" not in _doc()["Globals"]["Function"], "no Tracer in the code: no X-Ray"
    assert resources


def _statements(policy) -> list[dict]:
    if isinstance(policy, dict) and "Fn::If" in policy:
        return [s for branch in policy["Fn::If"][1:] for s in _statements(branch)]
    if isinstance(policy, dict) and "Statement" in policy:
        return policy["Statement"]
    return []


def test_no_function_may_do_anything_on_everything():
    for name, fn in _resources("AWS::Serverless::Function").items():
        for policy in fn["Properties"].get("Policies") or []:
            assert not isinstance(policy, str) or policy not in (
                "AdministratorAccess",
                "PowerUserAccess",
            ), name
            for st in _statements(policy):
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                assert not any(a == "*" or a.endswith(":*") for a in actions), (name, actions)
                assert "*" not in resources, (name, resources)


DATABASE_ENV = {"DATABASE_SECRET_ARN", "DATABASE_HOST", "DATABASE_SSLROOTCERT"}


def test_the_database_url_reaches_functions_only_through_the_secret():
    """No function gets a database URL (or password) in plain environment variables: the URL
    is in the secret (SECRETS_ARN) or made from the created database's own secret."""
    import json

    doc = _doc()
    globals_env = doc["Globals"]["Function"]["Environment"]["Variables"]
    envs = [("Globals", globals_env)] + [
        (name, ((fn["Properties"].get("Environment") or {}).get("Variables")) or {})
        for name, fn in _resources("AWS::Serverless::Function").items()
    ]
    for where, env in envs:
        names = {k for k in env if "DATABASE" in k or "PASSWORD" in k}
        assert names <= DATABASE_ENV, (where, names)
        assert "postgres" not in json.dumps(env).lower(), where
    assert globals_env["SECRETS_ARN"] == {
        "Fn::If": ["HasSecrets", {"Ref": "SecretsArn"}, {"Ref": "AppSecret"}]
    }
    assert globals_env["DATABASE_SECRET_ARN"]["Fn::If"][1] == {"Ref": "DatabaseSecret"}
    for name, fn in _resources("AWS::Serverless::Function").items():
        readable = json.dumps(fn["Properties"].get("Policies"))
        assert '"AppSecret"' in readable and '"DatabaseSecret"' in readable, name


def test_create_mode_makes_an_encrypted_tls_only_database_in_private_subnets():
    doc = _doc()
    res = doc["Resources"]
    assert doc["Parameters"]["DatabaseMode"]["AllowedValues"] == ["create", "external"]
    db = res["Database"]
    props = db["Properties"]
    assert db["Condition"] == "CreateDatabase" and db["DeletionPolicy"] == "Snapshot"
    assert props["Engine"] == "postgres" and props["EngineVersion"].split(".")[0] == "16"
    assert props["StorageEncrypted"] is True and props["KmsKeyId"] == {"Ref": "DatabaseKey"}
    assert props["PubliclyAccessible"] is False
    assert props["BackupRetentionPeriod"] == {"Ref": "DatabaseBackupRetentionDays"}
    assert "resolve:secretsmanager" in props["MasterUserPassword"]["Fn::Sub"]
    params = res[props["DBParameterGroupName"]["Ref"]]["Properties"]
    assert params["Family"] == "postgres16" and params["Parameters"]["rds.force_ssl"] == "1"
    subnets = res[props["DBSubnetGroupName"]["Ref"]]["Properties"]["SubnetIds"]
    assert subnets == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]
    for subnet in ("PrivateSubnetA", "PrivateSubnetB"):
        assert "MapPublicIpOnLaunch" not in res[subnet]["Properties"]
    routes = [r["Properties"] for r in res.values() if r["Type"] == "AWS::EC2::Route"]
    private = next(r for r in routes if r["RouteTableId"] == {"Ref": "PrivateRouteTable"})
    assert "NatGatewayId" in private and "GatewayId" not in private
    vpc = doc["Globals"]["Function"]["VpcConfig"]["Fn::If"]
    assert vpc[0] == "CreateDatabase" and vpc[1]["SubnetIds"] == subnets
    ingress = res["DatabaseSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert [i["SourceSecurityGroupId"] for i in ingress] == [{"Ref": "FunctionSecurityGroup"}]
    proxy = res["DatabaseProxy"]
    assert proxy["Condition"] == "UseDatabaseProxy" and proxy["Properties"]["RequireTLS"] is True
    env = doc["Globals"]["Function"]["Environment"]["Variables"]
    assert env["DATABASE_SSLROOTCERT"] == {
        "Fn::If": ["UseDatabaseProxy", "system", {"Fn::If": ["CreateDatabase", "rds", "system"]}]
    }


def test_the_stack_creates_the_secret_the_operator_fills():
    res = _doc()["Resources"]
    secret = res["AppSecret"]
    assert secret["Condition"] == "CreateAppSecret"
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "TELEGRAM_WEBHOOK_SECRET"
    assert generated["ExcludePunctuation"] is True  # Telegram allows A-Z a-z 0-9 _ -
    assert "TELEGRAM_BOT_TOKEN" in generated["SecretStringTemplate"]


def test_the_alarm_topic_feeds_the_forwarder():
    resources = _doc()["Resources"]
    [sub] = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::SNS::Subscription"
        and r["Properties"]["TopicArn"] == {"Ref": "OpsAlarmTopic"}
    ]
    assert sub["Protocol"] == "sqs"
    queue, _ = _getatt(sub["Endpoint"])
    events = resources["AlarmForwarderFunction"]["Properties"]["Events"]
    [source] = [e["Properties"] for e in events.values() if e["Type"] == "SQS"]
    assert _getatt(source["Queue"]) == (queue, "Arn")
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["MaximumBatchingWindowInSeconds"] >= 10  # a storm arrives as one batch
    redrive = resources[queue]["Properties"]["RedrivePolicy"]
    assert _getatt(redrive["deadLetterTargetArn"]) == ("AlarmForwarderDeadLetterQueue", "Arn")
    [policy] = [r for r in resources.values() if r["Type"] == "AWS::SQS::QueuePolicy"]
    statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == {"Ref": "OpsAlarmTopic"}


def test_the_dashboard_shows_every_alarm():
    import json
    import re

    body = _doc()["Resources"]["OpsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    shown = set(re.findall(r"\$\{(\w+)\.Arn\}", body))
    everything = set(_alarms()) | set(_resources("AWS::CloudWatch::CompositeAlarm"))
    assert shown == everything
    assert any(w["type"] == "metric" for w in widgets)


def _distribution() -> dict:
    return _doc()["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]


def test_cloudfront_serves_the_admin_page_and_the_api_on_one_origin():
    config = _distribution()
    origins = {o["Id"]: o for o in config["Origins"]}
    api = origins["HttpApiOrigin"]
    assert "${HttpApi}.execute-api" in api["DomainName"]["Fn::Sub"]
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behaviors = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    # /api/*: never cached, every method, the viewer's headers/cookies/query but Host
    api_behavior = behaviors["/api/*"]
    assert api_behavior["TargetOriginId"] == "HttpApiOrigin"
    assert api_behavior["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Disabled
    assert api_behavior["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert set(api_behavior["AllowedMethods"]) >= {"GET", "POST", "PATCH", "DELETE", "PUT"}
    assert "DefaultTTL" not in api_behavior and "ForwardedValues" not in api_behavior
    # /admin*: the bucket's admin/ files, its index found by the viewer-request function
    admin = behaviors["/admin*"]
    assert admin["TargetOriginId"] == "SiteBucketOrigin"
    assert admin["ResponseHeadersPolicyId"] == {"Ref": "SiteResponseHeadersPolicy"}
    [association] = admin["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    code = _doc()["Resources"]["AdminIndexFunction"]["Properties"]["FunctionCode"]
    assert '"/admin/index.html"' in code and '"/admin/"' in code
    # error pages apply to every behavior: a 404 mapping would hide the APIs' problem JSON
    assert [e["ErrorCode"] for e in config["CustomErrorResponses"]] == [403]


def test_the_admin_page_is_built_by_sam_and_uploaded_at_deploy():
    resources = _doc()["Resources"]
    layer = resources["AdminPageLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"] == "static_site/admin/"
    makefile = (ROOT / "static_site" / "admin" / "Makefile").read_text()
    assert "build-AdminPageLayer:" in makefile and "npm ci" in makefile
    assert "$(ARTIFACTS_DIR)/admin-page" in makefile  # /opt/admin-page in the function
    hooks = resources["DeployHooksFunction"]["Properties"]
    assert {"Ref": "AdminPageLayer"} in hooks["Layers"]
    upload = resources["AdminPageUpload"]
    assert upload["Type"] == "Custom::AdminPage"
    props = upload["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": "DeployHooksFunction.Arn"}
    assert props["Bucket"] == {"Ref": "SiteBucket"} and props["Prefix"] == "admin/"
    assert props["Version"] == {"Ref": "AdminPageLayer"}  # every new build uploads again
    # the hooks may write only the admin/ part of the site bucket
    policies = [p for p in hooks["Policies"] if isinstance(p, dict) and "Statement" in p]
    statements = [s for p in policies for s in p["Statement"]]
    s3 = [s for s in statements if any(a.startswith("s3:") for a in s["Action"])]
    assert s3 and all(s["Resource"] == {"Fn::Sub": "${SiteBucket.Arn}/admin/*"} for s in s3)
    # no other function carries the page
    for name, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function" and name != "DeployHooksFunction":
            assert {"Ref": "AdminPageLayer"} not in resource["Properties"].get("Layers", [])
