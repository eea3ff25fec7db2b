import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_scanning_a_card_opens_the_member_360_page(client, consultant_a, card_a):
    client.force_login(consultant_a)
    response = client.get(reverse("portal:membership:card-lookup"), {"card_no": f" {card_a.card_no.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:membership:member-360", args=[card_a.member_id])


def test_another_stores_card_is_not_found(client, consultant_b, card_a):
    client.force_login(consultant_b)
    response = client.get(reverse("portal:membership:card-lookup"), {"card_no": card_a.card_no})
    assert response.status_code == 200
    assert "未找到该会员卡" in response.content.decode()
    assert card_a.member.name not in response.content.decode()
