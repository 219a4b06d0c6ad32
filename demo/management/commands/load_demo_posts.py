from django.core.management.base import BaseCommand

from demo.posts import load_demo_posts


class Command(BaseCommand):
    help = "Make and post a clip of each demo character that has none (idempotent; needs the demo characters)."

    def handle(self, *args, **options) -> None:
        made = load_demo_posts()
        self.stdout.write(f"Demo posts: {len(made)} added." if made else "Demo posts already present.")
