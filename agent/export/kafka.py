"""Kafka topics of a design: a Strimzi ``KafkaTopic`` resource per topic and a ``kafka-topics.sh`` script that
creates them on any cluster and brings existing ones to the design's settings.

Every setting is a documented topic-level config of Apache Kafka with a value Kafka accepts; a topic whose name
or settings Kafka would refuse is refused here, with one line naming the topic.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from archassist.agent.errors import InputError
from archassist.agent.export.base import Artifact, ExportOptions, check_options
from archassist.agent.model.design import Design, Topic

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
KAFKA_SEGMENT_MS = 7 * DAY_MS  # segment.ms default: a segment rolls after a week at the latest
COMPACTED_SEGMENT_MS = DAY_MS  # the active segment is never compacted: roll daily so old values go within a day
TOMBSTONE_RETENTION_MS = DAY_MS  # delete.retention.ms: how long a reader replaying from offset 0 still sees deletes
BROKER_MAX_MESSAGE_BYTES = 1_048_588  # message.max.bytes default: 1 MiB plus the 12-byte log overhead
MIB = 1_048_576
MAX_TOPIC_NAME = 249
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
COMPRESSION_TYPES = ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")
_COMPRESSION_ALIASES = {"none": "uncompressed", "zstandard": "zstd"}

DEFAULT_CLUSTER = "my-cluster"  # the cluster name of Strimzi's own examples
STRIMZI_API_VERSIONS = {
    "v1": "kafka.strimzi.io/v1",  # Strimzi 0.49 and later; the only one from Strimzi 1.0
    "v1beta2": "kafka.strimzi.io/v1beta2",  # Strimzi 0.22 to 0.51
}
OPTIONS = {
    "cluster": f"the strimzi.io/cluster label, the name of your Kafka resource; default {DEFAULT_CLUSTER}",
    "namespace": "metadata.namespace of every KafkaTopic; default none, so kubectl -n decides",
    "strimzi_api": "v1 for Strimzi 0.49 and later, the default, or v1beta2 for older operators",
}
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass
class TopicPlan:
    """One topic as it is exported: the design's topic (or one derived from a reference), its settings."""

    topic: Topic
    origin: str = ""  # empty for a declared topic; else why it was derived
    carries: list[str] = field(default_factory=list)
    config: dict[str, int | str] = field(default_factory=dict)
    resource_name: str = ""


def topic_name_problem(name: str) -> str | None:
    """Why Kafka refuses a topic name, or None when it accepts it."""
    if not name:
        return "is empty"
    if name in (".", ".."):
        return "is '.' or '..', which Kafka refuses"
    if len(name) > MAX_TOPIC_NAME:
        return f"is {len(name)} characters long; Kafka allows at most {MAX_TOPIC_NAME}"
    if not _TOPIC_NAME.match(name):
        bad = sorted({c for c in name if not re.match(r"[A-Za-z0-9._-]", c)})
        shown = " ".join(repr(c) for c in bad)
        return f"has {shown}; Kafka allows only letters, digits, '.', '_' and '-'"
    return None


def _refs(design: Design) -> list[tuple[str, str, Topic]]:
    """Topics the design uses without declaring them: (name, why, the topic derived from the reference)."""
    found: list[tuple[str, str, Topic]] = []
    policy = design.dead_letter_policy
    for event in design.events:
        if event.topic:
            found.append((event.topic, f"event {event.name} is published to it", Topic(name=event.topic)))
    for command in design.commands:
        if command.topic:
            found.append(
                (command.topic, f"command {command.name} is sent on it", Topic(name=command.topic, purpose="command"))
            )
    for consumer in design.consumers:
        if consumer.dead_letter is not None:
            days = consumer.dead_letter.retention_days or policy.retention_days
            found.append(
                (
                    consumer.dead_letter.topic,
                    f"consumer {consumer.name} dead-letters to it",
                    Topic(name=consumer.dead_letter.topic, retention_days=days, purpose="dead_letter"),
                )
            )
        for stage in consumer.retry_topics:
            # A retry topic must keep a message at least as long as it waits there, with a margin.
            days = max(7.0, 2 * stage.delay_ms / DAY_MS)
            found.append(
                (
                    stage.topic,
                    f"consumer {consumer.name} retries through it",
                    Topic(name=stage.topic, retention_days=days, purpose="retry"),
                )
            )
    return found


def _plans(design: Design) -> list[TopicPlan]:
    plans: dict[str, TopicPlan] = {}
    for topic in design.topics:
        if topic.name in plans:
            raise InputError(f"topic '{topic.name}' is declared twice; merge the declarations")
        plans[topic.name] = TopicPlan(topic=topic)
    for name, why, derived in _refs(design):
        plan = plans.get(name)
        if plan is None:
            plans[name] = TopicPlan(topic=derived, origin=f"not declared in the design; {why}")
        elif plan.origin and (derived.retention_days or 0) > (plan.topic.retention_days or 0):
            plan.topic = plan.topic.model_copy(update={"retention_days": derived.retention_days})
    for plan in plans.values():
        problem = topic_name_problem(plan.topic.name)
        if problem:
            raise InputError(f"topic '{plan.topic.name}' {problem}; rename it in the design")
    _refuse_collisions(list(plans))
    messages = _Messages(design)
    for plan in plans.values():
        plan.carries = messages.carried(plan.topic)
        plan.config = topic_config(plan.topic, messages.largest_event(plan.topic))
    names = resource_names(list(plans))
    for plan in plans.values():
        plan.resource_name = names[plan.topic.name]
    return [plans[name] for name in sorted(plans)]


def _refuse_collisions(names: list[str]) -> None:
    # Kafka refuses a topic whose name differs from an existing one only by '.' against '_' (their metric names
    # would be the same).
    seen: dict[str, str] = {}
    for name in names:
        key = name.replace(".", "_")
        if key in seen:
            raise InputError(
                f"topics '{seen[key]}' and '{name}' collide in Kafka: names that differ only in '.' and '_' share "
                "metric names, so Kafka creates only one; rename one of them"
            )
        seen[key] = name


class _Messages:
    """Which events and commands each topic carries, and the largest estimated event size on it, indexed once."""

    def __init__(self, design: Design) -> None:
        self.on_topic: dict[str, list[str]] = {}
        for event in design.events:
            if event.topic:
                self.on_topic.setdefault(event.topic, []).append(event.name)
        for command in design.commands:
            if command.topic:
                self.on_topic.setdefault(command.topic, []).append(command.name)
        self.size: dict[str, int] = {}
        for event in design.events:
            self.size[event.name] = max(self.size.get(event.name, 0), event.estimated_size_bytes or 0)

    def carried(self, topic: Topic) -> list[str]:
        return list(dict.fromkeys([*topic.events, *topic.commands, *self.on_topic.get(topic.name, [])]))

    def largest_event(self, topic: Topic) -> int:
        return max((self.size.get(name, 0) for name in self.carried(topic)), default=0)


def compression_type(topic: Topic) -> str:
    value = topic.compression.strip().lower()
    value = _COMPRESSION_ALIASES.get(value, value)
    if value not in COMPRESSION_TYPES:
        raise InputError(
            f"topic '{topic.name}': compression '{topic.compression}' is not one Kafka knows; use one of "
            f"{', '.join(COMPRESSION_TYPES)}"
        )
    return value


def topic_config(topic: Topic, largest_event_bytes: int = 0) -> dict[str, int | str]:
    """The topic-level configs (Kafka's names and value types) the design's settings of a topic call for; the
    largest event the topic carries decides whether it needs more than the broker's message size limit."""
    config: dict[str, int | str] = {"cleanup.policy": topic.cleanup_policy}
    compacted = "compact" in topic.cleanup_policy
    deletes = "delete" in topic.cleanup_policy
    retention_ms = -1 if topic.retention_days is None else max(1, round(topic.retention_days * DAY_MS))
    if deletes:
        config["retention.ms"] = retention_ms
    if compacted:
        config["segment.ms"] = min(COMPACTED_SEGMENT_MS, retention_ms) if deletes and retention_ms > 0 else (
            COMPACTED_SEGMENT_MS
        )
        config["delete.retention.ms"] = TOMBSTONE_RETENTION_MS
    elif 0 < retention_ms < KAFKA_SEGMENT_MS:
        # Retention deletes whole segments only: without an earlier roll, a quiet topic keeps a week of data.
        config["segment.ms"] = max(HOUR_MS, retention_ms)
    if topic.min_insync_replicas is not None:
        if topic.replication_factor is not None and topic.min_insync_replicas > topic.replication_factor:
            raise InputError(
                f"topic '{topic.name}': min_insync_replicas {topic.min_insync_replicas} is above its replication "
                f"factor {topic.replication_factor}, so no write with acks=all could succeed; lower it"
            )
        config["min.insync.replicas"] = topic.min_insync_replicas
    config["compression.type"] = compression_type(topic)
    if largest_event_bytes > BROKER_MAX_MESSAGE_BYTES:
        config["max.message.bytes"] = -(-largest_event_bytes // MIB) * MIB
    return dict(sorted(config.items()))


def _dns_subdomain(name: str) -> str:
    parts = [p.strip("-") for p in name.lower().replace("_", "-").split(".")]
    return ".".join(p for p in parts if p)


def resource_names(topics: list[str]) -> dict[str, str]:
    """A Kubernetes resource name per topic: the topic name itself where it is one, else a close one made unique."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    # Topics whose names are valid resource names keep them; the others give way on a clash.
    for topic in sorted(topics, key=lambda t: (_dns_subdomain(t) != t, t)):
        name = _dns_subdomain(topic) or "topic"
        if name in taken:
            name = f"{name[:244].rstrip('.-')}-{hashlib.sha1(topic.encode()).hexdigest()[:8]}"
        names[topic] = name
        taken.add(name)
    return names


def _settings(options: ExportOptions) -> tuple[str, str | None, str]:
    given = check_options("kafka", options, OPTIONS)
    cluster = given.get("cluster", DEFAULT_CLUSTER)
    if not cluster or len(cluster) > 63 or not _LABEL_VALUE.match(cluster):
        raise InputError(
            f"cluster '{cluster}' is not a valid Kubernetes label value (at most 63 letters, digits, '-', '_' "
            "or '.', starting and ending with a letter or digit); give the name of your Kafka resource"
        )
    namespace = given.get("namespace")
    if namespace is not None and (len(namespace) > 63 or not _DNS_LABEL.match(namespace)):
        raise InputError(
            f"namespace '{namespace}' is not a valid Kubernetes namespace (at most 63 lower-case letters, digits "
            "and '-', starting and ending with a letter or digit)"
        )
    api = given.get("strimzi_api", "v1")
    if api not in STRIMZI_API_VERSIONS:
        raise InputError(f"strimzi_api '{api}' is not one Strimzi serves; use {' or '.join(STRIMZI_API_VERSIONS)}")
    return cluster, namespace, STRIMZI_API_VERSIONS[api]


def kafka_topic_resource(plan: TopicPlan, cluster: str, namespace: str | None, api_version: str) -> dict[str, Any]:
    """The Strimzi KafkaTopic custom resource of a topic."""
    metadata: dict[str, Any] = {"name": plan.resource_name}
    if namespace:
        metadata["namespace"] = namespace
    metadata["labels"] = {"strimzi.io/cluster": cluster}
    spec: dict[str, Any] = {}
    if plan.resource_name != plan.topic.name:
        spec["topicName"] = plan.topic.name
    if plan.topic.partitions is not None:
        spec["partitions"] = plan.topic.partitions
    if plan.topic.replication_factor is not None:
        spec["replicas"] = plan.topic.replication_factor
    spec["config"] = dict(plan.config)
    return {"apiVersion": api_version, "kind": "KafkaTopic", "metadata": metadata, "spec": spec}


def one_line(text: str, limit: int = 160) -> str:
    """Design text made safe for a comment: one line, no control characters, cut at ``limit``."""
    flat = _CONTROL.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


_PURPOSES = {
    "operational": "Event topic",
    "audit": "Audit topic",
    "analytics": "Analytics topic",
    "dead_letter": "Dead-letter topic",
    "retry": "Retry topic",
    "command": "Command topic",
}


def _summary(plan: TopicPlan) -> list[str]:
    """What the topic is for, in a few comment lines (design text made safe for a comment)."""
    topic = plan.topic
    first = _PURPOSES.get(topic.purpose, "Topic")
    if plan.carries:
        more = len(plan.carries) - 8
        first += ": " + ", ".join(plan.carries[:8]) + (f" and {more} more" if more > 0 else "")
    if topic.partition_key:
        first += f"; keyed by {topic.partition_key}"
    lines = [first]
    if topic.capacity is not None and topic.capacity.derivation:
        lines.append(f"Partitions: {topic.capacity.derivation}")
    elif topic.partitions is None:
        lines.append("Partitions: the broker's num.partitions (the design gives no count)")
    if topic.retention_days is None and "delete" in topic.cleanup_policy:
        lines.append("Kept forever (retention.ms -1)" + (f"; history is replayed from {topic.replay_source}" if
                                                         topic.replay_source else ""))
    if plan.origin:
        lines.append(plan.origin[0].upper() + plan.origin[1:] + ".")
    return [one_line(line, 300) for line in lines]


def _yaml(plan: TopicPlan, design: Design, resource: dict[str, Any]) -> str:
    import yaml

    header = [
        f"# Kafka topic {plan.topic.name} of design {one_line(design.name)}.",
        *[f"# {line}" for line in _summary(plan)],
        "# Generated by `archassist export --to kafka`; apply with `kubectl apply -f kafka/topics/` in the namespace",
        "# the Strimzi Topic Operator watches.",
    ]
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when PyYAML was built with it
    return "\n".join(header) + "\n" + yaml.dump(resource, Dumper=dumper, sort_keys=False, allow_unicode=True)


def _quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


def add_config_argument(config: dict[str, int | str]) -> str:
    """kafka-configs.sh --add-config: name=value pairs joined by commas, list values in square brackets."""
    pairs = []
    for name, value in config.items():
        text = str(value)
        pairs.append(f"{name}=[{text}]" if "," in text else f"{name}={text}")
    return ",".join(pairs)


def _script(plans: list[TopicPlan], design: Design) -> str:
    lines = [
        "#!/usr/bin/env bash",
        f"# Creates the Kafka topics of design {one_line(design.name)} and brings existing ones to its settings.",
        "# Generated by `archassist export --to kafka`. Safe to run again: an existing topic is never recreated;",
        "# its partitions only grow and its configs are set to the design's.",
        "#",
        "# Usage: BOOTSTRAP_SERVER=broker:9092 ./kafka-topics.sh",
        "#   KAFKA_COMMAND_CONFIG  a client properties file (TLS, SASL), passed to every call as --command-config",
        "#   KAFKA_TOPICS_CMD      the kafka-topics tool (default: kafka-topics.sh on PATH)",
        "#   KAFKA_CONFIGS_CMD     the kafka-configs tool (default: kafka-configs.sh on PATH)",
        "set -euo pipefail",
        "",
        'me="$(basename "$0")"',
        'if [[ -z "${BOOTSTRAP_SERVER:-}" ]]; then',
        '  echo "$me: BOOTSTRAP_SERVER is not set; set it to a broker\'s host:port, e.g. '
        'BOOTSTRAP_SERVER=localhost:9092 $0" >&2',
        "  exit 2",
        "fi",
        'topics_cmd="${KAFKA_TOPICS_CMD:-kafka-topics.sh}"',
        'configs_cmd="${KAFKA_CONFIGS_CMD:-kafka-configs.sh}"',
        'for tool in "$topics_cmd" "$configs_cmd"; do',
        '  if ! command -v "$tool" >/dev/null 2>&1; then',
        '    echo "$me: $tool not found; put Kafka\'s bin/ folder on PATH or set KAFKA_TOPICS_CMD and '
        'KAFKA_CONFIGS_CMD" >&2',
        "    exit 127",
        "  fi",
        "done",
        'common=(--bootstrap-server "$BOOTSTRAP_SERVER")',
        'if [[ -n "${KAFKA_COMMAND_CONFIG:-}" ]]; then',
        '  common+=(--command-config "$KAFKA_COMMAND_CONFIG")',
        "fi",
        "",
        "# ensure_topic TOPIC PATTERN PARTITIONS REPLICAS ADD_CONFIG [--config NAME=VALUE]...",
        "# PATTERN is TOPIC as a regular expression matching only itself: --describe and --alter read --topic as one.",
        "# An empty PARTITIONS or REPLICAS leaves the broker's default.",
        "ensure_topic() {",
        '  local topic="$1" pattern="$2" partitions="$3" replicas="$4" add_config="$5"',
        "  shift 5",
        '  local create=(--create --if-not-exists --topic "$topic")',
        '  if [[ -n "$partitions" ]]; then create+=(--partitions "$partitions"); fi',
        '  if [[ -n "$replicas" ]]; then create+=(--replication-factor "$replicas"); fi',
        '  "$topics_cmd" "${common[@]}" "${create[@]}" "$@"',
        '  local described="" current current_replicas',
        "  # A new topic can take a moment to reach every broker's metadata.",
        "  for _ in 1 2 3 4 5; do",
        '    if described="$("$topics_cmd" "${common[@]}" --describe --topic "$pattern")" &&',
        '      [[ "$described" == *PartitionCount* ]]; then',
        "      break",
        "    fi",
        "    sleep 1",
        "  done",
        "  current=\"$(printf '%s\\n' \"$described\" | sed -n 's/.*PartitionCount:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p'"
        ' | head -n 1)"',
        "  current_replicas=\"$(printf '%s\\n' \"$described\" | sed -n "
        "'s/.*ReplicationFactor:[[:space:]]*\\([0-9][0-9]*\\).*/\\1/p' | head -n 1)\"",
        '  if [[ -z "$current" ]]; then',
        '    echo "$me: could not read the partition count of $topic from $topics_cmd --describe" >&2',
        "    return 1",
        "  fi",
        '  if [[ -n "$partitions" ]] && (( current < partitions )); then',
        '    echo "$me: $topic: $current partitions, the design has $partitions; adding partitions (keys move to '
        'new partitions: order per key holds only for events produced after the change)" >&2',
        '    "$topics_cmd" "${common[@]}" --alter --topic "$pattern" --partitions "$partitions"',
        '  elif [[ -n "$partitions" ]] && (( current > partitions )); then',
        '    echo "$me: warning: $topic has $current partitions, the design $partitions; Kafka cannot remove '
        'partitions, so it keeps $current" >&2',
        "  fi",
        '  if [[ -n "$replicas" && -n "$current_replicas" && "$current_replicas" != "$replicas" ]]; then',
        '    echo "$me: warning: $topic has replication factor $current_replicas, the design $replicas; change it '
        'with kafka-reassign-partitions.sh" >&2',
        "  fi",
        '  if [[ -n "$add_config" ]]; then',
        '    "$configs_cmd" "${common[@]}" --entity-type topics --entity-name "$topic" --alter '
        '--add-config "$add_config"',
        "  fi",
        "}",
    ]
    for plan in plans:
        topic = plan.topic
        pattern = topic.name.replace(".", "\\.")
        args = [
            _quote(topic.name),
            _quote(pattern),
            _quote(str(topic.partitions) if topic.partitions is not None else ""),
            _quote(str(topic.replication_factor) if topic.replication_factor is not None else ""),
            _quote(add_config_argument(plan.config)),
        ]
        configs = [f"--config {_quote(f'{name}={value}')}" for name, value in plan.config.items()]
        lines.append("")
        lines += [f"# {line}" for line in _summary(plan)]
        lines.append("ensure_topic " + " ".join(args) + "".join(f" \\\n  {c}" for c in configs))
    count = len(plans)
    lines += ["", f'echo "$me: {count} topic{"s" if count != 1 else ""} ensured on $BOOTSTRAP_SERVER" >&2']
    return "\n".join(lines) + "\n"


def export_kafka(design: Design, options: ExportOptions) -> list[Artifact]:
    """A Strimzi KafkaTopic YAML per topic under kafka/topics/, and kafka/kafka-topics.sh for any cluster."""
    cluster, namespace, api_version = _settings(options)
    plans = _plans(design)
    if not plans:
        return []
    artifacts = [
        Artifact(
            f"kafka/topics/{plan.topic.name}.yaml",
            _yaml(plan, design, kafka_topic_resource(plan, cluster, namespace, api_version)),
            f"Strimzi KafkaTopic {plan.resource_name}"
            + (f" (topic {plan.topic.name})" if plan.resource_name != plan.topic.name else ""),
        )
        for plan in plans
    ]
    artifacts.append(
        Artifact(
            "kafka/kafka-topics.sh",
            _script(plans, design),
            f"creates or updates the {len(plans)} topics with kafka-topics.sh and kafka-configs.sh",
        )
    )
    return artifacts
