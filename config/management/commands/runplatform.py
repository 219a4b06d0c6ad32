"""Start the whole platform on one machine: embedded Redis (if needed), Daphnes, a Celery worker and Celery beat.

WEB_PROCESSES Daphne processes (or --processes) accept on one listening socket that this command binds
and hands them (daphne --fd), so the web tier uses every core. Ctrl-C (SIGINT) or SIGTERM stops every
process this command started.
"""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config import web
from config.embedded import start_embedded_redis


class Command(BaseCommand):
    help = "Run Daphnes (HTTP + WebSockets), a Celery worker and Celery beat, with the embedded Redis when needed."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=1, help="Celery worker processes.")
        parser.add_argument(
            "--processes", type=int, default=None, help="Daphne processes on the one port (default: WEB_PROCESSES)."
        )
        parser.add_argument("--no-worker", action="store_true", help="Start no Celery worker and no beat (web tier only).")
        parser.add_argument(
            "--load-demo", action="store_true", help="Add the demo characters and their posts first (once Redis answers)."
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        concurrency: int,
        processes: int | None,
        no_worker: bool,
        load_demo: bool,
        **options,
    ) -> None:
        children: list[subprocess.Popen] = []
        redis = start_embedded_redis(settings.REDIS_URL, settings.VAR_DIR / "redis")
        if redis:
            children.append(redis)
            self.stdout.write(f"Embedded Redis on {settings.REDIS_URL}")
        if load_demo:
            call_command("load_demo")
            call_command("load_demo_posts")
        if not no_worker:
            children.append(self.spawn_worker(concurrency))
            children.append(self.spawn_beat())
        children += self.spawn_web(host, port, processes or settings.WEB_PROCESSES)
        self.stdout.write(self.style.SUCCESS(f"Marionette is running at http://{host}:{port}/  (Ctrl-C stops it)"))
        self.supervise(children)

    def spawn_web(self, host: str, port: int, processes: int) -> list[subprocess.Popen]:
        """Daphnes sharing one listening socket: the kernel hands each new connection to one of them."""
        with web.listening_socket(host, port) as listener:
            fd = listener.fileno()
            command = web.daphne_command(fd=fd, access_log=settings.DEBUG)
            return [subprocess.Popen(command, pass_fds=[fd]) for _ in range(max(1, processes))]

    def spawn_worker(self, concurrency: int) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "default,generation",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
            ]
        )

    def spawn_beat(self) -> subprocess.Popen:
        """The scheduler of periodic tasks, such as the feed's view flush; its own process, so Ctrl-C stops it too."""
        schedule = settings.VAR_DIR / "celerybeat-schedule"
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--schedule", str(schedule), "--loglevel", "INFO"]
        )

    def supervise(self, children: list[subprocess.Popen]) -> None:
        """Wait until a signal arrives or a child dies, then stop every child."""
        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in reversed(children):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("Stopped.")
