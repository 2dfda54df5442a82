"""Where the HTTP transport may listen: loopback only, unless the user says otherwise."""

from __future__ import annotations

import ipaddress

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
