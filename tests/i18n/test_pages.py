"""Every page, e-mail and API message in the browser's language (German and French), with no
English sentence of our catalogues left; the footer's switcher overrides the browser."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD, BeerFactory, ClientFactory
from tests.support.http import basic_api, signed_in_as
from tests.support.i18n import english_left, visible_text
from tests.support.oauth import authorize_url, mint_tokens, pkce_pair

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


def test_personal_access_tokens_page(user, language):
    page = signed_in_as(user).get(reverse("personaltokens:tokens"), **headers(language))

    assert_translated(page, language, LANGUAGES[language]["tokens"])


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
