import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# As config/wsgi.py: a web process runs its short queries without parallel query helpers.
os.environ.setdefault("HANDOFF_PROCESS", "web")
application = get_asgi_application()
