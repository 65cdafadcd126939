"""The order of the ``acr`` levels: what a sign-in at one level satisfies."""

import pytest

from oauthclients.oauth2.oidc import authn


@pytest.mark.parametrize(
    ("achieved", "wanted", "satisfied"),
    [
        (authn.ACR_PASSWORD, authn.ACR_PASSWORD, True),
        (authn.ACR_PROVIDER, authn.ACR_PASSWORD, True),
        (authn.ACR_PASSWORD, authn.ACR_PROVIDER, True),
        (authn.ACR_PASSWORD, authn.ACR_MFA, False),
        (authn.ACR_PROVIDER, authn.ACR_MFA, False),
        (authn.ACR_MFA, authn.ACR_MFA, True),
        (authn.ACR_MFA, authn.ACR_PASSWORD, True),
        (authn.ACR_MFA, authn.ACR_PHR, False),
        (authn.ACR_PHR, authn.ACR_MFA, True),
        (authn.ACR_PHR, authn.ACR_PHR, True),
        (None, authn.ACR_PASSWORD, False),
        ("urn:other:acr", authn.ACR_PASSWORD, False),
        (authn.ACR_PHR, "urn:other:acr", False),
        (None, None, True),
        (authn.ACR_PASSWORD, "", True),
    ],
)
def test_acr_satisfies_orders_the_levels(achieved, wanted, satisfied):
    assert authn.acr_satisfies(achieved, wanted) is satisfied
