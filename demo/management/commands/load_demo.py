from django.core.management.base import BaseCommand

from demo.characters import load_demo_content


class Command(BaseCommand):
    help = "Create the demo creator and demo characters (idempotent)."

    def handle(self, *args, **options) -> None:
        made = load_demo_content()
        self.stdout.write(f"Demo content: {len(made)} character(s) added." if made else "Demo content already present.")
