"""Shared web pieces of every app's pages: errors, forms, htmx, pagination, widgets, settings."""
