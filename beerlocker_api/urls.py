"""The API's RFC 9728 protected-resource metadata, included by the project at the site's root.

Served at the root form (``/.well-known/oauth-protected-resource``: the site's main protected
resource is the API) and at the path form of the API's identifier (RFC 9728 §3.1:
``/.well-known/oauth-protected-resource/api/``, with or without the slash), the URL the API's
challenges name (``resource_metadata``).
"""

import re

from django.urls import re_path

from beerlocker_api import resource
from beerlocker_api.views import ProtectedResourceMetadataView

_WELL_KNOWN = re.escape(resource.WELL_KNOWN.lstrip("/"))
_API_PATH = re.escape(resource.api_path().strip("/"))

urlpatterns = [
    re_path(rf"^{_WELL_KNOWN}/?$", ProtectedResourceMetadataView.as_view(), name="oauth-protected-resource"),
    # (Absent when the API's identifier is an origin: the root form is its metadata then.)
    *[
        re_path(
            rf"^{_WELL_KNOWN}/{_API_PATH}/?$",
            ProtectedResourceMetadataView.as_view(),
            name="oauth-protected-resource-api",
        )
        for _ in [_API_PATH]
        if _API_PATH
    ],
]
