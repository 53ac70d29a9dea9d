import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Users are made in every test; the production hasher would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
