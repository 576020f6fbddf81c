import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve SalesDesk over HTTP with gunicorn (static files included)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("SALESDESK_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("SALESDESK_PORT", "8000"))
        )
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("SALESDESK_WORKERS", "0")),
            help="worker processes (default: 2 per CPU core + 1)",
        )  # fmt: skip
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("SALESDESK_THREADS", "1")),
            help="threads per worker (default: 1)",
        )  # fmt: skip
        parser.add_argument(
            "--access-log", default=os.environ.get("SALESDESK_ACCESS_LOG", "-"),
            help="access log file, '-' for standard output, '' for none",
        )  # fmt: skip

    def handle(self, *args, host, port, workers, threads, access_log, **options):
        from gunicorn.app.wsgiapp import run

        workers = workers or (os.cpu_count() or 1) * 2 + 1
        self.stdout.write(f"SalesDesk on http://{host}:{port}/  (Ctrl-C stops)")
        sys.argv = [
            "gunicorn",
            "salesdesk.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(workers),
            "--threads", str(threads),
            "--timeout", "120",
        ]  # fmt: skip
        if access_log:
            sys.argv += ["--access-logfile", access_log]
        run()
