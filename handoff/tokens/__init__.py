"""API tokens for integrations: named, scoped, hashed, optionally expiring, revocable."""
