from django.urls import NoReverseMatch, reverse

from handoff.roles import navigation_for


def navigation(request) -> dict:
    items = []
    for label, name in navigation_for(getattr(request, "user", None)):
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"nav_items": items}
