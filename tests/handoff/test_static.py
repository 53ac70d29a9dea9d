"""Production static files: collectstatic with a manifest, as the image builds them.

The image uses whitenoise's CompressedManifestStaticFilesStorage; its compression step takes
minutes and cannot fail on our files, so the test runs the manifest step, which can.
"""

from django.core.management import call_command


def test_collectstatic_with_the_production_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    call_command("collectstatic", "--noinput", verbosity=0)

    manifest = (tmp_path / "staticfiles.json").read_text()
    for name in ("css/app.css", "js/app.js", "vendor/htmx-2.0.11/htmx.min.js"):
        assert f'"{name}"' in manifest
