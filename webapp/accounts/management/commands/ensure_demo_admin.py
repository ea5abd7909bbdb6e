"""`manage.py ensure_demo_admin`: create the demo admin on first start and print its login."""

from django.conf import settings
from django.core.management.base import BaseCommand

from webapp.accounts.services import ensure_demo_admin


class Command(BaseCommand):
    help = "Create the demo admin account if it does not exist and print its credentials."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        credentials_file = settings.CONFIG.var_dir / "demo_admin.txt"
        admin = ensure_demo_admin(username)
        if admin.created:
            credentials_file.write_text(f"username: {admin.username}\npassword: {admin.password}\n")
            credentials_file.chmod(0o600)
            self.stdout.write(f"Demo admin created: username {admin.username!r}, password {admin.password!r}")
            self.stdout.write(f"(also saved in {credentials_file})")
        elif credentials_file.exists():
            self.stdout.write(f"Demo admin {admin.username!r} exists; its first password is in {credentials_file}")
        else:
            self.stdout.write(f"Admin {admin.username!r} exists; use its own password.")
