import pytest
from django.urls import reverse
from leads.models import Call
pytestmark = pytest.mark.django_db
def test_member_page_starts_a_call(client, consultant_a, member_a):
    client.force_login(consultant_a)
    page = client.get(f"/portal/members/{member_a.pk}/").content.decode()
    assert 'name="member_id"' in page
    response = client.post(reverse("portal:leads:call-start"), {"member_id": member_a.pk})
    assert response.status_code == 303
    call = Call.objects.get()
    assert call.member == member_a and call.store == member_a.store and call.agent == consultant_a
