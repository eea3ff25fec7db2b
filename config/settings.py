"""DealerOps settings.

Everything that differs between a laptop and production comes from the
environment (see README "Configuration").  Defaults give a working local
installation: SQLite in ``var/``, django-q2's ORM broker and the local
(outbox-printing) backends for SMS, WeChat and telephony.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
# The development default is public: its "django-insecure-" prefix makes
# ``manage.py check --deploy`` flag it (security.W009) if production forgets
# to set SECRET_KEY.
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "django-insecure-dev-only-key-change-me-in-production-0123456789abcdefghijkl"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "allauth.usersessions",
    "django_q",
    # DealerOps apps, bottom layer first (CONVENTIONS.md section 1).
    "accounts",
    "leads",
    "membership",
    "mall",
    "insurance",
    "usedcars",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "accounts.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "accounts.middleware.RequestBodyLimitsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------
(BASE_DIR / "var").mkdir(exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'dealerops.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A web server and a worker write to the same file: WAL lets readers go on
    # while one writer works, IMMEDIATE takes the write lock at BEGIN so two
    # writers queue instead of failing with "database is locked" mid-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test_dealerops.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, idempotency in-flight markers use the DB) ---------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/portal/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

ACCOUNT_ADAPTER = "accounts.auth.adapter.DealerOpsAccountAdapter"
# How allauth names a user ("signed in as …"): staff by name, owners by member name, never the username.
ACCOUNT_USER_DISPLAY = "accounts.labels.person_name"
ACCOUNT_LOGIN_METHODS = {"username", "phone"}
# "phone" without "*": a required phone makes allauth's PhoneVerificationStage
# abort every password login of a staff user who has no phone on file.
ACCOUNT_SIGNUP_FIELDS = ["phone", "username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 5 * 60
# SMS codes are six digits (allauth's default is "ABCD-EFGH", which an SMS
# provider's verification-code template refuses and a phone keypad can't type).
# A phone login code is generated in the phone-verification format.
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_FORMS = {"confirm_login_code": "accounts.auth.forms.SmsLoginCodeForm"}
ACCOUNT_PHONE_VERIFICATION_ENABLED = True
# No page or endpoint says whether an account exists (allauth's e-mail reset
# included); staff reset by SMS code (accounts.auth.password_reset).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Failed passwords: per IP, and per IP-and-account pair (our adapter makes
    # the key the pair), so guessing from one place never locks the account
    # for its owner elsewhere.  Bursts alert HQ (LOGIN_BURST_* below).
    "login_failed": "10/m/ip,5/5m/key",
    "confirm_login_code": "10/m/ip",
    # SMS code requests are counted by our adapter (``login_code_request``, key:
    # the number) before the number's account is looked up or opened; allauth's
    # own count runs after that lookup, so a refused request would already have
    # written an owner account: it is switched off.
    "login_code_request": "5/m/ip,3/m/key",
    "request_login_code": "",
    # Staff password reset by SMS code: per IP, and per username or mobile
    # (the mobile normalised: every way of typing it is one key).
    "staff_password_reset": "10/m/ip,3/10m/key",
    # Its code page: per IP, and per username/mobile (fewer than the 3 codes x
    # 5 tries the request limit and MAX_ATTEMPTS would allow).
    "staff_password_reset_code": "10/m/ip,10/10m/key",
}
STAFF_PASSWORD_RESET_MINUTES = 10  # how long a reset code is valid
# Reset codes one staff account gets by SMS per day, however it is named; the
# request reaching the cap alerts HQ.
STAFF_PASSWORD_RESET_SMS_PER_DAY = int(os.environ.get("STAFF_PASSWORD_RESET_SMS_PER_DAY", "5"))
# Owner accounts opened by a code request and never verified (no verified
# phone, no member, never signed in) are removed after this many hours.
OWNER_ABANDONED_AFTER_HOURS = int(os.environ.get("OWNER_ABANDONED_AFTER_HOURS", "24"))
# HQ is alerted (audit row + WeCom) when one account fails this many times
# within the window (more than one IP can under the per-pair limit), or when
# one IP fails on this many different accounts.
LOGIN_BURST_WINDOW_MINUTES = int(os.environ.get("LOGIN_BURST_WINDOW_MINUTES", "15"))
LOGIN_BURST_ACCOUNT_FAILURES = int(os.environ.get("LOGIN_BURST_ACCOUNT_FAILURES", "20"))
LOGIN_BURST_IP_ACCOUNTS = int(os.environ.get("LOGIN_BURST_IP_ACCOUNTS", "10"))
# Full mobile numbers a user may reveal per hour (portal, API, admin); the
# next one is refused (429) and HQ is alerted.
MOBILE_REVEAL_LIMIT_PER_HOUR = int(os.environ.get("MOBILE_REVEAL_LIMIT_PER_HOUR", "30"))
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_ONLY = False
HEADLESS_FRONTEND_URLS = {}
HEADLESS_SERVE_SPECIFICATION = False
# One query per X-Session-Token look-up instead of allauth's two (exists, then load).
HEADLESS_TOKEN_STRATEGY = "accounts.auth.tokens.SessionTokenStrategy"

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]  # ISO first among Chinese date input formats (config/formats/zh_Hans)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG or os.environ.get("DEALEROPS_PLAIN_STATIC"):
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# --- Security --------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("SECURE", default=not DEBUG and bool(os.environ.get("SECRET_KEY"))):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
# The client's address (rate limits per IP, login throttles, audit rows): behind
# our proxy (gunicorn on 127.0.0.1 behind nginx) REMOTE_ADDR is the proxy's, so
# every per-IP limit would be one bucket for everybody.  TRUSTED_PROXY_COUNT is
# how many proxies of ours append to X-Forwarded-For (nginx:
# ``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``); the client
# is the entry that many places from the right, so what a client writes into
# the header itself is never read.  0 (the default, no proxy) ignores the
# header.  allauth (``get_client_ip``, which accounts.audit.client_ip calls) and
# DRF's throttles (NUM_PROXIES below) read the same count; ``check --deploy``
# refuses 0 once SECURE_PROXY_SSL_HEADER says a proxy is in front (dealerops.E005).
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Everything is served from our own origin (no CDN). Inline scripts are not
# allowed; inline styles are, for Django admin and Swagger UI.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
)

# --- Request bodies -----------------------------------------------------------
# A body larger than this many bytes (uploaded files do not count) is refused:
# 413 from the API and the headless sign-in, 400 from a portal form.  JSON
# nested deeper than JSON_MAX_DEPTH levels is a 400.  Both in the API's error
# shape (allauth's under /_allauth/): accounts/api/parsers.py and
# accounts.middleware.RequestBodyLimitsMiddleware.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))  # 2.5 MiB
JSON_MAX_DEPTH = int(os.environ.get("JSON_MAX_DEPTH", "64"))

# --- REST API --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "accounts.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.authentication.SessionTokenAuthentication",
        "accounts.auth.authentication.ApiClientAuthentication",  # Authorization: Bearer <integration token>
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "accounts.api.pagination.DefaultPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "accounts.api.exceptions.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "accounts.api.negotiation.LenientContentNegotiation",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "wechat_login": "20/min"},
    # The throttles' client address, as allauth's (ALLAUTH_TRUSTED_PROXY_COUNT);
    # DRF's default (None) would key on the whole X-Forwarded-For a client sends.
    "NUM_PROXIES": ALLAUTH_TRUSTED_PROXY_COUNT,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.api.schema.add_common_error_responses",
    ],
    "TITLE": "DealerOps API",
    "DESCRIPTION": "车商运营平台 API: the owners' mini-program and staff integrations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge from swagger.io's online validator: our CSP would block the
    # image, and it would send the schema's URL to a third party.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "sessionToken": {"type": "apiKey", "in": "header", "name": "X-Session-Token"}
        }
    },
    "SECURITY": [{"sessionToken": []}],
    "ENUM_NAME_OVERRIDES": {
        "LeadStageEnum": "leads.models.Stage",
        "DefeatReasonEnum": "leads.models.DefeatReason",
        "TransactionKindEnum": "membership.models.TransactionKind",
        "CouponStatusEnum": "membership.models.CouponStatus",
        "ProductKindEnum": "mall.models.ProductKind",
        "PayKindEnum": "mall.models.PayKind",
        "OrderStatusEnum": "mall.models.OrderStatus",
        "DeliveryEnum": "mall.models.Delivery",
        "UsedCarSourceEnum": "usedcars.models.StockSource",
        "UsedCarStatusEnum": "usedcars.models.StockStatus",
        "ListingStateEnum": "usedcars.models.ListingState",
        "PhotoStatusEnum": "usedcars.models.PhotoStatus",
        "ConditionGradeEnum": "usedcars.models.ConditionGrade",
    },
}

# --- Background jobs (django-q2) ---------------------------------------------
Q_CLUSTER = {
    "name": "dealerops",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 120,
    # A task not acknowledged within ``retry`` seconds is handed to a worker
    # again: it must be longer than the longest a task may run (a task's own
    # timeout, e.g. the import job's check pass: accounts.import_jobs.TASK_TIMEOUT,
    # 15 minutes), or a long task runs twice.  Checked by dealerops.E006.
    "retry": 20 * 60,
    "max_attempts": 1,
    "queue_limit": 50,
    "bulk": 10,
    "catch_up": False,
    "label": "Django Q2",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if env_bool("Q_SYNC"):
    Q_CLUSTER["sync"] = True
# Spreadsheet imports (accounts/imports.py, accounts/import_jobs.py): the largest file and
# the most data rows a CSV/Excel import takes; the worker commits for up to
# IMPORT_SLICE_SECONDS per task run and then continues in a fresh task (under Q_CLUSTER's timeout).
IMPORT_MAX_FILE_BYTES = int(os.environ.get("IMPORT_MAX_FILE_MB", "50")) * 1024 * 1024
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
IMPORT_SLICE_SECONDS = float(os.environ.get("IMPORT_SLICE_SECONDS", "50"))

# --- Outside services: one interface each, chosen by setting -------------------
# The local defaults simulate the services; ``manage.py check --deploy`` fails
# while one of them, or a development webhook secret, is left with DEBUG off
# (accounts/checks.py).
SMS_BACKEND = os.environ.get("SMS_BACKEND", "accounts.outbox.backends.LocalBackend")
WECHAT_BACKEND = os.environ.get("WECHAT_BACKEND", "accounts.outbox.backends.LocalBackend")
WECOM_BACKEND = os.environ.get("WECOM_BACKEND", "accounts.outbox.backends.LocalBackend")
WECOM_CORP_ID = os.environ.get("WECOM_CORP_ID", "")
WECOM_CORP_SECRET = os.environ.get("WECOM_CORP_SECRET", "")
WECOM_AGENT_ID = os.environ.get("WECOM_AGENT_ID", "")
# In-app messages are ours (the outbox row is the message): the same backend in
# development and production.
INAPP_BACKEND = os.environ.get("INAPP_BACKEND", "accounts.outbox.backends.InAppBackend")
WECHAT_LOGIN_CLIENT = os.environ.get("WECHAT_LOGIN_CLIENT", "accounts.auth.wechat.LocalWeChatClient")
WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "")
WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "")
TELEPHONY_BACKEND = os.environ.get("TELEPHONY_BACKEND", "accounts.telephony.LocalTelephony")
# Provider webhooks are signed with this secret (HMAC-SHA256, see accounts/telephony.py).
TELEPHONY_WEBHOOK_SECRET = os.environ.get("TELEPHONY_WEBHOOK_SECRET", "dev-telephony-webhook-secret")
# Public base URL the provider posts to (default: the URL the portal was opened with).
TELEPHONY_CALLBACK_BASE_URL = os.environ.get("TELEPHONY_CALLBACK_BASE_URL", "")
# The mini-site's public origin (https://m.example.com) for links in messages sent by the
# worker (no request to take the host from): used cars' listings in nurture messages.
# The default is the development server's address (scripts/run_dev.sh); production sets it.
PUBLIC_SITE_URL = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8000")
TELEPHONY_WEBHOOK_TOLERANCE = int(os.environ.get("TELEPHONY_WEBHOOK_TOLERANCE", "300"))  # seconds
TELEPHONY_LOCAL_SEGMENT_DELAY = float(os.environ.get("TELEPHONY_LOCAL_SEGMENT_DELAY", "0.6"))  # LocalTelephony pace
ALIYUN_PLS_ACCESS_KEY_ID = os.environ.get("ALIYUN_PLS_ACCESS_KEY_ID", "")
ALIYUN_PLS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_PLS_ACCESS_KEY_SECRET", "")
ALIYUN_PLS_POOL_KEY = os.environ.get("ALIYUN_PLS_POOL_KEY", "")
ALIYUN_SMS_ACCESS_KEY_ID = os.environ.get("ALIYUN_SMS_ACCESS_KEY_ID", "")
ALIYUN_SMS_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_SMS_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_SIGN_NAME = os.environ.get("ALIYUN_SMS_SIGN_NAME", "")
# Replies to our SMS (上行短信) are posted to /api/v1/webhooks/sms/replies/, signed like the
# telephony callbacks (same headers and tolerance) with this secret of their own.
SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET", "dev-sms-webhook-secret")
# Appended by the outbox to every marketing SMS (opt-out line, "回复R退订").
SMS_MARKETING_SUFFIX = os.environ.get("SMS_MARKETING_SUFFIX", " 拒收请回复R")

# Payments (mall/payments, README "Payments"): the local backend simulates WeChat Pay (a signed
# callback to /api/v1/webhooks/payments/ a moment after ``prepay``); production sets
# PAYMENT_BACKEND=mall.payments.wechatpay_v3.WeChatPayV3Backend and the WECHATPAY_* credentials.
PAYMENT_BACKEND = os.environ.get("PAYMENT_BACKEND", "mall.payments.local.LocalPaymentBackend")
# The public https URL of the payment webhook given to WeChat Pay as notify_url
# (default: the URL the request came in on).
PAYMENT_NOTIFY_URL = os.environ.get("PAYMENT_NOTIFY_URL", "")
PAYMENT_CALLBACK_TOLERANCE = int(os.environ.get("PAYMENT_CALLBACK_TOLERANCE", "300"))  # seconds (WeChat Pay: 5 minutes)
PAYMENT_LOCAL_CALLBACK_DELAY = float(os.environ.get("PAYMENT_LOCAL_CALLBACK_DELAY", "2"))  # the simulated payer's pause
PAYMENT_LOCAL_KEY_PATH = os.environ.get("PAYMENT_LOCAL_KEY_PATH", str(BASE_DIR / "var" / "payments" / "local_wechatpay_key.pem"))
# Mall orders: an order left unpaid this many minutes is cancelled by the expiry job
# (mall.tasks.orders_expire, every minute), giving back its stock and points.
MALL_ORDER_EXPIRY_MINUTES = int(os.environ.get("MALL_ORDER_EXPIRY_MINUTES", "15"))
# Fulfilled orders complete (mall.tasks.orders_complete, hourly) once this many days have passed
# since fulfilment (a voucher-only order: since payment); their referral commission then becomes payable.
MALL_REFUND_WINDOW_DAYS = int(os.environ.get("MALL_REFUND_WINDOW_DAYS", "7"))
# Employee referrals (分销): a member who opened a staff member's share link is attributed to them
# for this many days (the last click wins); orders placed meanwhile carry that referrer.
MALL_REFERRAL_WINDOW_DAYS = int(os.environ.get("MALL_REFERRAL_WINDOW_DAYS", "7"))
# Wrong pickup codes (6 digits) are counted in the audit log, shared by every worker:
# an order takes MALL_PICKUP_WRONG_PER_ORDER wrong codes per MALL_PICKUP_ORDER_LOCK_MINUTES,
# a staff member MALL_PICKUP_WRONG_PER_STAFF per MALL_PICKUP_STAFF_WINDOW_MINUTES; then
# every code is refused (pickup_code_locked, 429) until the window has passed.
MALL_PICKUP_WRONG_PER_ORDER = int(os.environ.get("MALL_PICKUP_WRONG_PER_ORDER", "5"))
MALL_PICKUP_ORDER_LOCK_MINUTES = int(os.environ.get("MALL_PICKUP_ORDER_LOCK_MINUTES", "30"))
MALL_PICKUP_WRONG_PER_STAFF = int(os.environ.get("MALL_PICKUP_WRONG_PER_STAFF", "20"))
MALL_PICKUP_STAFF_WINDOW_MINUTES = int(os.environ.get("MALL_PICKUP_STAFF_WINDOW_MINUTES", "10"))
WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", "")  # 商户号
WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID", WECHAT_APP_ID)  # the mini-program's appid
WECHATPAY_MERCHANT_SERIAL_NO = os.environ.get("WECHATPAY_MERCHANT_SERIAL_NO", "")  # 商户API证书序列号
WECHATPAY_PRIVATE_KEY_PATH = os.environ.get("WECHATPAY_PRIVATE_KEY_PATH", "")  # apiclient_key.pem
WECHATPAY_APIV3_KEY = os.environ.get("WECHATPAY_APIV3_KEY", "")  # APIv3密钥, 32 characters
# The platform certificate (wechatpay_*.pem) or the WeChat Pay public key (pub_key.pem) that signs
# callbacks and answers; with a public key, WECHATPAY_PLATFORM_SERIAL is its id (PUB_KEY_ID_…).
WECHATPAY_PLATFORM_CERT_PATH = os.environ.get("WECHATPAY_PLATFORM_CERT_PATH", "")
WECHATPAY_PLATFORM_SERIAL = os.environ.get("WECHATPAY_PLATFORM_SERIAL", "")
WECHATPAY_API_BASE = os.environ.get("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com")

OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "5"))
OUTBOX_RETRY_BASE_SECONDS = int(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "30"))
# The sweep (every minute) takes batches of OUTBOX_SWEEP_BATCH due messages and keeps
# going for up to OUTBOX_SWEEP_SECONDS; keep the budget under the one-minute schedule
# (an overlapping sweep is safe, every message is claimed before it is sent).  With
# OUTBOX_SWEEP_WORKERS > 1 a backlog is split by id over that many queue workers
# (keep it at most Q_WORKERS, and within the providers' rate limits).
OUTBOX_SWEEP_BATCH = int(os.environ.get("OUTBOX_SWEEP_BATCH", "500"))
OUTBOX_SWEEP_SECONDS = float(os.environ.get("OUTBOX_SWEEP_SECONDS", "50"))
OUTBOX_SWEEP_WORKERS = int(os.environ.get("OUTBOX_SWEEP_WORKERS", "1"))
MARKETING_QUIET_START = os.environ.get("MARKETING_QUIET_START", "21:00")
MARKETING_QUIET_END = os.environ.get("MARKETING_QUIET_END", "09:00")
IDEMPOTENCY_KEY_TTL_HOURS = 24

# Mall: share posters need a CJK font.  The Noto Sans CJK SC subset in
# static/fonts/ (OFL) is used unless these name another (e.g. Debian's
# fonts-noto-cjk: .../NotoSansCJK-Regular.ttc with POSTER_FONT_INDEX=2); a
# font that is missing or lacks Chinese fails loudly, never draws tofu.
POSTER_FONT_PATH = os.environ.get("POSTER_FONT_PATH") or None
POSTER_FONT_BOLD_PATH = os.environ.get("POSTER_FONT_BOLD_PATH") or None
POSTER_FONT_INDEX = int(os.environ.get("POSTER_FONT_INDEX", "0"))
# Used-car photos: the largest upload in bytes (default 15 MB); the pixel limit is MALL_IMAGE_MAX_PIXELS's.
USEDCARS_PHOTO_MAX_BYTES = int(os.environ.get("USEDCARS_PHOTO_MAX_MB", "15")) * 1024 * 1024
# Product photos: uploads over this many pixels are refused from their header (decompression bombs).
MALL_IMAGE_MAX_PIXELS = int(os.environ.get("MALL_IMAGE_MAX_PIXELS", str(50_000_000)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Insurance plate events (车牌识别): each store's gate camera signs with its own key, derived
# from this secret and the store code (insurance.services_plates.plate_store_secret; the
# telephony webhook's scheme and tolerance).  A car whose policy ends within the window alerts
# the store's on-duty insurance specialist.
PLATE_WEBHOOK_SECRET = os.environ.get("PLATE_WEBHOOK_SECRET", "dev-plate-webhook-secret")
PLATE_RENEWAL_WINDOW_DAYS = int(os.environ.get("PLATE_RENEWAL_WINDOW_DAYS", "90"))
