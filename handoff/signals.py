"""Account changes that must end API access: a new password or a deactivated account."""

from typing import Any

from django.db.models.signals import pre_save
from rest_framework.authtoken.models import Token

from handoff.models import User
from handoff.tokens.services import api_tokens_revoke_all

# Saves that touch none of these (a login's last_login, a digest's timestamp) cost no query.
_WATCHED = frozenset({"password", "is_active"})


def revoke_tokens_on_credentials_change(
    sender: type[User], instance: User, update_fields=None, **kwargs: Any
) -> None:
    """A password change or a deactivation deletes the user's sign-in token, as it ends sessions;
    a deactivation also revokes the scoped API tokens."""
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not _WATCHED & set(update_fields):
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    deactivated = before["is_active"] and not instance.is_active
    if before["password"] != instance.password or deactivated:
        Token.objects.filter(user_id=instance.pk).delete()
    if deactivated:
        # Scoped tokens belong to integrations and outlive a new password, not the account.
        api_tokens_revoke_all(user_id=instance.pk, reason="The account was deactivated.")


def connect() -> None:
    pre_save.connect(
        revoke_tokens_on_credentials_change, sender=User, dispatch_uid="revoke-api-tokens"
    )
