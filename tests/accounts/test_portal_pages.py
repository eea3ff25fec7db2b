import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["portal:dashboard", "portal:member-list"])
def test_portal_pages_render_for_consultant(client, consultant_a, member_a, member_b, name):
    client.force_login(consultant_a)
    response = client.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert "138****5678" in body or name == "portal:dashboard"
    assert "13812345678" not in body
    assert "张伟" not in body  # store B's member


def test_portal_hq_pages(client, hq, member_a):
    client.force_login(hq)
    for name in ["portal:dashboard", "portal:member-list", "portal:audit", "portal:outbox"]:
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("portal:member-detail", args=[member_a.pk])).status_code == 200


def test_public_pages(client):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/login/code/").status_code == 200
    assert client.get("/m/").status_code == 302
