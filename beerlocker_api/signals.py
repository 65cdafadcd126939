"""Signals every API (and page) of the project may send.

``rate_limited(sender, request, scope)``
    A request was refused for its rate (a DRF throttle, the sign-up page's limit); ``scope`` is
    the limit's name, ``request`` the refused request.
"""

from django.dispatch import Signal

rate_limited = Signal()
