"""`manage.py register_bundled_models`: record models/*.pt as model versions; activate the default."""

from django.core.management.base import BaseCommand

from webapp.modelzoo.services import active_version, ensure_bundled_models


class Command(BaseCommand):
    help = "Register the bundled checkpoints in models/ and make the default one active if none is."

    def handle(self, *args, **options):
        for version in ensure_bundled_models():
            self.stdout.write(f"Bundled model {version.tag} ({version.architecture}, {version.label_set})")
        self.stdout.write(f"Active model: {active_version().tag}")
