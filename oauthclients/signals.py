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
``outbound_refused(reason)``
    ``oauthclients.outbound`` turned a request to a client-registered URL away (the one signal
    sent with ``sender=None``: the fetch knows its URL, not its client). ``reason`` is one of
    ``OUTBOUND_REFUSALS``: ``"address"`` (a non-public address), ``"deadline"`` (no answer in full
    in time), ``"busy"`` (every outbound request slot taken). For metrics (the project's ``ops``).
"""

from beerlocker_api.signals import KeywordSignal

client_registered = KeywordSignal("client")
client_secret_rotated = KeywordSignal("client")
client_deleted = KeywordSignal("client")
consent_given = KeywordSignal("client", "user", "scopes")
device_authorized = KeywordSignal("client", "user", "scopes")
access_revoked = KeywordSignal("client", "user")
refresh_token_reuse_detected = KeywordSignal("client", "user")
outbound_refused = KeywordSignal("reason")

# outbound_refused's reasons, named once (a receiver may use them as a bounded label set).
OUTBOUND_REFUSALS = ("address", "deadline", "busy")
