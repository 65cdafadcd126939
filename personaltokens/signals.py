"""Sent after a personal access token is created or revoked (``token``: the row, ``user``: its
owner); the activity app records and mails them."""

from beerlocker_api.signals import KeywordSignal

token_created = KeywordSignal("token", "user")
token_revoked = KeywordSignal("token", "user")
