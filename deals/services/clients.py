"""Adding clients: the names deals are made for."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from deals import rules
from deals.models import Client
from deals.services._workflow import _clean
from handoff.models import User


@transaction.atomic
def client_create(*, actor: User, name: str, industry: str = "") -> Client:
    rules.can_create_clients(actor).enforce()
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the client's name."})
    if Client.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": "A client with this name already exists."})
    client = Client(name=name, industry=(industry or "").strip())
    _clean(client)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as error:  # the same name added a moment ago by someone else
        raise ValidationError({"name": "A client with this name already exists."}) from error
    return client
