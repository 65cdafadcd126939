"""Every page, e-mail and API message in the browser's language (German and French), with no
English sentence of our catalogues left; the footer's switcher overrides the browser."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from beerlocker_api import dpop, jwt_access
from tests.factories import PASSWORD, BeerFactory, ClientFactory
from tests.support.dpop import make_proof, new_key
from tests.support.http import basic_api, signed_in_as, signed_in_with_password
from tests.support.i18n import english_left, visible_text
from tests.support.oauth import authorize_url, mint_tokens, pkce_pair
from tests.support.otp import add_authenticator, code, secret_from_page
from tests.support.webauthn import SoftAuthenticator

# Per language: the browser's header, and words each page must show in it.
LANGUAGES = {
    "de": {
        "header": "de-DE,de;q=0.9,en;q=0.5",
        "home": ["Alle Ihre Biere in einem Fach.", "Registrieren", "Anmelden", "Sprache"],
        "signed_in_home": ["Mein Bierfach", "Autorisierte Anwendungen", "Abmelden"],
        "login": ["Passwort vergessen?", "Konto erstellen", "Benutzername"],
        "signup": ["Konto erstellen", "Passwort wiederholen"],
        "consent": ["Zugriff erlauben", "Ablehnen", "Sie bittet darum:", "Bestätigen, wer Sie sind"],
        "lockers": ["Mein Bierfach", "Bier hinzufügen", "Anzahl", "Bearbeiten"],
        "apps": ["Autorisierte Anwendungen", "Zugriff widerrufen", "Die Biere in Ihrem Bierfach sehen"],
        "developer": ["Entwickler-Anwendungen", "Anwendung registrieren", "Vertraulich"],
        "not_found": ["Seite nicht gefunden", "Zur Startseite"],
        "tokens": ["Persönliche Zugriffstokens", "Token erstellen", "Läuft ab nach", "30 Tagen"],
        "client_form": ["Zugriffstokens", "Opak (von der API", "Nur an DPoP gebundene Zugriffstokens"],
        "admin_login": ["Beer-Locker-Verwaltung", "Nur für Mitarbeitende", "Anmelden"],
        "docs_names": ['data-name-about="Über die API"', 'data-name-close="Schließen"'],
        "security": ["Sicherheit", "Authenticator-Apps", "Noch keine Authenticator-App."],
        "totp_confirm": ["Authenticator-App hinzufügen", "Code aus der App", "Abbrechen"],
        "recovery_codes": ["Ihre Wiederherstellungscodes", "Speichern Sie diese Codes jetzt", "Fertig"],
        "security_with_app": ["Hinzugefügt", "Zuletzt verwendet", "Entfernen", "Authenticator-App"],
        "passkeys": ["Passkeys", "Einen Passkey hinzufügen", "Hinzugefügt", "Zuletzt verwendet", "Entfernen"],
        "passkey_subject": "Ihrem Beer-Locker-Konto wurde ein Passkey hinzugefügt",
        "verify": ["Noch ein Schritt", "Ihr Passwort war richtig.", "Bestätigen", "Neu beginnen"],
        "wrong_code": "Dieser Code ist nicht richtig oder wurde bereits verwendet.",
        "factor_subject": "Ihrem Beer-Locker-Konto wurde ein zweiter Faktor hinzugefügt",
        "recovery_used_subject": "Anmeldung bei Ihrem Beer-Locker-Konto mit einem Wiederherstellungscode",
        "second_factor_refusal": "Dieses Konto verwendet einen zweiten Faktor",
        "header_only": "Senden Sie das Zugriffstoken im Authorization-Header",
        "dpop_alg": "Der alg des DPoP-Nachweises muss einer der folgenden sein: PS256.",
        "jwt_lacks": "Dem Zugriffstoken fehlt iss, exp, iat.",
        "reset_subject": "Setzen Sie Ihr Beer-Locker-Passwort zurück",
        "reset_body": ["Hallo ", "Jemand (hoffentlich Sie)", "Wählen Sie hier ein neues Passwort:"],
        "blank": "Dieses Feld darf nicht leer sein.",
        "invalid_token": "Das Zugriffstoken ist ungültig oder abgelaufen.",
        "date": "März 2026",
        "html_lang": 'lang="de"',
    },
    "fr": {
        "header": "fr-FR,fr;q=0.9,en;q=0.5",
        "home": ["Toutes vos bières dans un seul casier.", "S'inscrire", "Se connecter", "Langue"],
        "signed_in_home": ["Mon casier", "Applications autorisées", "Se déconnecter"],
        "login": ["Mot de passe oublié\u00a0?", "Créer un compte", "Nom d’utilisateur"],
        "signup": ["Créez votre compte", "Confirmer le mot de passe"],
        "consent": ["Autoriser", "Refuser", "Elle demande à\u00a0:", "Confirmer votre identité"],
        "lockers": ["Mon casier", "Ajouter une bière", "Quantité", "Modifier"],
        "apps": ["Applications autorisées", "Révoquer l'accès", "Voir les bières de votre casier"],
        "developer": ["Applications de développeur", "Enregistrer une application", "Confidentiel"],
        "not_found": ["Page introuvable", "Aller à l'accueil"],
        "tokens": ["Jetons d'accès personnels", "Créer le jeton", "Expire après", "30 jours"],
        "client_form": [
            "Jetons d'accès",
            "Opaque (recherché par l'API",
            "Uniquement des jetons d'accès liés",
        ],
        "admin_login": ["Administration de Beer Locker", "Réservé au personnel", "Se connecter"],
        "docs_names": ['data-name-about="À propos de l\'API"', 'data-name-close="Fermer"'],
        "security": ["Sécurité", "Applications d'authentification", "Pas encore d'application"],
        "totp_confirm": ["Ajouter une application d'authentification", "Code de l'application", "Annuler"],
        "recovery_codes": ["Vos codes de récupération", "Enregistrez ces codes maintenant", "Terminé"],
        "security_with_app": [
            "Ajoutée",
            "Dernière utilisation",
            "Supprimer",
            "Application d'authentification",
        ],
        "passkeys": [
            "Clés d'accès",
            "Ajouter une clé d'accès",
            "Ajoutée",
            "Dernière utilisation",
            "Supprimer",
        ],
        "passkey_subject": "Une clé d'accès a été ajoutée à votre compte Beer Locker",
        "verify": ["Encore une étape", "Votre mot de passe était correct.", "Vérifier", "Recommencer"],
        "wrong_code": "Ce code n'est pas correct, ou a déjà été utilisé.",
        "factor_subject": "Un second facteur a été ajouté à votre compte Beer Locker",
        "recovery_used_subject": (
            "Un code de récupération a servi à vous connecter à votre compte Beer Locker"
        ),
        "second_factor_refusal": "Ce compte utilise un second facteur",
        "header_only": "Envoyez le jeton d'accès dans l'en-tête Authorization",
        "dpop_alg": "L'alg de la preuve DPoP doit être l'un de ceux-ci\u00a0: PS256.",
        "jwt_lacks": "Il manque iss, exp, iat au jeton d'accès.",
        "reset_subject": "Réinitialisez votre mot de passe Beer Locker",
        "reset_body": [
            "Bonjour ",
            "Quelqu'un (vous, espérons-le)",
            "Choisissez un nouveau mot de passe ici\u00a0:",
        ],
        "blank": "Ce champ ne peut être vide.",
        "invalid_token": "Le jeton d'accès est invalide ou a expiré.",
        "date": "mars 2026",
        "html_lang": 'lang="fr"',
    },
}

pytestmark = [pytest.mark.django_db, pytest.mark.parametrize("language", sorted(LANGUAGES))]


def headers(language):
    return {"HTTP_ACCEPT_LANGUAGE": LANGUAGES[language]["header"]}


def assert_translated(response, language, expected):
    """The page is in ``language``: its words are there, no English sentence of ours is."""
    assert response.status_code in (200, 404), response.status_code
    html = response.content.decode()
    text = visible_text(html)
    assert LANGUAGES[language]["html_lang"] in html
    for words in expected:
        assert words in text, f"{words!r} not on the page"
    assert english_left(html, language) == []


def test_home_page_signed_out_and_signed_in(client, user, language):
    assert_translated(client.get("/", **headers(language)), language, LANGUAGES[language]["home"])
    page = signed_in_as(user).get("/", **headers(language))
    assert_translated(page, language, LANGUAGES[language]["signed_in_home"])


def test_sign_in_and_sign_up_pages(client, language):
    login = client.get(reverse("login"), **headers(language))
    assert_translated(login, language, LANGUAGES[language]["login"])
    signup = client.get(reverse("accounts:signup"), **headers(language))
    assert_translated(signup, language, LANGUAGES[language]["signup"])


def test_sign_up_errors_are_translated(client, language):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "someone", "password1": "a long passphrase", "password2": "another one"},
        **headers(language),
    )

    assert response.status_code == 200
    expected = {"de": "Die beiden Passwörter stimmen nicht überein.", "fr": "Les deux mots de passe"}
    assert expected[language] in visible_text(response.content.decode())
    assert english_left(response.content.decode(), language) == []


def test_consent_page_of_a_registered_application_with_several_scopes(user, language):
    scopes = "openid profile email beers:read beers:write"
    application = ClientFactory(name="Beer Stats", scope=scopes)
    _, challenge = pkce_pair()
    url = authorize_url(
        application,
        scope=scopes,
        code_challenge=challenge,
        code_challenge_method="S256",
    )

    page = signed_in_as(user).get(url, **headers(language))

    assert page.status_code == 200
    assert_translated(page, language, LANGUAGES[language]["consent"])
    # Every scope is described in the reader's language (the settings hold them in English).
    text = visible_text(page.content.decode())
    for english in ("Confirm who you are", "See your e-mail address", "Add, change and remove beers"):
        assert english not in text


def test_my_locker_page_with_localised_numbers(user, language):
    BeerFactory(owner=user, name="Orval", quantity=12345)

    page = signed_in_as(user).get(reverse("lockers-web:beer-list"), **headers(language))

    assert_translated(page, language, LANGUAGES[language]["lockers"])
    # USE_THOUSAND_SEPARATOR is off: a quantity is written as a number, localised (no grouping).
    assert ">12345</td>" in page.content.decode()


def test_authorized_applications_and_developer_pages_with_localised_dates(user, language):
    application = ClientFactory(user=user, name="Beer Stats")
    mint_tokens(user, application=application, scope="beers:read")
    type(application).objects.filter(pk=application.pk).update(created="2026-03-04T05:06:00Z")
    browser = signed_in_as(user)

    apps = browser.get(reverse("oauthclients-web:authorized-list"), **headers(language))
    developer = browser.get(reverse("oauthclients-web:client-list"), **headers(language))

    assert_translated(apps, language, LANGUAGES[language]["apps"])
    assert_translated(developer, language, LANGUAGES[language]["developer"])
    # DATE_FORMAT of the language: the month's name in it, not English's "Mar".
    assert LANGUAGES[language]["date"] in visible_text(developer.content.decode())


def test_new_application_form_with_its_token_options(user, language):
    page = signed_in_as(user).get(reverse("oauthclients-web:client-create"), **headers(language))

    assert_translated(page, language, LANGUAGES[language]["client_form"])


def test_personal_access_tokens_page(user, language):
    page = signed_in_as(user).get(reverse("personaltokens:tokens"), **headers(language))

    assert_translated(page, language, LANGUAGES[language]["tokens"])


def test_security_pages_and_the_second_factor_email(user, language, django_capture_on_commit_callbacks):
    user.email = "reader@example.com"
    user.save(update_fields=["email"])
    browser = signed_in_with_password(user, **headers(language))
    expected = LANGUAGES[language]

    assert_translated(browser.get(reverse("accounts:security")), language, expected["security"])
    browser.post(reverse("accounts:totp-start"))
    confirm = browser.get(reverse("accounts:totp-confirm"))
    assert_translated(confirm, language, expected["totp_confirm"])
    key = secret_from_page(confirm.content.decode())
    with django_capture_on_commit_callbacks(execute=True):
        codes = browser.post(reverse("accounts:totp-confirm"), {"name": "", "token": code(key)})
    assert_translated(codes, language, expected["recovery_codes"])
    page = browser.get(reverse("accounts:security"))

    # The app, named in the reader's language when it was added, and its recovery codes.
    assert_translated(page, language, expected["security_with_app"])
    # One e-mail for the app, one for the recovery codes that came with it.
    notices = [message for message in mail.outbox if message.subject == expected["factor_subject"]]
    assert len(notices) == 2
    for notice in notices:
        assert english_left(notice.alternatives[0][0], language) == []
        assert english_left(notice.body.replace("\n", " "), language) == []


def test_passkeys_page_and_the_passkey_email(user, language, django_capture_on_commit_callbacks):
    user.email = "reader@example.com"
    user.save(update_fields=["email"])
    browser = signed_in_as(user, **headers(language))
    expected = LANGUAGES[language]
    begin = reverse("otp_webauthn:credential-registration-begin")
    options = browser.post(begin, {}, content_type="application/json").json()
    with django_capture_on_commit_callbacks(execute=True):
        added = browser.post(
            reverse("otp_webauthn:credential-registration-complete"),
            SoftAuthenticator().create(options),
            content_type="application/json",
        )
    assert added.status_code == 200, added.content

    # The passkey's default name is the browser's description, not a sentence of ours.
    assert_translated(browser.get(reverse("accounts:passkeys")), language, expected["passkeys"])
    (notice,) = [message for message in mail.outbox if message.subject == expected["passkey_subject"]]
    assert english_left(notice.alternatives[0][0], language) == []
    assert english_left(notice.body.replace("\n", " "), language) == []


def test_sign_in_verify_page_its_errors_and_the_recovery_code_email(
    user, client, language, settings, django_capture_on_commit_callbacks
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user.email = "reader@example.com"
    user.save(update_fields=["email"])
    _, recovery_codes = add_authenticator(signed_in_with_password(user))
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **headers(language))

    page = client.get(reverse("accounts:sign-in-verify"), **headers(language))
    wrong = client.post(reverse("accounts:sign-in-verify"), {"token": "000000"}, **headers(language))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in = client.post(
            reverse("accounts:sign-in-verify"), {"token": recovery_codes[0]}, **headers(language)
        )

    assert_translated(page, language, LANGUAGES[language]["verify"])
    assert wrong.status_code == 200
    assert_translated(wrong, language, [LANGUAGES[language]["wrong_code"]])
    assert signed_in.status_code == 302
    subject = LANGUAGES[language]["recovery_used_subject"]
    [notice] = [message for message in mail.outbox if message.subject == subject]
    assert english_left(notice.alternatives[0][0], language) == []
    assert english_left(notice.body.replace("\n", " "), language) == []


def test_api_refusals_of_second_factors_and_dpop_in_the_requests_language(user, language):
    add_authenticator(signed_in_with_password(user))

    basic = basic_api(user.username, PASSWORD).get("/api/beers", **headers(language))
    dpop = APIClient().get(
        "/api/beers", HTTP_AUTHORIZATION="DPoP not-a-token", HTTP_DPOP="x.y.z", **headers(language)
    )

    assert basic.status_code == 401
    assert basic.json()["detail"].startswith(LANGUAGES[language]["second_factor_refusal"])
    # The detail is the reader's; the challenge (RFC 9449 error_description) stays English ASCII.
    assert dpop.status_code == 401
    assert dpop.json() == {"detail": LANGUAGES[language]["invalid_token"]}
    assert dpop["WWW-Authenticate"].isascii() and "invalid or expired" in dpop["WWW-Authenticate"]


@override_settings(BEERLOCKER_API={"DPOP_SIGNING_ALGS": ["PS256"]})
def test_refusals_naming_values_are_translated_whole(language):
    """A DPoP or JWT refusal that names values: the detail in the reader's language, the
    error_description (``description`` / ``str()``) in English."""
    secret = new_key("HS256")
    proof = make_proof(
        secret, htu="https://testserver/api/beers", alg="HS256", header_jwk=secret.export(as_dict=True)
    )
    with pytest.raises(dpop.InvalidProof) as refused_proof:
        dpop.verify_proof(proof, method="GET", uri="https://testserver/api/beers")
    with pytest.raises(jwt_access.RefusedToken) as refused_jwt:
        jwt_access.check_claims({"sub": "1", "client_id": "c", "jti": "j", "aud": "a"}, issuer="x")

    with translation.override(language):
        assert refused_proof.value.detail() == LANGUAGES[language]["dpop_alg"]
        assert refused_jwt.value.detail() == LANGUAGES[language]["jwt_lacks"]
        assert refused_proof.value.description == "The DPoP proof's alg must be one of: PS256."
        assert str(refused_jwt.value) == "The access token lacks iss, exp, iat."


def test_a_token_outside_the_header_is_refused_in_the_requests_language(language):
    response = APIClient().get("/api/beers?access_token=abc", **headers(language))

    assert response.status_code == 400
    assert response.json()["detail"].startswith(LANGUAGES[language]["header_only"])
    assert "not in the URL or body" in response["WWW-Authenticate"]


def test_admin_sign_in_and_api_docs_pages(client, language):
    admin_login = client.get("/admin/login/", **headers(language))
    docs = client.get("/api/docs", **headers(language))

    assert_translated(admin_login, language, LANGUAGES[language]["admin_login"])
    assert_translated(docs, language, [])
    # Swagger UI's regions are named by js/api-docs.js with the names the page gives it.
    for name in LANGUAGES[language]["docs_names"]:
        assert name in docs.content.decode()


def test_not_found_page(client, language):
    page = client.get("/no-such-page/", **headers(language))

    assert page.status_code == 404
    assert_translated(page, language, LANGUAGES[language]["not_found"])


def test_password_reset_email_in_the_requests_language(client, user, language):
    user.email = "reader@example.com"
    user.save(update_fields=["email"])

    response = client.post(reverse("password_reset"), {"email": user.email}, **headers(language))

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == LANGUAGES[language]["reset_subject"]
    html_body = message.alternatives[0][0]
    for words in LANGUAGES[language]["reset_body"]:
        assert words in message.body
    assert english_left(html_body, language) == []
    assert english_left(message.body.replace("\n", " "), language) == []


def test_api_errors_in_the_requests_language(user, language):
    api = basic_api(user.username, PASSWORD)

    invalid = api.post("/api/beers", {"name": "", "quantity": 1}, format="json", **headers(language))
    unauthenticated = APIClient().get(
        "/api/beers", HTTP_AUTHORIZATION="Bearer not-a-token", **headers(language)
    )

    # DRF's own message, from DRF's catalogue; the field names stay the API's.
    assert invalid.status_code == 400
    assert invalid.json() == {"name": [LANGUAGES[language]["blank"]]}
    # Ours, from beerlocker_api's catalogue; the challenge header stays English ASCII (RFC 6750).
    assert unauthenticated.status_code == 401
    assert unauthenticated.json() == {"detail": LANGUAGES[language]["invalid_token"]}
    assert unauthenticated["WWW-Authenticate"].isascii()


def test_the_switcher_sets_the_language_for_the_next_pages(client, language):
    other = "fr" if language == "de" else "de"
    home = client.get("/", **headers(other)).content.decode()
    # The switcher: a labelled select and a button, posting (with CSRF) to set_language.
    assert re.search(r'<form class="language-switcher" method="post" action="/i18n/setlang/">', home)
    assert '<label for="language-select">' in home and 'name="csrfmiddlewaretoken"' in home

    answer = client.post(
        "/i18n/setlang/", {"language": language, "next": "/accounts/login/"}, **headers(other)
    )

    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
    assert client.cookies["django_language"].value == language
    # The browser still says ``other``: the choice wins.
    page = client.get("/accounts/login/", **headers(other))
    assert_translated(page, language, LANGUAGES[language]["login"])


def test_without_a_choice_english_stays_the_default(client, language):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")

    assert "Keep your beers in one locker." in visible_text(page.content.decode())
    assert 'lang="en"' in page.content.decode()
