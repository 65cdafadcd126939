"""What oauthclients announces, for whoever keeps a record (the project's ``activity`` app); this
app imports none of them. Every signal is sent with ``sender=Client`` (the client model class).

``client_registered(client)``, ``client_secret_rotated(client)``, ``client_deleted(client)``
    From the services, so the REST API, DCR, the portal, the admin and the command all send them;
    ``client_deleted`` gets the instance after deletion (its id, name and owner still set).
``consent_given(client, user, scopes)``
    The user pressed Allow on the consent page.
``access_revoked(client, user)``
    The user took an application's access back (authorized applications page).
``refresh_token_reuse_detected(client, user)``
    A revoked refresh token was presented; DOT revoked its whole family.
"""

from django.dispatch import Signal

client_registered = Signal()
client_secret_rotated = Signal()
client_deleted = Signal()
consent_given = Signal()
access_revoked = Signal()
refresh_token_reuse_detected = Signal()
