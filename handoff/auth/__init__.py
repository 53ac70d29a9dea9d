"""Signing in: single sign-on with OpenID Connect, and two-factor authentication for passwords."""
