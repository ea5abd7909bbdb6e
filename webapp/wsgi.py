"""WSGI entry point for gunicorn; a bad setting stops start-up with one clear line."""

import os
import sys

from webapp.config import ConfigError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

try:
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
except ConfigError as exc:
    print(f"Configuration error: {exc}", file=sys.stderr)
    sys.exit(2)
