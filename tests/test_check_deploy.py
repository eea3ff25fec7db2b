"""``manage.py check --deploy --fail-level WARNING`` passes with the
production environment the README documents, and fails when that
environment is wrong (DEBUG on, SECRET_KEY missing, HTTPS off).

Each case runs Django in a subprocess with ``config.settings`` (not the test
settings) and an environment stripped of every variable settings.py reads."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_SOURCE = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
# Every variable config/settings.py reads: none may leak in from the shell
# that runs the tests.
SETTINGS_ENV = set(re.findall(r"""(?:os\.environ\.get|os\.environ\[|env_bool|env_list)\(?\s*["']([A-Z0-9_]+)["']""", SETTINGS_SOURCE))

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(64),  # 86 characters, random
    "ALLOWED_HOSTS": "dealerops.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://dealerops.example.com",
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
}


@pytest.fixture(scope="module")
def checks() -> dict[str, subprocess.CompletedProcess]:
    """Run every case at once (each is a separate Django start-up)."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=_env(overrides),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, overrides in CASES.items()
    }
    results = {}
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


def _output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def test_settings_env_list_is_found():
    # The stripping above only works if the regex sees the settings' variables.
    assert {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SECURE", "DATABASE_URL"} <= SETTINGS_ENV


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
