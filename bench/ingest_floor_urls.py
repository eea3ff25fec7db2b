"""URLs of the ingest floor (``bench/ingest_floor.py``): the project's, plus
``POST /bench/floor/``."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from accounts.models import AuditLog
from config.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def floor(request):
    body = json.loads(request.body)
    row = AuditLog.objects.create(action="bench.floor", data={"mobile": body.get("mobile", "")})
    return JsonResponse({"id": row.pk}, status=201)


urlpatterns = [path("bench/floor/", floor), *project_urlpatterns]
