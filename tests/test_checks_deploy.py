"""``manage.py check --deploy --fail-level WARNING`` passes with the
production environment the README documents (every variable of its
"Deploying" table), and fails when that environment is wrong: DEBUG on,
SECRET_KEY missing, HTTPS off, and — ``accounts/checks.py`` — each webhook
secret or outside-service backend left at its development default, a
simulated backend chosen, a production backend without its credentials.

Each case runs Django in a subprocess with ``config.settings`` (not the test
settings) and an environment stripped of every variable settings.py reads."""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts import checks as deploy_checks

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
# Every variable config/settings.py reads: none may leak in from the shell
# that runs the tests.
SETTINGS_ENV = set(re.findall(r"""(?:os\.environ\.get|os\.environ\[|env_bool|env_list)\(?\s*["']([A-Z0-9_]+)["']""", SETTINGS_SOURCE))

README_SOURCE = (ROOT / "README.md").read_text(encoding="utf-8")


def _wechatpay_key_files() -> tuple[str, str]:
    """A merchant private key and a WeChat Pay public key, as the merchant
    platform hands them out (apiclient_key.pem, pub_key.pem)."""
    folder = Path(tempfile.mkdtemp(prefix="wechatpay-deploy-check-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    platform = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    (folder / "apiclient_key.pem").write_bytes(merchant.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / "pub_key.pem").write_bytes(platform.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return str(folder / "apiclient_key.pem"), str(folder / "pub_key.pem")


WECHATPAY_PRIVATE_KEY, WECHATPAY_PUBLIC_KEY = _wechatpay_key_files()

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),  # 86 characters, random
    "ALLOWED_HOSTS": "dealerops.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dealerops.example.com",
    # Nothing connects to these during the checks: port 9 answers nothing.
    "DATABASE_URL": "postgres://dealerops:secret@127.0.0.1:9/dealerops",
    "REDIS_URL": "redis://127.0.0.1:9/0",
    "TRUSTED_PROXY_COUNT": "1",  # nginx in front of gunicorn
    "PUBLIC_SITE_URL": "https://dealerops.example.com",
    "TELEPHONY_WEBHOOK_SECRET": secrets.token_urlsafe(48),
    "SMS_WEBHOOK_SECRET": secrets.token_urlsafe(48),
    "PLATE_WEBHOOK_SECRET": secrets.token_urlsafe(48),
    "SMS_BACKEND": "accounts.outbox.backends.AliyunSmsBackend",
    "ALIYUN_SMS_ACCESS_KEY_ID": "LTAI-sms-key-id",
    "ALIYUN_SMS_ACCESS_KEY_SECRET": "sms-key-secret",
    "ALIYUN_SMS_SIGN_NAME": "DealerOps",
    "WECHAT_BACKEND": "accounts.outbox.backends.WeChatSubscribeBackend",
    "WECHAT_LOGIN_CLIENT": "accounts.auth.wechat.JsCode2SessionClient",
    "WECHAT_APP_ID": "wx0123456789abcdef",
    "WECHAT_APP_SECRET": "wechat-app-secret",
    "WECOM_BACKEND": "accounts.outbox.backends.WeComAppMessageBackend",
    "WECOM_CORP_ID": "ww0123456789abcdef",
    "WECOM_CORP_SECRET": "wecom-app-secret",
    "WECOM_AGENT_ID": "1000002",
    "TELEPHONY_BACKEND": "accounts.telephony.AliyunPrivacyNumberTelephony",
    "ALIYUN_PLS_ACCESS_KEY_ID": "LTAI-pls-key-id",
    "ALIYUN_PLS_ACCESS_KEY_SECRET": "pls-key-secret",
    "ALIYUN_PLS_POOL_KEY": "FC100000000000000",
    "PAYMENT_BACKEND": "mall.payments.wechatpay_v3.WeChatPayV3Backend",
    "WECHATPAY_MCHID": "1900000109",
    "WECHATPAY_MERCHANT_SERIAL_NO": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    "WECHATPAY_PRIVATE_KEY_PATH": WECHATPAY_PRIVATE_KEY,
    "WECHATPAY_APIV3_KEY": "a" * 32,
    "WECHATPAY_PLATFORM_CERT_PATH": WECHATPAY_PUBLIC_KEY,
    "WECHATPAY_PLATFORM_SERIAL": "PUB_KEY_ID_0112345678202406180012345678901234",
}

# Left out, each of these falls back to a development default that the deploy
# check refuses, with this id.
UNSAFE_DEFAULTS = {
    "TELEPHONY_WEBHOOK_SECRET": "dealerops.E001",
    "SMS_WEBHOOK_SECRET": "dealerops.E001",
    "PLATE_WEBHOOK_SECRET": "dealerops.E001",
    "SMS_BACKEND": "dealerops.E002",
    "WECHAT_BACKEND": "dealerops.E002",
    "WECHAT_LOGIN_CLIENT": "dealerops.E002",
    "WECOM_BACKEND": "dealerops.E002",
    "TELEPHONY_BACKEND": "dealerops.E002",
    "PAYMENT_BACKEND": "dealerops.E002",
    "DATABASE_URL": "dealerops.W001",
    "REDIS_URL": "dealerops.W002",
    "TRUSTED_PROXY_COUNT": "dealerops.E005",
    "PUBLIC_SITE_URL": "dealerops.W003",
}
# Set wrong: the variable, its value and the id that refuses it.
WRONG_VALUES = {
    "inapp_local": ("INAPP_BACKEND", "accounts.outbox.backends.LocalBackend", "dealerops.E002"),
    "public_site_http": ("PUBLIC_SITE_URL", "http://dealerops.example.com", "dealerops.W003"),
    "sms_secret_short": ("SMS_WEBHOOK_SECRET", "x" * 31, "dealerops.E001"),
    "telephony_secret_dev": ("TELEPHONY_WEBHOOK_SECRET", "dev-" + "x" * 40, "dealerops.E001"),
    "sms_backend_typo": ("SMS_BACKEND", "accounts.outbox.backends.AliyunSMSBackend", "dealerops.E003"),
    "sms_credential_missing": ("ALIYUN_SMS_ACCESS_KEY_SECRET", "", "dealerops.E004"),
    "wecom_credential_missing": ("WECOM_AGENT_ID", None, "dealerops.E004"),
    "wechatpay_credential_missing": ("WECHATPAY_APIV3_KEY", None, "dealerops.E004"),
    "wechatpay_apiv3_key_short": ("WECHATPAY_APIV3_KEY", "a" * 31, "dealerops.E007"),
    "wechatpay_private_key_missing": ("WECHATPAY_PRIVATE_KEY_PATH", "/nonexistent/apiclient_key.pem", "dealerops.E007"),
    "wechatpay_platform_key_not_a_key": ("WECHATPAY_PLATFORM_CERT_PATH", str(ROOT / "README.md"), "dealerops.E007"),
    "wechatpay_public_key_without_id": ("WECHATPAY_PLATFORM_SERIAL", None, "dealerops.E007"),
    "wechatpay_mchid_not_a_number": ("WECHATPAY_MCHID", "mch-1900000109", "dealerops.E007"),
}


def _env(overrides: dict[str, str | None]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV and not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key, value in {**PRODUCTION, **overrides}.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


CASES = {
    "production": {},
    "debug_on": {"DEBUG": "1"},
    "secret_key_missing": {"SECRET_KEY": None, "SECURE": "1"},
    "https_off": {"SECURE": "0"},
    # No proxy in front (no SECURE_PROXY_SSL_HEADER): X-Forwarded-For is rightly ignored.
    "no_proxy": {"SECURE": "0", "TRUSTED_PROXY_COUNT": None},
    **{f"without_{name}": {name: None} for name in UNSAFE_DEFAULTS},
    **{case: {name: value} for case, (name, value, _) in WRONG_VALUES.items()},
}


@pytest.fixture(scope="module")
def checks() -> dict[str, subprocess.CompletedProcess]:
    """Run every case (each is a separate Django start-up), a few at a time:
    dozens at once on a busy 2-core machine starved each other past the timeout."""

    def run(overrides) -> subprocess.CompletedProcess:
        command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
        try:
            return subprocess.run(command, cwd=ROOT, env=_env(overrides), capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(command, -9, exc.stdout or "", f"timed out after 300 s\n{exc.stderr or ''}")

    with ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2) * 2)) as pool:
        futures = {name: pool.submit(run, overrides) for name, overrides in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


def _output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def _ids(result: subprocess.CompletedProcess) -> list[str]:
    return re.findall(r"\((\w+\.[EW]\d+)\)", _output(result))


def test_settings_env_list_is_found():
    # The stripping above only works if the regex sees the settings' variables.
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE", "DATABASE_URL"} <= SETTINGS_ENV
    assert set(PRODUCTION) <= SETTINGS_ENV


def test_production_sets_exactly_what_the_readme_says_must_be_set():
    section = README_SOURCE.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    assert set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table)) == set(PRODUCTION)


def test_every_registered_setting_has_an_unsafe_default_case():
    checked = set(deploy_checks.WEBHOOK_SECRET_SETTINGS) | (set(deploy_checks.BACKEND_SETTINGS) - {"INAPP_BACKEND"})
    assert checked <= set(UNSAFE_DEFAULTS)


def test_production_environment_passes_the_deploy_check(checks):
    result = checks["production"]
    assert result.returncode == 0, _output(result)
    assert "System check identified no issues" in _output(result)


def test_debug_on_fails_the_deploy_check(checks):
    result = checks["debug_on"]
    assert result.returncode != 0
    assert "security.W018" in _output(result)  # DEBUG in deployment


def test_missing_secret_key_fails_even_with_https_on(checks):
    """The built-in development key is public: check --deploy must flag it."""
    result = checks["secret_key_missing"]
    assert result.returncode != 0
    output = _output(result)
    assert "security.W009" in output
    # HTTPS settings were on (SECURE=1), so the key is the only complaint.
    assert re.findall(r"security\.W\d+", output) == ["security.W009"]


def test_https_off_fails_the_deploy_check(checks):
    result = checks["https_off"]
    assert result.returncode != 0
    output = _output(result)
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):  # HSTS, redirect, cookies
        assert warning in output, warning
    assert "security.W018" not in output


def test_no_proxy_count_is_needed_without_a_proxy(checks):
    assert "dealerops.E005" not in _ids(checks["no_proxy"]), _output(checks["no_proxy"])
    assert "dealerops.E005" in _ids(checks["without_TRUSTED_PROXY_COUNT"])


@pytest.mark.parametrize("name", UNSAFE_DEFAULTS)
def test_each_development_default_fails_the_deploy_check(checks, name):
    result = checks[f"without_{name}"]
    assert result.returncode != 0
    assert _ids(result) == [UNSAFE_DEFAULTS[name]], _output(result)
    assert name in _output(result)


@pytest.mark.parametrize("case", WRONG_VALUES)
def test_each_wrong_value_fails_the_deploy_check(checks, case):
    name, _, check_id = WRONG_VALUES[case]
    result = checks[case]
    assert result.returncode != 0
    assert _ids(result) == [check_id], _output(result)
    assert name in _output(result)


def test_a_backend_setting_registered_by_a_higher_app_is_checked_too(settings, monkeypatch):
    """How a payments backend joins later: register its setting, mark its local class simulated."""
    monkeypatch.setattr(deploy_checks, "BACKEND_SETTINGS", list(deploy_checks.BACKEND_SETTINGS))
    deploy_checks.register_backend_setting("PAYMENT_BACKEND")
    settings.DEBUG = False
    settings.PAYMENT_BACKEND = "accounts.outbox.backends.LocalBackend"
    assert [e.id for e in deploy_checks.backends_check() if "PAYMENT_BACKEND" in e.msg] == ["dealerops.E002"]
    settings.DEBUG = True  # development may simulate it
    assert [e.id for e in deploy_checks.backends_check() if "PAYMENT_BACKEND" in e.msg] == []


def test_the_queue_redelivers_no_task_that_may_still_run(settings):
    """django-q2 hands a task nobody acknowledged within Q_CLUSTER's retry to
    another worker: with retry (180 s) under the import job's timeout (15 min)
    a long import ran twice."""
    assert settings.Q_CLUSTER["retry"] > deploy_checks.TASK_TIMEOUTS["accounts.import_jobs"]
    assert deploy_checks.queue_retry_check() == []
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "retry": 180}
    assert [error.id for error in deploy_checks.queue_retry_check()] == ["dealerops.E006"]
