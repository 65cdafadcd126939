"""What oauthclients announces, for whoever keeps a record (the project's ``activity`` app); this
app imports none of them. Every signal is sent with ``sender=Client`` (the client model class) and
exactly the keywords listed here (``KeywordSignal``: another shape is a TypeError at the sender).

``client_registered(client)``, ``client_secret_rotated(client)``, ``client_deleted(client)``
    From the services, so the REST API, DCR, the portal, the admin and the command all send them;
    ``client_deleted`` gets the instance after deletion (its id, name and owner still set).
``consent_given(client, user, scopes)``
    The user pressed Allow on the consent page.
``device_authorized(client, user, scopes)``
    The user allowed a device (RFC 8628 device flow) on the device page, or it was allowed by
    remembered consent once they entered its code.
``access_revoked(client, user)``
    The user took an application's access back (authorized applications page).
``refresh_token_reuse_detected(client, user)``
    A revoked refresh token was presented; DOT revoked its whole family.
"""

from beerlocker_api.signals import KeywordSignal

client_registered = KeywordSignal("client")
client_secret_rotated = KeywordSignal("client")
client_deleted = KeywordSignal("client")
consent_given = KeywordSignal("client", "user", "scopes")
device_authorized = KeywordSignal("client", "user", "scopes")
access_revoked = KeywordSignal("client", "user")
refresh_token_reuse_detected = KeywordSignal("client", "user")
