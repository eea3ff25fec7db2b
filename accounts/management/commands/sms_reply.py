"""Simulate an owner's reply to one of our SMS (上行短信), as the provider's
webhook would deliver it: the same service, ``sms_reply_receive``.

    python manage.py sms_reply 13800138000 R          # 回复R退订: mutes SMS for that member
    python manage.py sms_reply 13800138000 好的 --id up-1
    python manage.py sms_reply 13800138000 R --id up-1   # a retry of up-1: nothing new

With the local SMS backend this is how ``make run`` users try the opt-out
line (" 拒收请回复R") that every marketing SMS carries."""

from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError

from accounts.exceptions import ApplicationError
from accounts.services import sms_reply_receive


class Command(BaseCommand):
    help = "Receive an SMS reply (e.g. 'R' to unsubscribe) from a mobile, as the SMS provider's webhook would."

    def add_arguments(self, parser):
        parser.add_argument("mobile", help="the sender's mobile, e.g. 13800138000")
        parser.add_argument("content", help="the reply, e.g. R, T, TD, 退订")
        parser.add_argument("--id", dest="provider_id", default="",
                            help="the provider's reply id (default: a new one); repeat it to simulate a retry")

    def handle(self, *args, mobile: str, content: str, provider_id: str, **options):
        provider_id = provider_id or f"local-{uuid.uuid4().hex}"
        try:
            reply = sms_reply_receive(provider_id=provider_id, mobile=mobile, content=content)
        except ApplicationError as exc:
            message = "; ".join(m for messages in exc.fields.values() for m in messages) or str(exc.message)
            raise CommandError(message) from exc
        member = f"member {reply.member_id}" if reply.member_id else "no member"
        self.stdout.write(f"SMS reply {reply.provider_id} from {reply.masked_mobile} ({member}): {reply.action}")
