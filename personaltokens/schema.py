"""The personal access token in the OpenAPI schema: an HTTP bearer scheme, on the endpoints that
take tokens (imported by ``PersonalTokensConfig.ready`` when drf-spectacular is installed)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from beerlocker_api.permissions import required_token_scopes


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "personaltokens.authentication.PersonalAccessTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "blpat_…",
            "description": "A personal access token (`/account/tokens/`), held to its scopes; also "
            "accepted as the HTTP Basic password.",
        }

    def get_security_requirement(self, auto_schema):
        scopes = required_token_scopes(auto_schema.view.request, auto_schema.view)
        return None if scopes is None else {self.name: []}
