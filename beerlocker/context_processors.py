"""Template context every page of the site gets."""


def site(request):
    """``site_name``: the name the reusable apps' pages (consent, sign-out, developer portal, ...)
    give this site; without it they say "this site" (docs/templates.md)."""
    return {"site_name": "Beer Locker"}
