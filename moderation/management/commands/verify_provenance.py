import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from moderation import services
from provenance import manifest


class Command(BaseCommand):
    help = "Verify the C2PA manifest of an MP4, PNG or JPEG file and print the report as JSON."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options) -> None:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        report = manifest.verify(path, trust_root_pem=services.signing_identity().root_pem)
        self.stdout.write(json.dumps(report.to_dict(), indent=2))
