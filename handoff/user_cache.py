"""The signed-in user read from the cache instead of the database on every request.

Each request (a live page's poll every few seconds included) reads its session and then its
user; with AUTH_USER_CACHE_SECONDS the user row comes from the shared cache, checked as
Django checks it (active, and the session's password hash still the user's), so a request
costs one query less. Saving or deleting a user drops their entry; a change that bypasses
save() (a queryset update) shows within AUTH_USER_CACHE_SECONDS. Anything unusual (no entry,
a hash that does not match, a backend no longer configured) goes through Django's own get_user.
"""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from handoff.models import User


def cache_key(user_id) -> str:
    return f"auth-user:{user_id}"


def _from_cache(request: HttpRequest) -> User | None:
    """The cached user of this session, if it passes the checks Django's get_user makes."""
    session = request.session
    user_id = session.get(auth.SESSION_KEY)
    if (
        user_id is None
        or session.get(auth.BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS
    ):
        return None
    user = cache.get(cache_key(user_id))
    if not isinstance(user, User) or str(user.pk) != str(user_id) or not user.is_active:
        return None
    session_hash = session.get(auth.HASH_SESSION_KEY) or ""
    if not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return None
    return user


def get_user(request: HttpRequest):
    if not hasattr(request, "_cached_user"):
        request._cached_user = _load(request)
    return request._cached_user


def _load(request: HttpRequest):
    seconds = settings.AUTH_USER_CACHE_SECONDS
    if seconds <= 0:
        return auth.get_user(request)
    cached = _from_cache(request)
    if cached is not None:
        return cached
    user = auth.get_user(request)
    if user.is_authenticated:
        cache.set(cache_key(user.pk), user, seconds)
    return user


class CachedUserAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, reading the user through get_user above."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))


def _forget(sender, instance: User, **kwargs) -> None:
    cache.delete(cache_key(instance.pk))


def connect() -> None:
    """Drop a user's entry whenever the user is saved or deleted (called from ready())."""
    post_save.connect(_forget, sender=User, dispatch_uid="cached-user-saved")
    post_delete.connect(_forget, sender=User, dispatch_uid="cached-user-deleted")
