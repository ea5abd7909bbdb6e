#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

An entry point: it makes the local state (folders, the generated secret key) before Django
reads the settings, which only read (webapp.config.prepare_local_state).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    from webapp.config import ConfigError, prepare_local_state

    try:
        prepare_local_state()
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
