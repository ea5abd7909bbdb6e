"""WSGI entry point for gunicorn; a bad setting stops start-up with one clear line.

It makes the local state (folders, the generated secret key) before Django reads the
settings, which only read (webapp.config.prepare_local_state).
"""

import os
import sys

from webapp.config import ConfigError, prepare_local_state

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

try:
    prepare_local_state()
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
except ConfigError as exc:
    print(f"Configuration error: {exc}", file=sys.stderr)
    sys.exit(2)
