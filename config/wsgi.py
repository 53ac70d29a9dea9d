import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Read by the settings: a web process answers short queries, so it runs them without parallel
# query helpers.
os.environ.setdefault("HANDOFF_PROCESS", "web")
application = get_wsgi_application()
