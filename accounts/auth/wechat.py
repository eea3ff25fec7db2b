"""WeChat mini-program login: ``wx.login`` code → openid.

``settings.WECHAT_LOGIN_CLIENT`` names the client.  ``LocalWeChatClient``
maps codes deterministically (same code, same openid) so development and tests
work offline; ``JsCode2SessionClient`` is the production adapter.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from accounts import exceptions as errors
from accounts.exceptions import AccountsError


class WeChatClient:
    simulated = False  # True: development only (``accounts.checks`` refuses it with DEBUG off)
    required_settings: tuple[str, ...] = ()  # credentials a production client needs

    def code2session(self, code: str) -> dict:  # pragma: no cover - interface
        raise NotImplementedError


class LocalWeChatClient(WeChatClient):
    # The same code always gives the same openid: a replayed code signs in.
    simulated = True

    def code2session(self, code: str) -> dict:
        code = (code or "").strip()
        if not code or len(code) > 128 or code.startswith("invalid"):
            raise AccountsError(errors.WECHAT_CODE_INVALID, code="wechat_code_invalid", fields={"code": [str(errors.WECHAT_CODE_INVALID)]})
        digest = hashlib.sha256(code.encode()).hexdigest()
        return {"openid": f"local-{digest[:24]}", "session_key": digest[24:48]}


class JsCode2SessionClient(WeChatClient):
    """Calls https://api.weixin.qq.com/sns/jscode2session with
    ``WECHAT_APP_ID`` / ``WECHAT_APP_SECRET``."""

    url = "https://api.weixin.qq.com/sns/jscode2session"
    required_settings = ("WECHAT_APP_ID", "WECHAT_APP_SECRET")

    def code2session(self, code: str) -> dict:
        query = urllib.parse.urlencode(
            {"appid": settings.WECHAT_APP_ID, "secret": settings.WECHAT_APP_SECRET, "js_code": code, "grant_type": "authorization_code"}
        )
        try:
            with urllib.request.urlopen(f"{self.url}?{query}", timeout=10) as response:  # noqa: S310
                body = json.loads(response.read().decode())
        except OSError as exc:
            raise AccountsError(code="wechat_unavailable", status_code=503) from exc
        if body.get("errcode") or not body.get("openid"):
            raise AccountsError(errors.WECHAT_CODE_INVALID, code="wechat_code_invalid", fields={"code": [str(errors.WECHAT_CODE_INVALID)]})
        return body


def get_wechat_client() -> WeChatClient:
    return import_string(settings.WECHAT_LOGIN_CLIENT)()
