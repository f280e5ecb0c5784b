"""Serving the app with uvicorn: in the foreground (``transferwatch web``) or in a thread (``run --web``).

The listening socket is bound here, before uvicorn starts, so that a port in
use is one clear error (exit 1) instead of a thread that dies quietly, and so
that port 0 (any free port) tells its number. SSE streams never end on their
own: a stop gives open requests ``GRACE_SECONDS`` and then closes them.
"""

from __future__ import annotations

import signal
import socket
import threading

import structlog
import uvicorn

from worker.web.app import create_app
from worker.web.config import WebConfig

log = structlog.get_logger(__name__)

GRACE_SECONDS = 3


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; RuntimeError (exit 1) naming the address when that fails."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        raise RuntimeError(f"web: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def make_server(config: WebConfig) -> uvicorn.Server:
    uv_config = uvicorn.Config(
        create_app(config),
        log_config=None,  # logs go through structlog (worker.logs) like every other command
        access_log=False,  # request lines could carry a query a person would not want logged
        lifespan="on",
        timeout_graceful_shutdown=GRACE_SECONDS,
        proxy_headers=False,
        server_header=False,
    )
    return uvicorn.Server(uv_config)


def serve(config: WebConfig, sock: socket.socket) -> None:
    """Serve until SIGINT/SIGTERM, then stop warmly and return (exit 0, as ``run`` does).

    uvicorn handles the signal while it serves and raises it again once stopped,
    for the handler that was there before: ours, which has nothing left to do.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    log.info("web_started", url=url_of(sock), auth="token" if config.token else "loopback only")
    make_server(config).run(sockets=[sock])
    log.info("web_stopped")


class WebThread:
    """The dashboard in a thread of ``transferwatch run``; :meth:`stop` ends it within the grace time."""

    def __init__(self, config: WebConfig, sock: socket.socket):
        self.server = make_server(config)
        self.sock = sock
        self.url = url_of(sock)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, name="web", daemon=True)

    def start(self) -> None:
        self.thread.start()
        log.info("web_started", url=self.url)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=GRACE_SECONDS + 5)
        self.sock.close()
