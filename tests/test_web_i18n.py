"""Chinese is the default UI language; English is one POST to /i18n/setlang/ away.

The compiled catalogues are committed (no compilemessages at deploy time), so
the .mo must exist and agree with the .po it was built from."""

from __future__ import annotations

import gettext
import importlib.util
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from membership.models import Tier
from membership.services.cards import _upgrade_notice

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
EN_MO = LOCALE / "en" / "LC_MESSAGES" / "django.mo"


@pytest.fixture(autouse=True)
def _restore_language():
    # LocaleMiddleware activates the request's language on this thread and
    # leaves it there: don't hand English to whichever test runs next.
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _load_checker():
    path = Path(settings.BASE_DIR) / "scripts" / "translate_check.py"
    spec = importlib.util.spec_from_file_location("translate_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_staff_login_is_chinese_by_default(client):
    body = client.get("/accounts/login/").content.decode()
    assert "员工登录" in body
    assert "Staff login" not in body
    assert '<html lang="zh-hans">' in body


def test_setlang_switches_staff_login_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"

    body = client.get("/accounts/login/").content.decode()
    assert "Staff login" in body
    assert "Dealer Operations Platform" in body
    assert "员工登录" not in body
    assert '<html lang="en">' in body

    # and back again
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    assert "员工登录" in client.get("/accounts/login/").content.decode()


def test_portal_navigation_in_english(client, consultant_a):
    client.force_login(consultant_a)
    client.post("/i18n/setlang/", {"language": "en"})
    body = client.get(reverse("portal:dashboard")).content.decode()
    assert "Dashboard" in body
    assert "Members" in body
    assert "工作台" not in body


def test_english_mo_is_committed_and_loads():
    assert EN_MO.is_file(), "run: manage.py compilemessages --ignore .venv"
    with EN_MO.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.gettext("工作台") == "Dashboard"
    with translation.override("en"):
        assert translation.gettext("销售顾问") == "Sales consultant"
        assert translation.gettext("第 %(n)s / %(total)s 页") % {"n": 2, "total": 5} == "Page 2 of 5"
    with translation.override("zh-hans"):
        assert translation.gettext("工作台") == "工作台"


def test_english_catalogue_complete_and_compiled():
    """Every msgid translated, none fuzzy, and the .mo built from the current .po."""
    checker = _load_checker()
    assert checker.main(["translate_check", str(EN_PO)]) == 0, "see scripts/translate_check.py output"
    with EN_MO.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = []
    for _flags, fields, _line in checker.entries(EN_PO.read_text("utf-8")):
        msgid = fields["msgid"]
        if not msgid or "msgid_plural" in fields or "msgctxt" in fields:
            continue
        if catalogue.gettext(msgid) != fields["msgstr"]:
            stale.append(msgid)
    assert not stale, f"django.mo is out of date with django.po (compilemessages): {stale[:5]}"


def test_language_restored_between_tests():
    # runs after the setlang tests above (file order)
    assert translation.get_language() == "zh-hans"


# What makemessages extracts: a string that only reaches gettext through a
# variable, or never does (an f-string), is never in the catalogues, so it is
# never translated.  Django's own xgettext keywords (makemessages, Python).
XGETTEXT_KEYWORDS = ["gettext_noop", "gettext_lazy", "ngettext_lazy:1,2", "pgettext:1c,2", "npgettext:1c,2,3",
                     "pgettext_lazy:1c,2", "npgettext_lazy:1c,2,3"]


@pytest.mark.parametrize(("source", "msgids"), [
    ("accounts/api/parsers.py", ["提交的 JSON 嵌套层数过多（最多 %(limit)s 层）。", "请求体不是有效的 JSON。"]),
    ("accounts/api/exceptions.py", ["提交的数据有误，请检查标注的字段。", "提交的数据过大。", "请求无效。"]),
    ("membership/services/cards.py", ["恭喜您升级为%(tier)s，成长值 %(growth)s。",
                                      "您的%(tier)s成长值未达标，%(days)s 天内仍未达标将降低一级。"]),
])
def test_user_visible_strings_are_extracted_by_makemessages(source, msgids):
    command = ["xgettext", "--language=Python", "--from-code=UTF-8", "--output=-",
               *[f"--keyword={keyword}" for keyword in XGETTEXT_KEYWORDS], source]
    result = subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True)
    extracted = {fields["msgid"] for _flags, fields, _line in _load_checker().entries(result.stdout)}
    assert set(msgids) <= extracted, sorted(set(msgids) - extracted)


def test_membership_notices_are_translated_when_sent(make_member, store_a):
    """The tier notices read the active language when the job runs (zh-hans):
    the Chinese text is unchanged."""
    member = make_member(store_a)
    tier = Tier.objects.create(code="gold", name="金卡", level=3, threshold=5000)
    assert _upgrade_notice(member, tier, 5200)["body"] == "恭喜您升级为金卡，成长值 5200。"
