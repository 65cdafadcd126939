"""One site: the API root, the browsable API, the docs, the error pages and every sign-in page
carry the site's header and lead to the site's one sign-in page."""

import pytest
from django.test import Client, override_settings
from django.urls import path
from social_core.backends import utils as backend_utils

from beerlocker.urls import urlpatterns as site_urlpatterns
from beerlocker_api.exceptions import not_found, server_error
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SITE_HEADER = '<a class="brand" href="/">Beer Locker</a>'


def test_api_root_lists_the_endpoints_with_the_docs_and_the_schema(client):
    response = client.get("/api/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    links = response.json()
    assert links["beers"] == "http://testserver/api/beers"
    assert links["users"] == "http://testserver/api/users"
    assert links["clients"] == "http://testserver/api/clients"
    assert links["docs"] == "http://testserver/api/docs"
    assert links["schema"] == "http://testserver/api/schema"
    assert links["openid_configuration"].endswith("/api/oauth2/.well-known/openid-configuration")
    for url in links.values():  # every link leads somewhere
        assert client.get(url.removeprefix("http://testserver")).status_code in {200, 401, 405}
    assert client.get("/api").status_code == 200


def test_browsable_api_is_a_page_of_the_site_with_a_human_title(client, user):
    client.force_login(user)

    response = client.get("/api/beers", HTTP_ACCEPT="text/html")

    body = response.content.decode()
    assert response.status_code == 200
    assert SITE_HEADER in body
    assert "<title>My beers – Beer Locker API</title>" in body
    assert "Django REST framework" not in body
    assert "/static/favicon.svg" in body


def test_signed_out_browser_on_the_browsable_api_is_sent_to_the_sites_sign_in_page(client):
    response = client.get("/api/beers?type=ipa", HTTP_ACCEPT="text/html,application/xhtml+xml")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/beers%3Ftype%3Dipa"


@pytest.mark.parametrize("accept", ["application/json", "*/*"])
def test_signed_out_api_client_keeps_the_401(client, accept):
    response = client.get("/api/beers", HTTP_ACCEPT=accept)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_wrong_password_in_a_browser_is_still_a_401(client, user):
    import base64

    credentials = base64.b64encode(f"{user.username}:wrong".encode()).decode()
    response = client.get("/api/beers", HTTP_ACCEPT="text/html", HTTP_AUTHORIZATION=f"Basic {credentials}")

    assert response.status_code == 401


def test_the_browsable_apis_sign_in_leads_to_the_sites_sign_in_page(client):
    response = client.get("/api-auth/login/?next=/api/beers")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/beers"
    assert SITE_HEADER in client.get(response["Location"]).content.decode()


def test_the_admins_sign_in_is_the_sites_sign_in_page_and_lets_only_staff_in(client, user, admin_user):
    response = client.get("/admin/", follow=True)

    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/admin/login/?next=/admin/"
    assert SITE_HEADER in page
    assert '<form method="post" action="/admin/login/"' in page
    assert "Django administration" not in page
    refused = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": PASSWORD})
    assert "staff account" in refused.content.decode()
    assert client.get("/admin/").status_code == 302
    client.post("/admin/login/?next=/admin/", {"username": admin_user.username, "password": "password"})
    assert client.get("/admin/").status_code == 200


@pytest.fixture
def github_configured(settings):
    settings.AUTHENTICATION_BACKENDS = [
        "socialaccounts.backends.GithubOAuth2",
        "django.contrib.auth.backends.ModelBackend",
    ]
    # social-core caches the loaded backends process-wide: follow these settings, then forget them.
    backend_utils.BACKENDSCACHE.clear()
    yield
    backend_utils.BACKENDSCACHE.clear()


def test_the_admin_is_beer_lockers_and_its_sign_in_offers_no_sign_up(client, admin_user, github_configured):
    sign_in = client.get("/admin/login/?next=/admin/").content.decode()

    assert "<title>Sign in · Beer Locker administration</title>" in sign_in
    assert "Create an account" not in sign_in
    assert sign_in.count('class="social-sign-in"') == 1
    assert "Sign in with GitHub" in sign_in
    assert "Create an account" in client.get("/accounts/login/").content.decode()  # the site's own
    client.force_login(admin_user)
    index = client.get("/admin/").content.decode()
    assert "Beer Locker administration" in index
    assert "| Beer Locker admin</title>" in index
    assert "Django administration" not in index


def test_the_browsable_api_fits_a_phone_and_names_its_language(client, user):
    client.force_login(user)
    page = client.get("/api/beers", HTTP_ACCEPT="text/html").content.decode()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<html lang="en' in page
    assert '<label for="drf-name" class="col-sm-2 control-label' in page
    assert '<input id="drf-name" name="name"' in page


def test_api_docs_carry_the_site_header(client):
    response = client.get("/api/docs")

    body = response.content.decode()
    assert response.status_code == 200
    assert SITE_HEADER in body
    assert "<title>API docs – Beer Locker</title>" in body
    assert 'id="swagger-ui"' in body
    assert '<html lang="en">' in body
    assert "/static/css/api-docs.css" in body
    assert "/static/js/api-docs.js" in body


def test_favicon_is_served_and_linked_from_every_page(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)
    assert "/static/favicon.svg" in client.get("/").content.decode()


@override_settings(DEBUG=False)
def test_unknown_page_is_the_sites_404_page(client):
    response = client.get("/nope")

    body = response.content.decode()
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert SITE_HEADER in body
    assert "Page not found" in body


def test_unknown_url_under_api_stays_json(client):
    response = client.get("/api/nope")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_404_raised_under_api_by_a_page_view_is_json(rf):
    from django.http import Http404

    response = not_found(rf.get("/api/oauth2/whatever"), Http404())

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def _boom(request):
    raise RuntimeError("kaboom secret")


urlpatterns = [path("boom", _boom), path("api/boom", _boom), *site_urlpatterns]
handler500 = server_error


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_server_error_is_the_sites_500_page_and_json_under_api():
    client = Client(raise_request_exception=False)

    page = client.get("/boom")
    api = client.get("/api/boom")

    assert page.status_code == 500
    assert SITE_HEADER in page.content.decode()
    assert "kaboom" not in page.content.decode()
    assert api.status_code == 500
    assert api.json() == {"detail": "Internal server error."}
