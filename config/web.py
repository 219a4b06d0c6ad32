"""The web tier's processes: one Daphne command line for every place that starts one, and the listening socket they share."""

import socket
import sys

APPLICATION = "config.asgi:application"
BACKLOG = 1024


def daphne_command(
    *, host: str = "127.0.0.1", port: int | None = None, fd: int | None = None, access_log: bool = True
) -> list[str]:
    """Daphne serving the platform's ASGI app, on host:port or on an inherited listening socket (fd)."""
    command = [sys.executable, "-m", "daphne"]
    command += ["--fd", str(fd)] if fd is not None else ["-b", host, "-p", str(port)]
    if not access_log:
        command += ["--access-log", "/dev/null"]
    return [*command, APPLICATION]


def listening_socket(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """An IPv4 TCP socket bound and listening, inheritable: each Daphne started with --fd accepts on it."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((socket.gethostbyname(host), port))
    listener.listen(backlog)
    listener.set_inheritable(True)
    return listener
