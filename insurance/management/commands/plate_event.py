"""``python manage.py plate_event S01 粤B12345``: simulate the store's gate
camera.  The event is signed with the store's key and posted to the real
webhook (``POST /api/v1/insurance/plate-events/``): in-process by default,
or to a running server with ``--url http://127.0.0.1:8000``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Store
from accounts.telephony import webhook_body, webhook_headers
from insurance.services_plates import plate_store_secret


class Command(BaseCommand):
    help = "Simulate a gate camera: sign and post a plate event for a store (e.g. S01 粤B12345)."

    def add_arguments(self, parser):
        parser.add_argument("store", help="store code, e.g. S01")
        parser.add_argument("plate", help="the plate seen, e.g. 粤B12345")
        parser.add_argument("--event-id", default="", help="repeat an id to see the replayed answer")
        parser.add_argument("--url", default="", help="post to a running server instead (base URL)")

    def handle(self, *args, store, plate, event_id, url, **options):
        shop = Store.objects.filter(code__iexact=store).first()
        if shop is None:
            raise CommandError(f"unknown store {store!r}")
        event = {"event_id": event_id or f"sim-{uuid.uuid4().hex[:16]}", "store": shop.code, "plate": plate,
                 "seen_at": timezone.now().isoformat(), "image_url": ""}
        body = webhook_body(event)
        headers = {k: v for k, v in webhook_headers(body, secret=plate_store_secret(shop)).items() if k != "Content-Type"}
        path = reverse("api:insurance:plate-event")
        if url:
            request = urllib.request.Request(url.rstrip("/") + path, data=body, method="POST",
                                             headers={"Content-Type": "application/json", **headers})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - an operator's URL
                    status, text = response.status, response.read().decode()
            except urllib.error.HTTPError as exc:
                status, text = exc.code, exc.read().decode()
        else:
            response = Client().post(path, data=body, content_type="application/json",
                                     **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
            status, text = response.status_code, response.content.decode()
        self.stdout.write(f"{status} {json.dumps(json.loads(text), ensure_ascii=False)}")
        if status >= 400:
            raise CommandError("the plate event was refused")
