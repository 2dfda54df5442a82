"""What other AsyncAPI tools (Spectral, the AsyncAPI CLI) report about a document's own hygiene: components that
nothing references and 2.x operations without an `operationId`. Each is (code, message, document pointer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archassist.agent.asyncapi.refs import unescape_pointer
from archassist.agent.model.io import escape_pointer_token

# Component kinds that are only ever used through a `$ref` (security schemes are named, not referenced, in 2.x).
REFERENCED_KINDS: tuple[str, ...] = (
    "messages", "schemas", "messageTraits", "operationTraits", "parameters", "channels", "operations",
    "correlationIds", "replies", "replyAddresses",
)


def _refs(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 200:
        return
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, child in value.items():
            if key != "examples":
                yield from _refs(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _refs(child, depth + 1)


def unused_components(data: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    components = data.get("components")
    if not isinstance(components, dict):
        return
    used: set[tuple[str, str]] = set()
    for ref in _refs(data):
        if not ref.startswith("#/components/"):
            continue
        try:
            tokens = unescape_pointer(ref[1:] if ref.startswith("#") else ref)
        except ValueError:
            continue
        if len(tokens) >= 3:
            # '#/components/messages/a/b' may mean the key 'a/b' written without ~1: count every prefix.
            for end in range(3, len(tokens) + 1):
                used.add((tokens[1], "/".join(tokens[2:end])))
    for kind in REFERENCED_KINDS:
        entries = components.get(kind)
        if not isinstance(entries, dict):
            continue
        for key in entries:
            if isinstance(key, str) and (kind, key) not in used:
                pointer = f"/components/{kind}/{escape_pointer_token(key)}"
                yield (
                    "AAPI909",
                    f"component {kind[:-1] if kind.endswith('s') else kind} '{key}' is never referenced",
                    pointer,
                )


def operations_without_id(data: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """2.x publish/subscribe operations without an operationId (3.0 operations are named by their key)."""
    channels = data.get("channels")
    if not isinstance(channels, dict) or not str(data.get("asyncapi", "")).startswith("2"):
        return
    for name, channel in channels.items():
        if not isinstance(channel, dict):
            continue
        for verb in ("publish", "subscribe"):
            op = channel.get(verb)
            if isinstance(op, dict) and "$ref" not in op and not op.get("operationId"):
                yield (
                    "AAPI908",
                    f"the {verb} operation of channel {name} has no operationId",
                    f"/channels/{escape_pointer_token(str(name))}/{verb}",
                )


def document_hygiene(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [*operations_without_id(data), *unused_components(data)]
