"""Deploy checks (``manage.py check --deploy``): production must not run on
development stand-ins.  README "Deploying" lists what to set.

- ``dealerops.E001`` a webhook secret is empty, a development value or
  shorter than ``MIN_WEBHOOK_SECRET_LENGTH``: anyone who knows it forges
  provider callbacks (call transcripts, SMS unsubscribes).
- ``dealerops.E002`` DEBUG is off and a backend setting names a *simulated*
  class (``simulated = True``): the local SMS/WeChat/WeCom backends deliver
  nothing, the local WeChat login client maps a code to the same openid every
  time (a replayed code signs in), the local telephony plays a script.
- ``dealerops.E003`` a backend setting names a class that cannot be imported.
- ``dealerops.E004`` a production backend's credentials (its
  ``required_settings``) are not set: every message or call would fail.
- ``dealerops.E007`` a production backend's settings are set but wrong: its
  ``check_settings()`` (a classmethod returning problems, e.g. the WeChat Pay
  adapter's key files that do not load or an APIv3 key that is not 32 bytes)
  reports them.
- ``dealerops.E005`` DEBUG is off, a proxy is in front (``SECURE_PROXY_SSL_HEADER``
  is set: README deploys gunicorn behind nginx) and ``ALLAUTH_TRUSTED_PROXY_COUNT``
  is 0 (or DRF's ``NUM_PROXIES`` disagrees with it): every request would come
  from the proxy's address, so each per-IP limit (failed passwords, SMS code
  requests, password resets) would be one bucket for the whole group and the
  per-IP-and-account login throttle would lock an account for everybody.
- ``dealerops.W001`` DEBUG is off on SQLite (production runs on PostgreSQL).
- ``dealerops.W002`` DEBUG is off without ``REDIS_URL``: rate limits, sign-in
  throttles and the cache would be per process.
- ``dealerops.W003`` DEBUG is off and ``PUBLIC_SITE_URL`` is not an ``https://``
  address off this machine: links in messages the worker sends would point at
  the development server.

Always (not only ``--deploy``):

- ``dealerops.E006`` ``Q_CLUSTER["retry"]`` is not longer than the longest
  task timeout (the cluster's ``timeout``, and every timeout in
  ``TASK_TIMEOUTS``): django-q2 hands an unacknowledged task to another
  worker after ``retry`` seconds, so a task still running would run twice.

The settings checked are registries: an app above ``accounts`` with its own
outside service (the mall's ``PAYMENT_BACKEND``) adds its backend setting and webhook secret
with ``register_backend_setting`` / ``register_webhook_secret`` from its
``AppConfig.ready()``, and marks its local class ``simulated = True``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from accounts import import_jobs

MIN_WEBHOOK_SECRET_LENGTH = 32
DEVELOPMENT_PREFIXES = ("dev-", "django-insecure", "change-me")

# Settings that name the class of an outside service.
BACKEND_SETTINGS: list[str] = [
    "SMS_BACKEND",
    "WECHAT_BACKEND",
    "WECOM_BACKEND",
    "INAPP_BACKEND",
    "WECHAT_LOGIN_CLIENT",
    "TELEPHONY_BACKEND",
]
# Settings that hold the HMAC key of a provider webhook.
WEBHOOK_SECRET_SETTINGS: list[str] = [
    "TELEPHONY_WEBHOOK_SECRET",
    "SMS_WEBHOOK_SECRET",
]


# Tasks queued with a timeout of their own (``async_task(..., timeout=…)``):
# name → seconds.  An app with such a task registers it here.
TASK_TIMEOUTS: dict[str, int] = {"accounts.import_jobs": import_jobs.TASK_TIMEOUT}


def register_backend_setting(name: str) -> None:
    if name not in BACKEND_SETTINGS:
        BACKEND_SETTINGS.append(name)


def register_webhook_secret(name: str) -> None:
    if name not in WEBHOOK_SECRET_SETTINGS:
        WEBHOOK_SECRET_SETTINGS.append(name)


@register(Tags.security, deploy=True)
def webhook_secrets_check(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for name in WEBHOOK_SECRET_SETTINGS:
        value = getattr(settings, name, "") or ""
        if value.lower().startswith(DEVELOPMENT_PREFIXES):
            problem = "is the development value"
        elif len(value) < MIN_WEBHOOK_SECRET_LENGTH:
            problem = f"is shorter than {MIN_WEBHOOK_SECRET_LENGTH} characters" if value else "is empty"
        else:
            continue
        errors.append(Error(
            f"{name} {problem}: anyone who knows it can forge the provider's signed callbacks.",
            hint=f"Set {name} to a random secret of at least {MIN_WEBHOOK_SECRET_LENGTH} characters, "
                 "shared only with the provider (python -c 'import secrets; print(secrets.token_urlsafe(48))').",
            id="dealerops.E001",
        ))
    return errors


@register(Tags.security, deploy=True)
def backends_check(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for name in BACKEND_SETTINGS:
        path = getattr(settings, name, None)
        if path is None:  # registered by an app whose setting is not defined: nothing configured
            continue
        try:
            backend = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"{name} = {path!r} cannot be imported: {exc}", id="dealerops.E003"))
            continue
        if getattr(backend, "simulated", False):
            if not settings.DEBUG:
                errors.append(Error(
                    f"{name} is {path}, which only simulates the service, and DEBUG is off.",
                    hint=f"Set {name} to the production adapter and its credentials (README, Deploying).",
                    id="dealerops.E002",
                ))
            continue
        missing = [setting for setting in getattr(backend, "required_settings", ()) if not getattr(settings, setting, "")]
        if missing:
            errors.append(Error(
                f"{name} is {path}, which needs {', '.join(missing)}.",
                hint="Set the provider's credentials (README, Deploying).",
                id="dealerops.E004",
            ))
        check_settings = getattr(backend, "check_settings", None)
        for problem in (check_settings() if callable(check_settings) else []):
            errors.append(Error(
                f"{name} is {path}: {problem}.",
                hint="Fix the provider's settings (README, Deploying).",
                id="dealerops.E007",
            ))
    return errors


@register(Tags.security, deploy=True)
def proxy_check(app_configs=None, **kwargs) -> list[Error]:
    if settings.DEBUG or not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return []
    count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0
    if not count:
        return [Error(
            "A proxy is in front (SECURE_PROXY_SSL_HEADER is set) but TRUSTED_PROXY_COUNT is 0: every request "
            "comes from the proxy's address, so each per-IP rate limit is one bucket for everybody.",
            hint="Set TRUSTED_PROXY_COUNT to the number of proxies of yours that append to X-Forwarded-For "
                 "(1 for nginx in front of gunicorn, README Deploying).",
            id="dealerops.E005",
        )]
    drf = (getattr(settings, "REST_FRAMEWORK", {}) or {}).get("NUM_PROXIES")
    if drf != count:
        return [Error(
            f"REST_FRAMEWORK['NUM_PROXIES'] is {drf!r} but ALLAUTH_TRUSTED_PROXY_COUNT is {count}: the API's "
            "throttles and the sign-in limits would see different client addresses.",
            hint="Leave NUM_PROXIES as config/settings.py sets it (from TRUSTED_PROXY_COUNT).",
            id="dealerops.E005",
        )]
    return []


@register(Tags.security, deploy=True)
def services_check(app_configs=None, **kwargs) -> list[Warning]:
    if settings.DEBUG:
        return []
    warnings = []
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        warnings.append(Warning(
            "The database is SQLite and DEBUG is off.",
            hint="Set DATABASE_URL to the production PostgreSQL database.",
            id="dealerops.W001",
        ))
    if not settings.REDIS_URL:
        warnings.append(Warning(
            "REDIS_URL is not set and DEBUG is off: rate limits, sign-in throttles and the cache "
            "are kept per process, and tasks go through the database broker.",
            hint="Set REDIS_URL.",
            id="dealerops.W002",
        ))
    site = urlsplit(settings.PUBLIC_SITE_URL)
    if site.scheme != "https" or site.hostname in (None, "", "localhost", "127.0.0.1", "::1"):
        warnings.append(Warning(
            f"PUBLIC_SITE_URL = {settings.PUBLIC_SITE_URL!r} and DEBUG is off: links in messages the "
            "worker sends (new used-car listings in nurture messages) would not reach the mini-site.",
            hint="Set PUBLIC_SITE_URL to the mini-site's public https:// origin.",
            id="dealerops.W003",
        ))
    return warnings


@register()
def queue_retry_check(app_configs=None, **kwargs) -> list[Error]:
    cluster = getattr(settings, "Q_CLUSTER", {}) or {}
    retry = cluster.get("retry", 60)
    timeouts = {"Q_CLUSTER['timeout']": cluster.get("timeout") or 0, **TASK_TIMEOUTS}
    name, longest = max(timeouts.items(), key=lambda item: item[1])
    if retry > longest:
        return []
    return [Error(
        f"Q_CLUSTER['retry'] is {retry} s, not longer than the longest task timeout ({name}: {longest} s): "
        "django-q2 would hand a task that is still running to a second worker.",
        hint="Set Q_CLUSTER['retry'] above every task timeout (config/settings.py).",
        id="dealerops.E006",
    )]
