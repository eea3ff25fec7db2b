"""Two sweeps at once, and two "renewed" clicks at once, do the work once.
Run on SQLite and on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dealerops .venv/bin/python -m pytest tests/insurance/test_renewals_concurrency.py
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import OutboxMessage
from insurance.models import Policy, PolicySource, Quote, Renewal, RenewalStage, RenewalTouch
from insurance.services_renewals import quote_accept, quote_mark_paid, quote_send, renewal_renew, renewals_sweep
from leads.models import FollowUpTask, TaskKind
from membership.models import PointsEntry
from tests.concurrency import run_together
from tests.insurance.renewal_fixtures import (  # noqa: F401
    due_policies,
    insurance_rule,
    quiet_off,
    quote,
    specialist_a,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

THREADS = 4


def test_concurrent_sweeps_create_no_duplicates(make_member, make_policy, store_a, specialist_a, quiet_off):
    today = dt.date(2027, 3, 1)
    members = []
    for days in (90, 60, 30, 7, 60, 30):
        member = make_member(store_a, marketing_consent=True)
        end = today + dt.timedelta(days=days)
        make_policy(member.vehicles.get(), start=end.replace(year=end.year - 1))
        members.append(member)
    results = run_together(lambda i: renewals_sweep(today=today), THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Renewal.objects.count() == 6
    assert RenewalTouch.objects.count() == 6 + 4  # a reminder each, a call at 60 and 30
    assert OutboxMessage.objects.filter(template="insurance_renewal_reminder").count() == 6
    assert FollowUpTask.objects.filter(kind=TaskKind.RENEWAL).count() == 4
    assert sum(r["reminded"] for r in results) >= 6  # every reminder was written by one of them


def test_concurrent_renew_clicks_record_one_policy_each_and_points_once(quote, specialist_a, member_a, insurance_rule):
    quote_send(actor=specialist_a, quote=quote)
    quote_accept(member=member_a, quote=quote)
    quote_mark_paid(actor=specialist_a, quote=quote)
    numbers = {"compulsory": "J-1", "commercial": "S-1"}
    results = run_together(lambda i: renewal_renew(actor=specialist_a, quote=Quote.objects.get(pk=quote.pk),
                                                   numbers=numbers), THREADS)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Policy.objects.filter(source=PolicySource.RENEWAL).count() == 2
    assert set(Renewal.objects.values_list("stage", flat=True)) == {RenewalStage.RENEWED}
    assert PointsEntry.objects.filter(idempotency_key__startswith="earn:per_yuan_insurance:").count() == 2
    assert timezone.localdate() < Policy.objects.filter(source=PolicySource.RENEWAL).first().end_date
