from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    SALES = "sales", "Sales rep"
    PM = "pm", "Project manager"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    OFF = "off", "Off"


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.SALES)
    digest_frequency = models.CharField(
        max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    last_digest_at = models.DateTimeField(null=True, blank=True, editable=False)
    # {category: "immediate" | "digest" | "off"}; missing keys use feedback.models defaults.
    email_preferences = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["username"]
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class TeamKind(models.TextChoices):
    SALES = "sales", "Sales"
    DELIVERY = "delivery", "Delivery"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=TeamKind.choices)
    lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(User, blank=True, related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
