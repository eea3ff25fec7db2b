"""The local payment backend: WeChat Pay simulated on this machine.  Its
callbacks go through the same verification as WeChat Pay's; ``prepay``
queues one after commit; ``manage.py payment_callback`` replays success,
failure, repeats and refunds."""

from __future__ import annotations

import base64
import io

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from django.core.management import CommandError, call_command
from django_q import tasks as django_q_tasks

from mall.models_payments import PaymentNotification
from mall.payments import hooks, local
from mall.payments.base import EventKind, PaymentOrder, get_backend
from mall.payments.local import LocalPaymentBackend, local_private_key, local_transaction_id
from mall.payments.services import payment_local_callback_send
from mall.payments.tasks import payment_local_callback
from tests.mall.payments_helpers import WEBHOOK, as_meta, handled  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ORDER = PaymentOrder(out_trade_no="MO20260601000777", description="车载香薰", amount_fen=9990,
                     payer_openid="oLocalOpenid0001", notify_url="http://testserver" + WEBHOOK)


@pytest.fixture
def webhook(client, monkeypatch):
    """Callbacks the local backend posts land on the real webhook through the test client."""
    posted = []

    def deliver(url, headers, body):
        posted.append(url)
        response = client.post(WEBHOOK, body, content_type="application/json", **as_meta(headers))
        return response.status_code, response.content

    monkeypatch.setattr("mall.payments.services.deliver", deliver)
    return posted


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(django_q_tasks, "async_task", lambda func, *args, **kwargs: calls.append((func, args)))
    return calls


def test_the_default_backend_is_the_local_simulation():
    backend = get_backend()
    assert isinstance(backend, LocalPaymentBackend) and backend.simulated


def test_the_local_key_is_made_once_and_reused(settings, tmp_path):
    settings.PAYMENT_LOCAL_KEY_PATH = str(tmp_path / "payments" / "key.pem")
    first = local_private_key()
    pem = (tmp_path / "payments" / "key.pem").read_bytes()
    local._keys.clear()
    assert local_private_key().private_numbers() == first.private_numbers()
    assert (tmp_path / "payments" / "key.pem").read_bytes() == pem
    assert oct((tmp_path / "payments" / "key.pem").stat().st_mode & 0o777) == "0o600"


def test_prepay_answers_pay_parameters_signed_with_the_local_key(queued, django_capture_on_commit_callbacks):
    backend = LocalPaymentBackend()
    with django_capture_on_commit_callbacks(execute=False):
        params = backend.prepay(ORDER)
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"].startswith("prepay_id=wx") and params["signType"] == "RSA"
    message = f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    backend.config.private_key.public_key().verify(
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_prepay_queues_the_callback_only_after_commit(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        LocalPaymentBackend().prepay(ORDER)
    assert queued == [] and len(callbacks) == 1  # nothing queued while the order's transaction is open
    callbacks[0]()
    assert queued == [("mall.payments.tasks.payment_local_callback",
                       ("MO20260601000777", 9990, ORDER.notify_url, "paid", "oLocalOpenid0001", "", 0))]


def test_prepay_then_the_task_pays_through_the_webhook(queued, webhook, settings, handled, django_capture_on_commit_callbacks):
    settings.PAYMENT_LOCAL_CALLBACK_DELAY = 0
    with django_capture_on_commit_callbacks(execute=True):
        LocalPaymentBackend().prepay(ORDER)
    [(func, args)] = queued
    assert func == "mall.payments.tasks.payment_local_callback"
    payment_local_callback(*args)  # what the worker runs
    assert webhook == ["http://testserver" + WEBHOOK]
    [event] = handled.events
    assert (event.kind, event.out_trade_no, event.amount_fen, event.payer_openid) == (
        EventKind.PAID, "MO20260601000777", 9990, "oLocalOpenid0001")
    assert LocalPaymentBackend().query("MO20260601000777").paid


def test_query_is_not_paid_before_the_callback():
    result = LocalPaymentBackend().query("MO-unknown")
    assert result.state == "NOTPAY" and not result.paid


def test_refund_succeeds_at_once_and_posts_a_refund_callback(queued, webhook, settings, handled, django_capture_on_commit_callbacks):
    settings.PAYMENT_LOCAL_CALLBACK_DELAY = 0
    with django_capture_on_commit_callbacks(execute=True):
        result = LocalPaymentBackend().refund("MO20260601000777", "MO20260601000777-R1", 3000, 9990, "不想要了",
                                              notify_url="http://testserver" + WEBHOOK)
    assert result.status == "SUCCESS" and result.amount_fen == 3000
    payment_local_callback(*queued[0][1])
    [event] = handled.events
    assert (event.kind, event.amount_fen, event.out_refund_no, event.refund_id) == (
        EventKind.REFUNDED, 3000, "MO20260601000777-R1", result.refund_id)


def test_repeat_sends_the_same_event_again(webhook, handled):
    answers = payment_local_callback_send(out_trade_no="MO1", amount_fen=100, notify_url="http://x/", repeat=2)
    assert [status for status, _ in answers] == [200, 200, 200]
    assert b"duplicate" in answers[2][1] and len(handled.events) == 1
    assert PaymentNotification.objects.get().provider_ref == local_transaction_id("MO1")


class TestCommand:
    def run(self, *args):
        out = io.StringIO()
        call_command("payment_callback", *args, stdout=out)
        return out.getvalue()

    def test_a_success_with_an_amount_is_posted_to_the_webhook(self, webhook, handled):
        output = self.run("MO20260601000888", "--amount", "99.90")
        assert "200" in output and "processed" in output
        assert [(e.kind, e.amount_fen) for e in handled.events] == [(EventKind.PAID, 9990)]

    def test_fail_and_repeat(self, webhook, handled):
        self.run("MO20260601000888", "--amount", "99.90", "--fail", "--repeat", "1")
        assert [e.kind for e in handled.events] == [EventKind.FAILED]
        assert PaymentNotification.objects.get().kind == "failed"

    def test_a_refund(self, webhook, handled):
        self.run("MO20260601000888", "--amount", "99.90", "--refund", "10.00")
        assert [(e.kind, e.amount_fen, e.out_refund_no) for e in handled.events] == [
            (EventKind.REFUNDED, 1000, "MO20260601000888-R1")]

    def test_in_process_needs_no_server(self, handled):
        output = self.run("MO20260601000888", "--amount", "99.90", "--in-process", "--repeat", "1")
        assert "processed" in output and "duplicate" in output and len(handled.events) == 1

    def test_the_order_comes_from_the_registered_resolver(self, webhook, handled, monkeypatch):
        monkeypatch.setattr(hooks, "_resolver", [lambda number: ORDER if number == ORDER.out_trade_no else None])
        self.run(ORDER.out_trade_no)
        assert [(e.amount_fen, e.payer_openid) for e in handled.events] == [(9990, "oLocalOpenid0001")]

    def test_an_unknown_order_without_an_amount_is_refused(self):
        with pytest.raises(CommandError, match="--amount"):
            self.run("MO-unknown")

    def test_a_fraction_of_a_fen_is_refused(self):
        with pytest.raises(CommandError):
            self.run("MO1", "--amount", "0.001")

    def test_an_unreachable_webhook_says_so(self, monkeypatch):
        monkeypatch.setattr("mall.payments.services.deliver", lambda url, headers, body: (0, b""))
        with pytest.raises(CommandError, match="in-process"):
            self.run("MO1", "--amount", "1")

    def test_it_refuses_to_run_with_wechat_pay(self, settings):
        settings.PAYMENT_BACKEND = "mall.payments.wechatpay_v3.WeChatPayV3Backend"
        with pytest.raises(CommandError, match="local payment backend"):
            self.run("MO1", "--amount", "1")
