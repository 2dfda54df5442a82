"""What an AsyncAPI message is: an event (a fact), a command (an order to one handler), a request or a reply.

AsyncAPI calls all of them messages; the naming and contract rules for events only make sense on events. The
kind is read from how the document uses the message: an operation's `reply`, a reply address (AMQP `replyTo`, MQTT
`responseTopic`), request/reply words in the message or channel name, channels whose levels name an action
(`…/action/{id}/turn/on`, `…/laser/fire`), and imperative names on those channels.
"""

from __future__ import annotations

import re
from typing import Literal

from archassist.agent.rules.words import (
    IMPERATIVE_VERBS,
    SAME_AS_VERB,
    has_past_tense_word,
    is_past_participle,
    split_words,
    word_set,
)

Role = Literal["event", "command", "request", "reply"]

_LEVEL = re.compile(r"[./:#]+")
REQUEST_WORDS = word_set("request requests req rpc query queries")
REPLY_WORDS = word_set("reply replies response responses resp result results ack")
ACTION_LEVELS = word_set("action actions command commands cmd cmds control")
# Last channel levels that order a device or a service to do something (MQTT and Kafka action channels).
ORDER_LEVELS = IMPERATIVE_VERBS | word_set(
    """
    on off turn dim arm disarm kill land takeoff fire reboot resync goto move toggle sleep wake open close
    enable disable capture upload
    """
)


def _levels(channel: str) -> list[list[str]]:
    """The words of each level of a channel address: 'a.b/{id}/turn-on' -> [[a], [b], [turn, on]]."""
    return [list(split_words(level)) for level in _LEVEL.split(channel) if level and not level.startswith("{")]


def channel_role(channel: str) -> Role | None:
    """The kind a channel's name gives its messages, if it gives one."""
    levels = [words for words in _levels(channel) if words]
    flat = [w for words in levels for w in words]
    if any(w in REPLY_WORDS for w in flat):
        return "reply"
    if any(w in REQUEST_WORDS for w in flat):
        return "request"
    if any(w in ACTION_LEVELS for w in flat):
        return "command"
    last = levels[-1] if levels else []
    if last and last[0] in ORDER_LEVELS and not any(is_past_participle(w) and w not in SAME_AS_VERB for w in last):
        return "command"
    return None


def name_role(name: str) -> Role | None:
    """The kind a message name gives, if any: …Request, …Response / …Reply / …Result."""
    words = split_words(name)
    if not words or has_past_tense_word(name):
        return None
    if any(w in REPLY_WORDS for w in words[-2:]):
        return "reply"
    if any(w in REQUEST_WORDS for w in words[-2:]) or words[0] == "request":
        return "request"
    return None


def message_role(
    name: str, *, is_reply: bool, expects_reply: bool, channels: list[str], sent: bool, received: bool
) -> Role:
    """The kind of one message, from the strongest evidence the document gives."""
    if is_reply:
        return "reply"
    if expects_reply:
        return "request"
    by_name = name_role(name)
    if by_name:
        return by_name
    by_channel = {channel_role(c) for c in channels} - {None}
    if len(by_channel) == 1:
        found = by_channel.pop()
        if found is not None:
            return found
    return "event"
