"""Where the HTTP transport may listen: loopback only, unless the user says otherwise."""

from __future__ import annotations

import errno
import ipaddress
import socket

from archassist.agent.errors import InputError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, *, allow_remote: bool) -> None:
    """Refuse a non-loopback address unless remote access was asked for: the server has no authentication."""
    if not allow_remote and not is_loopback(host):
        raise InputError(
            f"refusing to listen on {host}: the server has no authentication, so it only listens on loopback "
            "(127.0.0.1, ::1, localhost); pass --allow-remote if a firewall or an authenticating proxy protects it"
        )


def listen_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, ready for the HTTP server. Binding here, before the server starts, turns
    a busy port or a bad address into one line instead of the web server's startup failure."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host}: the address does not resolve ({exc.strerror}); "
                         "give an address such as 127.0.0.1 with --host") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"port {port} on {host} is already in use by another program; pick a free one with --port, "
                f"e.g. --port {port + 1 if port < 65535 else 8000}"
            ) from None
        if exc.errno == errno.EACCES:
            raise InputError(
                f"no permission to listen on port {port} on {host}; ports below 1024 need privileges, so pick "
                "a higher one with --port"
            ) from None
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --host or --port") from None
    sock.set_inheritable(True)
    return sock
