"""Bad input always gets a JSON 4xx in DRF's shape, never a 500."""

import pytest

from lockers.models import Beer

pytestmark = pytest.mark.django_db


def test_malformed_json_is_a_400(basic_client):
    response = basic_client.generic("POST", "/api/beers", '{"name": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")
    assert not Beer.objects.exists()


def test_unsupported_media_type_is_a_415(basic_client):
    response = basic_client.generic("POST", "/api/beers", "name=x", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == {"detail": 'Unsupported media type "text/plain" in request.'}


def test_wrong_method_is_a_405(basic_client):
    response = basic_client.put("/api/beers", {"name": "x"}, format="json")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


@pytest.mark.parametrize("path", ["/api/nope", "/api/beers/abc", "/api/beers/1/extra"])
def test_unknown_api_url_is_a_json_404(basic_client, path):
    response = basic_client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_json_array_body_is_a_400_not_a_500(basic_client):
    response = basic_client.post("/api/beers", [1, 2], format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_service_validation_error_is_mapped_to_a_400(user):
    from django.core.exceptions import ValidationError

    from beerlocker_api.exceptions import api_exception_handler

    response = api_exception_handler(ValidationError("Whole-object problem."), {})

    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Whole-object problem."]}
