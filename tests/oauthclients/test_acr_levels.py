"""The order of the ``acr`` levels: what a sign-in at one level satisfies."""

import json
from types import SimpleNamespace

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


MFA, PHR, PASSWORD = authn.ACR_MFA, authn.ACR_PHR, authn.ACR_PASSWORD


def claims(acr) -> str:
    return json.dumps({"id_token": {"acr": acr}})


@pytest.mark.parametrize(
    ("params", "default", "wanted"),
    [
        ({}, "", authn.AcrRequest()),
        ({"acr_values": f"{PHR} urn:other {MFA}"}, "", authn.AcrRequest(values=(PHR, MFA))),
        ({}, f"{MFA}", authn.AcrRequest(values=(MFA,))),
        ({"acr_values": PASSWORD}, MFA, authn.AcrRequest(values=(PASSWORD,))),
        ({"claims": claims({"essential": True, "value": MFA})}, "", authn.AcrRequest((MFA,), True)),
        (
            {"claims": claims({"values": [PHR, MFA]}), "acr_values": PASSWORD},
            "",
            authn.AcrRequest((PHR, MFA)),
        ),
        (
            {"claims": claims({"essential": True, "values": ["urn:x"]})},
            "",
            authn.AcrRequest(("urn:x",), True),
        ),
        # A claims request naming no level leaves acr_values in charge; unreadable JSON is ignored.
        ({"claims": claims({"essential": True}), "acr_values": MFA}, "", authn.AcrRequest((MFA,))),
        ({"claims": "{not json", "acr_values": MFA}, "", authn.AcrRequest((MFA,))),
        ({"claims": json.dumps(["id_token"]), "acr_values": MFA}, "", authn.AcrRequest((MFA,))),
    ],
)
def test_requested_acr_reads_claims_then_acr_values_then_the_clients_default(params, default, wanted):
    client = SimpleNamespace(default_acr_values=default)
    assert authn.requested_acr(params, client) == wanted


def decide(achieved, wanted=(), essential=False, minimum="", reachable=()):
    def levels():
        levels.asked = True
        return list(reachable)

    levels.asked = False
    decision = authn.step_up_decision(
        achieved=achieved,
        wanted=authn.AcrRequest(tuple(wanted), essential),
        minimum=minimum,
        reachable=levels,
    )
    return decision, levels.asked


def test_a_session_at_the_level_costs_no_look_up_of_the_users_factors():
    assert decide(MFA, [MFA], minimum=MFA) == (authn.StepUp(), False)
    assert decide(PASSWORD) == (authn.StepUp(), False)


@pytest.mark.parametrize(
    ("kwargs", "decision"),
    [
        ({"achieved": PASSWORD, "wanted": [MFA], "reachable": [MFA]}, authn.StepUp(acr=MFA)),
        ({"achieved": PASSWORD, "wanted": [MFA]}, authn.StepUp()),  # voluntary: go on
        ({"achieved": PASSWORD, "wanted": [MFA], "essential": True}, authn.StepUp(unmet="essential")),
        ({"achieved": MFA, "wanted": [PHR, MFA], "reachable": [MFA]}, authn.StepUp()),
        ({"achieved": MFA, "wanted": [PHR, MFA], "reachable": [MFA, PHR]}, authn.StepUp(acr=PHR)),
        ({"achieved": PASSWORD, "wanted": [PHR, MFA], "reachable": [MFA]}, authn.StepUp(acr=MFA)),
        (
            {"achieved": PASSWORD, "wanted": [PASSWORD], "minimum": MFA, "reachable": [MFA]},
            authn.StepUp(acr=MFA),
        ),
        ({"achieved": PASSWORD, "minimum": MFA}, authn.StepUp(unmet="minimum")),
        ({"achieved": MFA, "minimum": PHR, "reachable": [MFA]}, authn.StepUp(unmet="minimum")),
        ({"achieved": None, "wanted": [PASSWORD], "reachable": []}, authn.StepUp()),
    ],
)
def test_step_up_decision(kwargs, decision):
    assert decide(**kwargs)[0] == decision
