"""Demo users and teams. Each app adds its own demo data in its `demo.py`."""

from django.db import transaction

from handoff.models import Role, Team, TeamKind, User

DEMO_PASSWORD = "demo"  # noqa: S105 - refused unless DEBUG

DEMO_USERS = [
    # username, first, last, role
    ("rep", "Rita", "Reyes", Role.SALES),
    ("rep2", "Sam", "Osei", Role.SALES),
    ("pm", "Priya", "Mehta", Role.PM),
    ("pm2", "Tom", "Berg", Role.PM),
    ("manager", "Morgan", "Lee", Role.MANAGER),
]


@transaction.atomic
def seed() -> dict[str, User]:
    users: dict[str, User] = {}
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "role": role,
                "email": f"{username}@handoff.example",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user

    sales, _ = Team.objects.get_or_create(
        name="Sales", defaults={"kind": TeamKind.SALES, "lead": users["manager"]}
    )
    delivery, _ = Team.objects.get_or_create(
        name="Delivery", defaults={"kind": TeamKind.DELIVERY, "lead": users["manager"]}
    )
    # A delivery team of its own for integration work: review rules send those promises to it.
    integration, _ = Team.objects.get_or_create(
        name="Integration", defaults={"kind": TeamKind.DELIVERY, "lead": users["pm2"]}
    )
    sales.members.add(users["rep"], users["rep2"], users["manager"])
    delivery.members.add(users["pm"], users["pm2"], users["manager"])
    integration.members.add(users["pm2"])
    _seed_api_tokens(users["rep"])
    return users


def _seed_api_tokens(rep: User) -> None:
    """rep's CRM sync token and a revoked one, so Settings → API tokens shows both states.

    Their secrets are not kept anywhere: a demo user makes a token of their own to try one.
    """
    from handoff.tokens import services

    if rep.api_tokens.exists():
        return
    services.api_token_create(actor=rep, name="CRM sync", scopes=["import"])
    old, _secret = services.api_token_create(actor=rep, name="Pipeline report", scopes=["read"])
    services.api_token_revoke(token=old, actor=rep)
