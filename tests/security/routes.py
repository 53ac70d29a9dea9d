"""Every route the URL configuration serves, found by walking the resolver."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# The admin is excluded as a whole (staff only, tested by Django itself) except its login.
ADMIN_KEPT = {"admin:login"}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the pattern for an unnamed route
    pattern: str
    params: tuple[str, ...]
    methods: tuple[str, ...]  # write methods the view declares; GET is always tried

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/v1/")


def _pattern_text(pattern) -> str:
    return str(pattern).lstrip("^").rstrip("$")


def _declared_methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: {"get": "list", "post": "create"}
        return tuple(m.upper() for m in actions if m.upper() in WRITE_METHODS)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if getattr(callback, "cls", None) is not None:  # a DRF APIView
        return tuple(m for m in WRITE_METHODS if hasattr(view_class, m.lower()))
    if view_class is not None:  # a Django view; its form views' put() is only an alias of post()
        return tuple(m for m in ("POST", "DELETE") if hasattr(view_class, m.lower()))
    return ()


def _walk(patterns, prefix: str, namespace: str):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + _pattern_text(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            text = prefix + _pattern_text(entry.pattern)
            name = entry.name
            key = (f"{namespace}:{name}" if namespace else name) if name else text
            params = tuple(entry.pattern.regex.groupindex)
            yield Route(key, text, params, _declared_methods(entry.callback))


def all_routes() -> list[Route]:
    """One Route per name: format-suffix twins (…\\.(?P<format>…)) are the same view."""
    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns, "", ""):
        if route.key.startswith("admin:") and route.key not in ADMIN_KEPT:
            continue
        if route.pattern.startswith("admin/") and route.key not in ADMIN_KEPT:
            continue
        if "format" in route.params:
            continue
        if route.key in routes:
            merged = tuple(dict.fromkeys(routes[route.key].methods + route.methods))
            route = Route(route.key, routes[route.key].pattern, routes[route.key].params, merged)
        routes[route.key] = route
    return sorted(routes.values(), key=lambda r: r.key)


def is_unnamed(route: Route) -> bool:
    return ":" not in route.key and re.search(r"[/<(]", route.key) is not None
