"""Replay a local WeChat Pay callback by hand (the local payment backend).

    python manage.py payment_callback <order number>              # a success
    python manage.py payment_callback <order number> --fail       # a failed payment
    python manage.py payment_callback <order number> --repeat 2   # the same event twice more
    python manage.py payment_callback <order number> --amount 0.01  # a mismatched amount
    python manage.py payment_callback <order number> --refund 10.00 --refund-no R1

The order is looked up through the resolver orders register
(``mall.payments.register_payment_order_resolver``); until then, or for an
order it does not know, ``--amount`` gives the amount.  A callback for an
expired or cancelled order ("late") is just this command run after the fact.
The callback goes to ``--url`` (default: ``PAYMENT_NOTIFY_URL`` or the
development server's webhook) signed and encrypted like WeChat Pay's; with
``--in-process`` it is applied without a running server, through the same
verification."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from mall.payments.base import yuan_to_fen
from mall.payments.exceptions import PaymentCallbackError, PaymentError
from mall.payments.hooks import payment_order_resolve
from mall.payments.local import LocalPaymentBackend
from mall.payments.services import payment_callback_receive, payment_local_callback_send, payment_notify_url


class Command(BaseCommand):
    help = "Post a local WeChat Pay callback (success, failure, repeat, refund) for an order to the payment webhook."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the order number (out_trade_no)")
        parser.add_argument("--fail", action="store_true", help="a failed payment instead of a success")
        parser.add_argument("--repeat", type=int, default=0, metavar="N", help="send the same event N more times")
        parser.add_argument("--amount", help="the amount in yuan (default: the order's)")
        parser.add_argument("--refund", metavar="AMOUNT", help="a refund callback for this amount in yuan")
        parser.add_argument("--refund-no", default="", help="our refund number (default: <number>-R1)")
        parser.add_argument("--url", default="", help="the webhook URL (default: PAYMENT_NOTIFY_URL or the dev server)")
        parser.add_argument("--in-process", action="store_true", help="apply it here instead of posting it")

    def handle(self, *args, number, fail, repeat, amount, refund, refund_no, url, in_process, **options):
        if not getattr(import_string(settings.PAYMENT_BACKEND), "simulated", False):
            raise CommandError("payment_callback simulates WeChat Pay: it runs only with the local payment backend")
        if repeat < 0:
            raise CommandError("--repeat takes 0 or more")
        if fail and refund:
            raise CommandError("--fail and --refund exclude each other")
        order = payment_order_resolve(number)
        try:
            amount_fen = yuan_to_fen(amount) if amount is not None else (order.amount_fen if order else None)
            refund_fen = yuan_to_fen(refund) if refund else 0
        except PaymentError as exc:
            raise CommandError(str(exc.message)) from exc
        if amount_fen is None:
            raise CommandError(f"no order {number!r} is known here: give its amount with --amount")
        outcome = "refunded" if refund else "failed" if fail else "paid"
        refund_no = refund_no or (f"{number}-R1" if refund else "")
        openid = order.payer_openid if order else ""
        if in_process:
            backend = LocalPaymentBackend()
            for _ in range(repeat + 1):
                headers, body = backend.callback(
                    out_trade_no=number, amount_fen=amount_fen, outcome=outcome, payer_openid=openid,
                    out_refund_no=refund_no, refund_fen=refund_fen,
                )
                try:
                    result = payment_callback_receive(headers=headers, body=body, backend=backend)
                except PaymentCallbackError as exc:
                    raise CommandError(str(exc.message)) from exc
                n = result.notification
                self.stdout.write(f"{outcome} {number}: {result.status} (#{n.pk} {n.status} {n.outcome})")
            return
        target = url or (order.notify_url if order and order.notify_url else payment_notify_url())
        answers = payment_local_callback_send(
            out_trade_no=number, amount_fen=amount_fen, notify_url=target, outcome=outcome, payer_openid=openid,
            out_refund_no=refund_no, refund_fen=refund_fen, repeat=repeat,
        )
        for status, body in answers:
            if status == 0:
                raise CommandError(f"{target} is unreachable: start the server, or use --in-process")
            self.stdout.write(f"{outcome} {number} → {target}: {status} {body.decode('utf-8', 'replace')}")
