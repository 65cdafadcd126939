"""axe-core over every page of the site, ours and the libraries' (the browsable API, Swagger UI, the
admin), at a desktop's and a phone's width: no violation of the rules axe runs by default (WCAG 2 A
and AA, best practices), and at the phone's width nothing scrolls sideways.

axe-core comes inside axe-playwright-python (its ``axe.min.js``): nothing is fetched at test time.
Every named page of the URLconf is either visited here or excluded below with the reason.
"""

import fnmatch
from urllib.parse import urlsplit

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect
from social_core.backends import utils as backend_utils

from accounts import emails
from lockers.models import Beer
from oauthclients.grants import DEVICE_CODE, REFRESH_TOKEN
from socialaccounts.models import SocialAccount
from tests.factories import PASSWORD, BeerFactory, make_client
from tests.support.browser import fits_the_screen, screenshot
from tests.support.oauth import authorize_url, mint_tokens, pkce_pair
from tests.support.providers import ALL_BACKENDS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
User = get_user_model()

# A desktop, and the phone the issue names (390 CSS pixels wide: today's common iPhone).
WIDTHS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}

# The named routes without arguments that the walk below visits, signed out and signed in.
SIGNED_OUT = [
    "accounts:home",
    "login",
    "accounts:signup",
    "password_reset",
    "password_reset_done",
    "password_reset_complete",
    "api-root",
    "api-docs",
    "admin-login",
]
SIGNED_IN = [
    "accounts:home",
    "lockers-web:beer-list",
    "lockers-web:beer-create",
    "accounts:sessions",
    "accounts:passkeys",
    "accounts:passkey-verify",
    "socialaccounts:connections",
    "activity:list",
    "password_change",
    "password_change_done",
    "oauthclients-web:authorized-list",
    "oauthclients-web:client-list",
    "oauthclients-web:client-create",
    "personaltokens:tokens",
    "accounts:security",
    "oauth2_provider:authorize",
    "oauth2_provider:device",
    "oauth2_provider:device-confirm",
    "oauth2_provider:rp-initiated-logout",
    # The browsable API: every list and the signed-in user's own resources.
    "api-root",
    "lockers:beer-list",
    "lockers:stats",
    "accounts-api:user-list",
    "accounts-api:user-me",
    "accounts-api:session-list",
    "activity-api:event-list",
    "oauthclients:client-list",
    "socialaccounts:account-list",
    "personaltokens-api:token-list",
    "accounts-api:authenticator-list",
    "api-docs",
    # The admin, as staff.
    "admin:index",
    "admin:auth_user_changelist",
    "admin:lockers_beer_add",
    "operations",
]
# What the walk leaves out, and why (a name or a shell-style pattern of names).
EXCLUDED = {
    "admin:*_changelist": "the admin's one changelist template: admin:auth_user_changelist is visited",
    "admin:*_add": "the admin's one change-form template: admin:lockers_beer_add (and a change) are visited",
    "admin:login": "answered by admin-login (the site's two-step sign-in, for staff), visited",
    "accounts:totp-start": "POST only: leads to accounts:totp-confirm",
    "accounts:passkey-rename": "POST only: back to accounts:passkeys, visited",
    "otp_webauthn:credential-*": "the passkey ceremonies' JSON endpoints (POST), not pages",
    "otp_webauthn:js-i18n-catalog": "JavaScript, not a page",
    "admin:logout": "POST only (Django 5): the sign-out ends on the site's signed-out page, visited",
    "admin:password_change": "Django's own admin form; staff change passwords on the site's page (visited)",
    "admin:password_change_done": "follows admin:password_change",
    "admin:jsi18n": "JavaScript, not a page",
    "admin:autocomplete": "JSON for the admin's widgets, not a page",
    "logout": "POST only: answered by the signed-out page, visited",
    "accounts:password-set": "for accounts without a usable password; the same form as password_change",
    "accounts:sessions-end-others": "POST only",
    "rest_framework:login": "a redirect to the site's sign-in page",
    "oauth2_provider:token": "POST only: OAuth JSON",
    "oauth2_provider:device-authorization": "POST only: OAuth JSON",
    "oauth2_provider:revoke-token": "POST only: OAuth JSON",
    "oauth2_provider:pushed-authorization-request": "POST only: OAuth JSON (RFC 9126)",
    "set_language": "POST only: the language switcher's form, on every page visited",
    "oauth2_provider:introspect": "POST only: OAuth JSON",
    "oauth2_provider:user-info": "JSON for bearer tokens (DOT's view, not the browsable API)",
    "oauth2_provider:oidc-connect-discovery-info": "JSON metadata",
    "oauth2_provider:jwks-info": "JSON metadata",
    "oauth2_provider:oauth-server-metadata": "JSON metadata",
    "oauth-server-metadata-root": "JSON metadata",
    "oauth-protected-resource": "JSON metadata",
    "oauth-protected-resource-api": "JSON metadata",
    "lockers-mcp:endpoint": "MCP's JSON-RPC endpoint",
    "lockers-mcp:resource-metadata": "JSON metadata",
    "accounts-api:sessions-end-others": "POST only",
    "oauthclients:dcr-register": "POST only: dynamic client registration's JSON",
    "schema": "the OpenAPI document (YAML), shown by api-docs",
    "api-docs-oauth2-redirect": "Swagger UI's OAuth callback: runs its script and closes the popup",
    "healthz": "a load balancer's probe",
    "readyz": "a load balancer's probe",
    "metrics": "Prometheus' scrape",
}


def named_routes_without_arguments(patterns=None, namespace=None, groups=0):
    """(name, has arguments) of every named route in the URLconf."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from named_routes_without_arguments(
                entry.url_patterns, inner or namespace, groups + entry.pattern.regex.groups
            )
        elif isinstance(entry, URLPattern) and entry.name and not groups + entry.pattern.regex.groups:
            yield f"{namespace}:{entry.name}" if namespace else entry.name


def excluded(name):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in EXCLUDED)


# Walked by test_the_second_factor_pages_have_no_axe_violations, in the order a person meets them.
SECOND_FACTOR = [
    "accounts:totp-confirm",
    "accounts:recovery-codes",
    "accounts:step-up",
    "accounts:sign-in-verify",
]


def test_every_named_page_is_checked_or_excluded_with_a_reason():
    routes = set(named_routes_without_arguments())
    visited = set(SIGNED_OUT) | set(SIGNED_IN) | set(SECOND_FACTOR)
    assert visited <= routes, f"visited but not in the URLconf: {sorted(visited - routes)}"
    forgotten = sorted(name for name in routes - visited if not excluded(name))
    assert not forgotten, f"add these pages to the walk (or to EXCLUDED, with the reason): {forgotten}"
    stale = sorted(p for p in EXCLUDED if not any(fnmatch.fnmatchcase(name, p) for name in routes - visited))
    assert not stale, f"EXCLUDED names no route left out of the walk: {stale}"


class Checker:
    """Runs axe on the current state of a page; collects violations and sideways scrolling."""

    def __init__(self, page, width):
        self.page, self.width, self.problems, self.seen = page, width, [], []
        self.axe = Axe()

    def check(self, label, *, expect_status=200, response=None, url_name=None):
        page = self.page
        page.wait_for_load_state("load")
        if response is not None and response.status != expect_status:
            self.problems.append(f"{label}: HTTP {response.status} at {page.url}, not {expect_status}")
        if url_name and resolve(urlsplit(page.url).path).view_name != url_name:
            self.problems.append(f"{label}: ended at {page.url}, not at {url_name}")
        results = self.axe.run(page).response
        for violation in results["violations"]:
            targets = [" ".join(node["target"]) for node in violation["nodes"]]
            first = violation["nodes"][0].get("failureSummary", "").replace("\n", " ")
            self.problems.append(
                f"{label} ({self.width}, {urlsplit(page.url).path}): {violation['id']} "
                f"[{violation['impact']}] {violation['help']}: {len(targets)} node(s): {targets[:8]}; "
                f"the first: {first[:300]}"
            )
        if self.width == "phone" and not fits_the_screen(page):
            scroll = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            self.problems.append(f"{label} ({self.width}): scrolls sideways, {scroll[0]} > {scroll[1]} px")
        self.seen.append(label)

    def visit(self, path_or_name, label=None, *, expect_status=200, **kwargs):
        """Opens a path, or a named route (which must then be where the browser ends up)."""
        named = not path_or_name.startswith("/")
        response = self.page.goto(reverse(path_or_name, **kwargs) if named else path_or_name)
        url_name = path_or_name if named else None
        self.check(label or path_or_name, expect_status=expect_status, response=response, url_name=url_name)


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()


def the_swagger_ui(checker, label, *, interact=True):
    """Swagger UI once drawn; then with an operation open, then with the Authorize dialog open."""
    page = checker.page
    expect(page.locator(".opblock").first).to_be_visible(timeout=30_000)
    checker.check(label)
    if not interact:
        return
    page.locator(".opblock-summary-control").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    checker.check(f"{label}, an operation expanded")
    page.get_by_role("button", name="Authorize").first.click()
    expect(page.locator(".modal-ux")).to_be_visible()
    checker.check(f"{label}, the Authorize dialog")
    page.keyboard.press("Escape")


@pytest.fixture
def walk(chromium, live_server, settings):
    """Opens a tab at ``width`` and returns the checker."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "DEVICE_FLOW_INTERVAL": 1}
    settings.SOCIALACCOUNTS = {**settings.SOCIALACCOUNTS, "TOKEN_ENCRYPTION_KEYS": ["axe-" + "k" * 40]}
    # Every provider's button on the sign-in pages (nothing is asked of a provider here).
    settings.AUTHENTICATION_BACKENDS = ALL_BACKENDS
    backend_utils.BACKENDSCACHE.clear()
    contexts = []

    def open_tab(width):
        context = chromium.new_context(base_url=live_server.url, **WIDTHS[width])
        # Generous: Swagger UI's bundle is megabytes, and CI machines are shared.
        context.set_default_timeout(30_000)
        contexts.append(context)
        return Checker(context.new_page(), width)

    yield open_tab
    for context in contexts:
        context.close()
    backend_utils.BACKENDSCACHE.clear()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_has_no_axe_violations(walk, live_server, width):
    staff = User.objects.create_superuser("axel", "axel@example.com", PASSWORD)
    beer = BeerFactory(owner=staff, name="Orval", type="Trappist", quantity=6)
    client, _ = make_client(user=staff, name="Beer Tracker", scope="beers:read profile")
    device_client, device_secret = make_client(
        user=staff, name="Beer CLI", grant_types=[DEVICE_CODE, REFRESH_TOKEN]
    )
    mint_tokens(staff, application=client)
    SocialAccount.objects.create(user=staff, provider="github", uid="4242", extra_data={"login": "axel"})
    checker = walk(width)
    page = checker.page

    # --- Signed out
    for name in SIGNED_OUT:
        if name == "api-docs":
            page.goto(reverse(name))
            the_swagger_ui(checker, "api-docs signed out", interact=False)  # opened signed in below
        else:
            checker.visit(name)
            if name == "admin-login":
                screenshot(page, f"a11y-admin-sign-in-{width}")
    token = default_token_generator.make_token(staff)
    uid = urlsafe_base64_encode(force_bytes(staff.pk))
    checker.visit(reverse("password_reset_confirm", args=[uid, token]), "password_reset_confirm")
    checker.visit(reverse("accounts:email-verify", args=[emails.verification_token(staff)]), "email-verify")
    checker.visit("/no-such-page/", "404", expect_status=404)
    checker.visit("/api/beers/", "browsable API signed out: sends to the sign-in page")

    # --- Signed in
    sign_in(page, "axel")
    checker.check("sign-in's landing page")
    screenshots = {"api-root": "a11y-browsable-api-root", "lockers:beer-list": "a11y-browsable-api-beers"}
    for name in SIGNED_IN:
        if name == "api-docs":
            page.goto(reverse(name))
            the_swagger_ui(checker, "api-docs signed in")
            screenshot(page, f"a11y-api-docs-{width}")
        elif name == "oauth2_provider:authorize":
            _, challenge = pkce_pair()
            url = authorize_url(client, scope="beers:read profile", code_challenge=challenge)
            url += "&code_challenge_method=S256"
            checker.visit(url, "consent")
        elif name == "oauth2_provider:device":
            started = requests.post(
                f"{live_server.url}{reverse('oauth2_provider:device-authorization')}",
                data={"scope": "beers:read"},
                auth=(device_client.client_id, device_secret),
                timeout=10,
            )
            assert started.status_code == 200, started.text
            checker.visit(name)
            page.get_by_label("Code").fill(started.json()["user_code"])
            page.get_by_role("button", name="Continue").click()
            checker.check("device confirm", url_name="oauth2_provider:device-confirm")
        elif name == "oauth2_provider:device-confirm":
            continue  # reached from the code entry page just above
        elif name == "lockers:stats":
            checker.visit(name, "browsable API error page (403)", expect_status=403)
        elif name == "accounts-api:user-list":
            checker.visit(name, "browsable API error page (405: sign-up is a POST)", expect_status=405)
        else:
            checker.visit(name)
            if name in screenshots:
                screenshot(page, f"{screenshots[name]}-{width}")
    # Pages about one object.
    for name, kwargs in [
        ("lockers-web:beer-update", {"pk": beer.pk}),
        ("lockers-web:beer-delete", {"pk": beer.pk}),
        ("oauthclients-web:client-detail", {"client_id": client.client_id}),
        ("oauthclients-web:client-update", {"client_id": client.client_id}),
        ("oauthclients-web:client-delete", {"client_id": client.client_id}),
        ("lockers:beer-detail", {"pk": beer.pk}),
        ("oauthclients:client-detail", {"client_id": client.client_id}),
        ("admin:auth_user_change", {"object_id": staff.pk}),
    ]:
        checker.visit(name, name, kwargs=kwargs)
    checker.visit(
        reverse("lockers:beer-detail", kwargs={"pk": 10**12}), "browsable API 404", expect_status=404
    )
    # The client secret, shown once after registering.
    page.goto(reverse("oauthclients-web:client-create"))
    page.get_by_label("Name").fill("Another app")
    page.get_by_label("Redirect URIs").fill("https://another.example/callback")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Copy the client secret now.")).to_be_visible()
    checker.check("client secret, shown once")
    # A personal access token, shown once after creating it.
    page.goto(reverse("personaltokens:tokens"))
    page.get_by_role("textbox", name="Name").fill("backup script")
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#personal-token")).to_be_visible()
    checker.check("personal access token, shown once")
    # Sign out: the signed-out page.
    page.get_by_role("button", name="Sign out").click()
    checker.check("signed out")
    assert Beer.objects.filter(pk=beer.pk).exists()

    print(f"\naxe checked {len(checker.seen)} page states at the {width} width")
    assert not checker.problems, "\n".join(
        [f"{len(checker.problems)} accessibility problem(s):", *checker.problems]
    )


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_second_factor_pages_have_no_axe_violations(walk, live_server, width, settings):
    """The pages met only mid-flow: adding an authenticator app (its QR code and key), the recovery
    codes shown once, an application's step-up, and the second sign-in step."""
    from tests.support.otp import code, secret_from_page

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    User.objects.create_user("tess", "tess@example.com", PASSWORD)
    checker = walk(width)
    page = checker.page
    sign_in(page, "tess")
    page.goto(reverse("accounts:security"))
    page.get_by_role("button", name="Add an authenticator app").click()
    expect(page.locator("#totp-secret")).to_be_visible()
    checker.check("accounts:totp-confirm", url_name="accounts:totp-confirm")
    key = secret_from_page(f'id="totp-secret">{page.locator("#totp-secret").inner_text()}<')
    page.get_by_label("Name").fill("Phone")
    page.get_by_label("Code from the app").fill(code(key))
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    checker.check("accounts:recovery-codes")  # the confirming POST's answer, at the confirm URL
    # Signed in with the password before the app was added: an application's step-up asks for it.
    checker.visit("accounts:step-up")
    expect(page.get_by_label("Code")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("tess")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_label("Code")).to_be_visible()
    checker.check("accounts:sign-in-verify", url_name="accounts:sign-in-verify")

    assert checker.seen == SECOND_FACTOR
    assert not checker.problems, "\n".join(
        [f"{len(checker.problems)} accessibility problem(s):", *checker.problems]
    )
