from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# Order matters: later apps build on the data of earlier ones.
DEMO_MODULES = [
    "handoff.demo",
    "deals.demo",
    "projects.demo",
    "projects.demo_calibration",
    "projects.demo_delivery",
    "feedback.demo",
    "meetings.demo",
]


class Command(BaseCommand):
    help = "Create demo users (password 'demo'), teams and data. Safe to run twice. DEBUG only."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates users with a known password; it runs only with DEBUG on."
            )
        users = None
        for name in DEMO_MODULES:
            module = import_module(name)
            result = module.seed() if users is None else module.seed(users)
            if users is None:
                users = result
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Logins (password 'demo'): " + ", ".join(users))
        )
