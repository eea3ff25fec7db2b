"""Property-based fuzzing of the whole API with schemathesis.

The OpenAPI schema is the one ``/api/schema/`` serves (drf-spectacular's
generator, built here because that URL is for staff only), and the calls go
through the WSGI app (``config.wsgi.application``), so every endpoint that
drf-spectacular documents is fuzzed automatically: a new endpoint needs no
change here.

Each operation is called as an HQ staff user and as a car owner (both signed in
with a real ``X-Session-Token``) and every answer must

* not be a server error (``not_a_server_error``),
* use a status code the schema documents (``status_code_conformance``),
* have the documented content type and body (``content_type_conformance``,
  ``response_schema_conformance``).

Schemathesis runs its three phases per operation: the schema's examples, the
coverage phase (boundary and invalid values, unsupported methods → 405) and
``MAX_EXAMPLES`` fuzzed cases, positive and negative.  Runs are deterministic:
a fixed seed, derandomized Hypothesis and no example database.  Path
parameters (``{id}``) are sometimes swapped for the seeded objects' ids, so
detail endpoints also see objects that exist, not only 404s.

A failure names the operation (``test_api_as_owner[GET /api/v1/me/]``) and
prints a curl command that reproduces it.  Fix the code or the schema
(``extend_schema`` responses, serializer fields), never skip the operation.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.auth.services import session_token_issue
from config.wsgi import application

MAX_EXAMPLES = 25
SEED = 20240601
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_dict(
    json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
)
schema.app = application
schema.config.seed = SEED
schema.config.generation.update(
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
    # The identity comes from the real session token sent with every call.
    with_security_parameters=False,
)

# Ids of the objects the fixture seeded; the hook below offers them as path
# parameters (filled in by ``fuzz_world`` before any case is generated).
SEEDED: dict[str, int] = {}

# Path prefix → which seeded object an ``{id}`` there refers to.  An endpoint
# not listed is still fuzzed (with generated ids, mostly 404s); add a line, and
# its seed object to ``fuzz_world``, to also exercise it with a real object.
ID_SOURCES = [
    ("/api/v1/me/vehicles/", "vehicle"),
    ("/api/v1/members/", "member"),
    ("/api/v1/stores/", "store"),
    ("/api/v1/leads/", "lead"),
    ("/api/v1/tasks/", "task"),
    ("/api/v1/mall/products/", "mall_product"),
    ("/api/v1/usedcars/stock/", "used_car"),
    ("/api/v1/usedcars/listings/", "public_listing"),
]


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not isinstance(path_parameters, dict) or "id" not in path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    for prefix, kind in ID_SOURCES:
        if path.startswith(prefix) and kind in SEEDED:
            return st.sampled_from([path_parameters, {**path_parameters, "id": SEEDED[kind]}])
    return st.just(path_parameters)


@pytest.fixture
def fuzz_world(store_a, store_b, member_a, member_b, owner_a, hq):
    """Store A with ``member_a`` (a vehicle, an owner login), store B with
    ``member_b``, and an HQ user; their ids feed the path-parameter hook."""
    SEEDED.update(member=member_a.pk, store=store_a.pk, vehicle=member_a.vehicles.get().pk)
    SEEDED.update(_leads_world(store_a, hq))
    SEEDED.update(_mall_world(store_a, hq))
    _insurance_world()
    SEEDED.update(_usedcars_world(store_a, hq))
    # Real headless "app" session tokens, as the mini-program and integrations send them.
    yield {"hq": session_token_issue(user=hq), "owner": session_token_issue(user=owner_a)}
    SEEDED.clear()


def _leads_world(store, hq) -> dict[str, int]:
    """Store A's lead (with a behaviour event) and an open task on it; the
    channels the owner requests and staff posts name."""
    import datetime as dt

    from django.utils import timezone

    from leads.models import Channel, ChannelKind
    from leads.services import lead_event_record, lead_ingest, task_create

    for code, kind in (("miniprogram", ChannelKind.MINIPROGRAM), ("walkin", ChannelKind.WALKIN), ("autohome", ChannelKind.PORTAL)):
        Channel.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})
    lead, _ = lead_ingest(mobile="13700008888", channel="autohome", store=store, name="周杰", model_interest="帕萨特")
    lead_event_record(lead=lead, kind="price_request")
    task = task_create(store=store, assignee=hq, lead=lead, title="回访", due_at=timezone.now() + dt.timedelta(hours=1))
    return {"lead": lead.pk, "task": task.pk}


def _mall_world(store, hq) -> dict[str, int]:
    """A group product (cash + points) sold everywhere and one of store A's own."""
    from decimal import Decimal

    from mall.services import product_create

    product_create(actor=hq, name="全包围脚垫", skus=[{"name": "黑色", "price_cash": Decimal("99"), "price_points": 2000, "stock": 5}])
    own = product_create(actor=hq, name="空调清洗", store=store, skus=[{"name": "一次", "price_cash": Decimal("168"), "stock": 9}])
    return {"mall_product": own.pk}


def _insurance_world() -> None:
    """The insurers and rating rules (the data migration's rows are gone once a
    transactional test has flushed the database)."""
    from insurance.rating_seed import seed_rating_rules

    seed_rating_rules()


def _usedcars_world(store, hq) -> dict[str, int]:
    """A car in store A's stock with a draft listing (so listing, publish, reserve and sell see a real one),
    and a published listing for the public listing endpoints."""
    from tests.usedcars.helpers import make_car
    from usedcars.services_listings import listing_create

    from django.utils import timezone

    from usedcars.models import Listing, ListingState

    car = make_car(hq, store)
    listing_create(actor=hq, car=car, title="2021款 朗逸", price="98000")
    public = listing_create(actor=hq, car=make_car(hq, store), title="2020款 帕萨特", price="128000")
    Listing.objects.filter(pk=public.pk).update(state=ListingState.PUBLISHED, published_at=timezone.now())
    return {"used_car": car.pk, "public_listing": public.pk}


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _call(case, token: str):
    case.call_and_validate(headers={"X-Session-Token": token}, checks=CHECKS)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_hq(case, fuzz_world):
    _call(case, fuzz_world["hq"])


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_as_owner(case, fuzz_world):
    _call(case, fuzz_world["owner"])
