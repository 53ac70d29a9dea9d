"""Every write on API tokens: create (the secret returned once), revoke, note a use."""

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from handoff.errors import ActionForbidden, DomainError
from handoff.models import User
from handoff.token_models import (
    MAX_TOKEN_NAME_LENGTH,
    PREFIX_LENGTH,
    TOKEN_MARK,
    ApiToken,
    ApiTokenEvent,
    ApiTokenEventKind,
    TokenScope,
)
from handoff.validators import validate_field_values

MAX_LIFETIME = timedelta(days=365)
MAX_LIVE_TOKENS = 25
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class AlreadyRevoked(DomainError):
    code = "already_revoked"


def new_secret() -> str:
    """hnd_ and 32 random bytes, URL-safe base64: 47 characters a program sends as is."""
    return TOKEN_MARK + secrets.token_urlsafe(32)


def hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_scopes(scopes: Any) -> list[str]:
    chosen = list(scopes) if isinstance(scopes, list | tuple | set | frozenset) else None
    if chosen is None or any(scope not in TokenScope.values for scope in chosen):
        raise ValidationError({"scopes": "Choose scopes from read, write and import."})
    if not chosen:
        raise ValidationError({"scopes": "Choose at least one scope."})
    return [scope for scope in TokenScope.values if scope in chosen]


def check_expiry(expires_at: datetime | None, *, now: datetime) -> None:
    if expires_at is None:
        return
    if expires_at <= now:
        raise ValidationError(
            {"expires_at": "Choose a time in the future for the token to expire."}
        )
    if expires_at > now + MAX_LIFETIME:
        raise ValidationError(
            {"expires_at": "A token expires within a year; choose an earlier time, or none."}
        )


def _live_tokens(user: User) -> Any:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


@transaction.atomic
def api_token_create(
    *, actor: User, name: str, scopes: Iterable[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A token of the actor's own and its secret, which the caller shows once."""
    if not actor.is_active:
        raise ActionForbidden("An inactive account makes no tokens.")
    now = timezone.now()
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name:
        raise ValidationError({"name": "Name the token after what uses it, e.g. “CRM sync”."})
    if len(name) > MAX_TOKEN_NAME_LENGTH:
        raise ValidationError(
            {"name": f"Keep the name to {MAX_TOKEN_NAME_LENGTH} characters or fewer."}
        )
    validate_field_values(ApiToken, {"name": name})
    chosen = clean_scopes(scopes)
    check_expiry(expires_at, now=now)
    # The user's row, locked: two creations at once count and name-check one after the other.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    live = _live_tokens(actor)
    if live.filter(name__iexact=name).exists():
        raise ValidationError(
            {"name": "You have a token of that name: revoke it first, or choose another name."}
        )
    if live.count() >= MAX_LIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_LIVE_TOKENS} tokens that are not revoked: revoke one you no longer use."
        )
    secret = new_secret()
    token = ApiToken(
        user=actor,
        name=name,
        scope_read=TokenScope.READ in chosen,
        scope_write=TokenScope.WRITE in chosen,
        scope_import=TokenScope.IMPORT in chosen,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=hash_of(secret),
        created_at=now,
        expires_at=expires_at,
    )
    try:
        with transaction.atomic():
            token.save()
    except IntegrityError:
        raise ValidationError(
            {"name": "You have a token of that name: revoke it first, or choose another name."}
        ) from None
    ApiTokenEvent.objects.create(token=token, actor=actor, at=now, kind=ApiTokenEventKind.CREATED)
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """The token stops working at once; the row stays, with its history."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != actor.pk:
        raise ActionForbidden("Only the token's owner revokes it.")
    if token.revoked_at is not None:
        raise AlreadyRevoked(f"The token “{token.name}” is already revoked.")
    now = timezone.now()
    token.revoked_at = now
    token.save(update_fields=["revoked_at"])
    ApiTokenEvent.objects.create(token=token, actor=actor, at=now, kind=ApiTokenEventKind.REVOKED)
    return token


def api_tokens_revoke_all(*, user_id: int, reason: str) -> int:
    """Revoke every token of a user (an account deactivated), recording each; how many."""
    now = timezone.now()
    with transaction.atomic():
        pks = list(
            ApiToken.objects.select_for_update()
            .filter(user_id=user_id, revoked_at__isnull=True)
            .values_list("pk", flat=True)
        )
        if not pks:
            return 0
        ApiToken.objects.filter(pk__in=pks).update(revoked_at=now)
        ApiTokenEvent.objects.bulk_create(
            ApiTokenEvent(token_id=pk, at=now, kind=ApiTokenEventKind.REVOKED, reason=reason)
            for pk in pks
        )
    return len(pks)


def api_token_note_use(token: ApiToken, *, now: datetime | None = None) -> None:
    """Record that the token was used, once a minute at most: a busy integration writes rarely."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = now - LAST_USED_RESOLUTION
    # Conditional: of two requests in the same minute, one writes.
    ApiToken.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk
    ).update(last_used_at=now)
    token.last_used_at = now
