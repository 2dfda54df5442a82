"""`archassist export --to kafka`: Strimzi KafkaTopic resources the CRD accepts, topic configs Kafka documents, and
a kafka-topics.sh that bash, shellcheck and a stand-in for Kafka's own tools agree with."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from archassist.agent.errors import InputError
from archassist.agent.export.base import Artifact, ExportOptions, export
from archassist.agent.export.kafka import resource_names
from archassist.agent.model.design import Consumer, DeadLetter, Design, Event, RetryTopic, Topic
from archassist.agent.planner.compose import plan
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT, require_external
from tests.export_briefs import BRIEFS, CONCERT_TICKETING, FLAGSHIP, LOAN_ORIGINATION, SMART_METERS

FAKE_TOOL = ROOT / "tests" / "fixtures" / "kafka" / "fake_kafka_tool.py"
STRIMZI = ROOT / "tests" / "fixtures" / "strimzi"

JAVA_INT = (-(2**31), 2**31 - 1)
JAVA_LONG = (-(2**63), 2**63 - 1)

# The topic-level configs of Apache Kafka 4.x as its documentation lists them ("Topic-Level Configs",
# https://kafka.apache.org/documentation/#topicconfigs, generated from the broker's LogConfig definitions): name ->
# (type, valid values). A range is (low, high) with None for no bound; a set lists the accepted strings.
Valid = tuple[int | float | None, int | float | None] | frozenset[str] | None
TOPIC_CONFIGS: dict[str, tuple[str, Valid]] = {
    "cleanup.policy": ("list", frozenset({"compact", "delete"})),
    "compression.gzip.level": ("int", (-1, 9)),  # [1,...,9] or -1
    "compression.lz4.level": ("int", (1, 17)),
    "compression.type": ("string", frozenset({"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"})),
    "compression.zstd.level": ("int", (-131072, 22)),
    "delete.retention.ms": ("long", (0, None)),
    "file.delete.delay.ms": ("long", (0, None)),
    "flush.messages": ("long", (1, None)),
    "flush.ms": ("long", (0, None)),
    "follower.replication.throttled.replicas": ("list", None),
    "index.interval.bytes": ("int", (0, None)),
    "leader.replication.throttled.replicas": ("list", None),
    "local.retention.bytes": ("long", (-2, None)),
    "local.retention.ms": ("long", (-2, None)),
    "max.compaction.lag.ms": ("long", (1, None)),
    "max.message.bytes": ("int", (0, None)),
    "message.timestamp.after.max.ms": ("long", (0, None)),
    "message.timestamp.before.max.ms": ("long", (0, None)),
    "message.timestamp.type": ("string", frozenset({"CreateTime", "LogAppendTime"})),
    "min.cleanable.dirty.ratio": ("double", (0, 1)),
    "min.compaction.lag.ms": ("long", (0, None)),
    "min.insync.replicas": ("int", (1, None)),
    "preallocate": ("boolean", None),
    "remote.log.copy.disable": ("boolean", None),
    "remote.log.delete.on.disable": ("boolean", None),
    "remote.storage.enable": ("boolean", None),
    "retention.bytes": ("long", (None, None)),
    "retention.ms": ("long", (-1, None)),
    "segment.bytes": ("int", (1_048_576, None)),
    "segment.index.bytes": ("int", (4, None)),
    "segment.jitter.ms": ("long", (0, None)),
    "segment.ms": ("long", (1, None)),
    "unclean.leader.election.enable": ("boolean", None),
}


def config_problem(name: str, value: Any) -> str | None:
    """Why Kafka refuses ``value`` for topic config ``name`` (a YAML value, or the text after '=' in a script)."""
    if name not in TOPIC_CONFIGS:
        return f"{name} is not a documented topic-level config"
    kind, valid = TOPIC_CONFIGS[name]
    if kind in ("int", "long", "double"):
        if isinstance(value, str):
            try:
                value = float(value) if kind == "double" else int(value)
            except ValueError:
                return f"{name}={value!r} is not a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind != "double" and not isinstance(value, int)):
            return f"{name}={value!r} is not a {kind}"
        low, high = JAVA_INT if kind == "int" else JAVA_LONG if kind == "long" else (None, None)
        if isinstance(valid, tuple):
            low = valid[0] if valid[0] is not None else low
            high = valid[1] if valid[1] is not None else high
        if (low is not None and value < low) or (high is not None and value > high):
            return f"{name}={value} is outside [{low}, {high}]"
        if name == "compression.gzip.level" and value == 0:
            return "compression.gzip.level is 1..9 or -1"
        return None
    if kind == "boolean":
        return None if value in (True, False, "true", "false") else f"{name}={value!r} is not a boolean"
    if not isinstance(value, str):
        return f"{name}={value!r} is not a string"
    items = [item.strip() for item in value.split(",")] if kind == "list" else [value]
    if isinstance(valid, frozenset) and not all(item in valid for item in items):
        return f"{name}={value!r} is not one of {sorted(valid)}"
    return None


@cache
def designed(brief: str) -> Design:
    return plan(brief).design


def fresh(brief: str) -> Design:
    return designed(brief).model_copy(deep=True)


def resources(artifacts: list[Artifact]) -> dict[str, dict[str, Any]]:
    return {a.path: yaml.safe_load(a.content) for a in artifacts if a.path.endswith(".yaml")}


def script_of(artifacts: list[Artifact]) -> str:
    return next(a.content for a in artifacts if a.path == "kafka/kafka-topics.sh")


def _edge_design() -> Design:
    """Settings the planner does not make: compaction, forever, a short retention, big events, an undeclared
    dead-letter and retry topic, a name that is no Kubernetes name, and a topic the design leaves unsized."""
    design = fresh(FLAGSHIP)
    design.topics += [
        Topic(name="orders.state", cleanup_policy="compact", partitions=6, events=["OrderSnapshotted"]),
        Topic(name="orders.history", cleanup_policy="compact,delete", retention_days=30, partitions=6),
        Topic(name="orders.ledger", retention_days=None, replay_source="object store", partitions=12),
        Topic(name="orders.pings", retention_days=0.25, partitions=3, compression="none"),
        Topic(name="Orders_Audit", partitions=None, replication_factor=None),
    ]
    design.events.append(Event(name="OrderSnapshotted", topic="orders.state", estimated_size_bytes=3_500_000))
    design.consumers.append(
        Consumer(
            name="snapshot-archiver",
            service="order-service",
            subscriptions=["OrderSnapshotted"],
            dead_letter=DeadLetter(topic="snapshot-archiver.dlq", retention_days=30),
            retry_topics=[RetryTopic(topic="snapshot-archiver.retry-1m", delay_ms=60_000)],
        )
    )
    return design


ALL_DESIGNS: dict[str, Callable[[], Design]] = {
    **{brief.split(":")[0][:24]: (lambda brief=brief: designed(brief)) for brief in BRIEFS},
    "edge cases": _edge_design,
}


# ---- configs: documented names, values Kafka accepts -------------------------------------------------------------


def test_the_documented_list_knows_what_kafka_refuses() -> None:
    assert config_problem("retention.ms", 604_800_000) is None and config_problem("retention.ms", -1) is None
    assert config_problem("retention.ms", -2) and config_problem("retention.ms", "7d")
    assert config_problem("retention.days", 7) and config_problem("min.insync.replicas", 0)
    assert config_problem("cleanup.policy", "compact,delete") is None and config_problem("cleanup.policy", "archive")
    assert config_problem("max.message.bytes", 2**31) and config_problem("compression.type", "brotli")


@pytest.mark.parametrize("name", list(ALL_DESIGNS))
def test_every_config_is_a_documented_topic_config_with_a_value_kafka_accepts(name: str) -> None:
    design = ALL_DESIGNS[name]()
    artifacts = export(design, "kafka")
    found = resources(artifacts)
    assert found, "no topics exported"
    for path, resource in found.items():
        for config, value in resource["spec"]["config"].items():
            assert config_problem(config, value) is None, (path, config_problem(config, value))
        spec = resource["spec"]
        if "min.insync.replicas" in spec["config"] and "replicas" in spec:
            assert spec["config"]["min.insync.replicas"] <= spec["replicas"]
    settings = re.findall(r"^  --config (\S+)", script_of(artifacts), flags=re.MULTILINE)
    assert len(settings) == sum(len(r["spec"]["config"]) for r in found.values())
    for setting in settings:
        config, _, value = setting.strip("'").partition("=")
        assert config_problem(config, value) is None, setting


def test_each_topic_setting_becomes_the_matching_kafka_config() -> None:
    design = _edge_design()
    found = {r["spec"].get("topicName", r["metadata"]["name"]): r["spec"] for r in resources(export(design, "kafka")).values()}
    events = found["orders.events"]
    assert events == {
        "partitions": 18,
        "replicas": 3,
        "config": {
            "cleanup.policy": "delete",
            "compression.type": "zstd",
            "min.insync.replicas": 2,
            "retention.ms": 7 * 86_400_000,
        },
    }
    state = found["orders.state"]["config"]
    # Compacted: no retention.ms (only delete removes by age), a daily segment roll, tombstones kept a day; the
    # 3.5 MB snapshot event needs a topic limit above the broker's 1 MiB default.
    assert "retention.ms" not in state and state["segment.ms"] == 86_400_000
    assert state["delete.retention.ms"] == 86_400_000 and state["max.message.bytes"] == 4 * 1_048_576
    history = found["orders.history"]["config"]
    assert history["cleanup.policy"] == "compact,delete" and history["retention.ms"] == 30 * 86_400_000
    assert found["orders.ledger"]["config"]["retention.ms"] == -1
    pings = found["orders.pings"]["config"]
    assert pings["retention.ms"] == 21_600_000 and pings["segment.ms"] == 21_600_000
    assert pings["compression.type"] == "uncompressed"
    assert "partitions" not in found["Orders_Audit"] and "replicas" not in found["Orders_Audit"]
    assert "max.message.bytes" not in events and "segment.ms" not in events
    # Referenced but undeclared: created with what the references say.
    assert found["snapshot-archiver.dlq"]["config"]["retention.ms"] == 30 * 86_400_000
    assert found["snapshot-archiver.retry-1m"]["config"]["retention.ms"] == 7 * 86_400_000


def test_an_undeclared_topic_says_where_it_comes_from() -> None:
    artifacts = {a.path: a.content for a in export(_edge_design(), "kafka")}
    assert "# Not declared in the design; consumer snapshot-archiver dead-letters to it." in (
        artifacts["kafka/topics/snapshot-archiver.dlq.yaml"]
    )
    assert "Kept forever (retention.ms -1); history is replayed from object store" in (
        artifacts["kafka/topics/orders.ledger.yaml"]
    )


# ---- the Strimzi resources -----------------------------------------------------------------------------------------

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _strict(schema: Any) -> Any:
    """The CRD schema as the API server applies it to our fields: an object that does not preserve unknown
    fields has them pruned, silently, so here they are refused (a pruned setting is a lost one)."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@cache
def crd_schemas() -> dict[str, dict[str, Any]]:
    """apiVersion -> the openAPIV3Schema of the Strimzi KafkaTopic CRDs kept in tests/fixtures/strimzi."""
    folder = STRIMZI
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        if crd.get("kind") != "CustomResourceDefinition" or crd["spec"]["names"]["kind"] != "KafkaTopic":
            continue
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                found[f"{crd['spec']['group']}/{version['name']}"] = version["schema"]["openAPIV3Schema"]
    return found


def _metadata_problems(resource: dict[str, Any]) -> list[str]:
    metadata = resource["metadata"]
    problems = []
    if len(metadata["name"]) > 253 or not DNS_SUBDOMAIN.match(metadata["name"]):
        problems.append(f"metadata.name {metadata['name']!r} is not a DNS-1123 subdomain")
    for key, value in metadata.get("labels", {}).items():
        if len(value) > 63 or not LABEL_VALUE.match(value):
            problems.append(f"label {key}={value!r} is not a valid label value")
    return problems


@pytest.mark.parametrize("api", ["v1", "v1beta2"])
@pytest.mark.parametrize("name", list(ALL_DESIGNS))
def test_every_kafkatopic_validates_against_the_strimzi_crd(name: str, api: str) -> None:
    artifacts = export(ALL_DESIGNS[name](), "kafka", ExportOptions(extra={"strimzi_api": api, "cluster": "prod-kafka"}))
    found = resources(artifacts)
    names = [r["metadata"]["name"] for r in found.values()]
    assert len(set(names)) == len(names)
    for path, resource in found.items():
        assert resource["apiVersion"] == f"kafka.strimzi.io/{api}" and resource["kind"] == "KafkaTopic"
        assert resource["metadata"]["labels"] == {"strimzi.io/cluster": "prod-kafka"}
        assert _metadata_problems(resource) == [], path
        topic = resource["spec"].get("topicName", resource["metadata"]["name"])
        assert path == f"kafka/topics/{topic}.yaml"
    schema = crd_schemas().get(f"kafka.strimzi.io/{api}")
    assert schema is not None, f"no CRD in {STRIMZI} serves {api}: {sorted(crd_schemas())}"
    validator = jsonschema.Draft4Validator(_strict(schema))
    for path, resource in found.items():
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(resource)]
        assert errors == [], path


def test_the_strict_crd_check_catches_a_misspelt_field() -> None:
    schemas = crd_schemas()
    assert set(schemas) >= {"kafka.strimzi.io/v1", "kafka.strimzi.io/v1beta2"}
    validator = jsonschema.Draft4Validator(_strict(schemas["kafka.strimzi.io/v1"]))
    good = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic", "metadata": {"name": "t"},
            "spec": {"partitions": 3, "config": {"anything.goes": 1}}}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "spec": {"partition": 3}}))
    assert list(validator.iter_errors({**good, "spec": {"partitions": 0}}))


def test_a_topic_name_that_is_no_kubernetes_name_keeps_its_name_in_topic_name() -> None:
    found = resources(export(_edge_design(), "kafka"))
    audit = found["kafka/topics/Orders_Audit.yaml"]
    assert audit["metadata"]["name"] == "orders-audit" and audit["spec"]["topicName"] == "Orders_Audit"
    reservations = found["kafka/topics/inventory.stock_reservation_events.yaml"]
    assert reservations["metadata"]["name"] == "inventory.stock-reservation-events"
    assert "topicName" not in found["kafka/topics/orders.events.yaml"]["spec"]


@given(st.lists(st.text(alphabet="aB._-0", min_size=1, max_size=20), min_size=1, max_size=12, unique=True))
def test_resource_names_are_unique_valid_and_the_topic_itself_where_possible(topics: list[str]) -> None:
    legal = [t for t in topics if t not in (".", "..")]
    names = resource_names(legal)
    assert len(set(names.values())) == len(legal)
    for topic, name in names.items():
        assert DNS_SUBDOMAIN.match(name) and len(name) <= 253, (topic, name)
        if DNS_SUBDOMAIN.match(topic):
            assert name == topic


def test_the_cluster_label_has_a_documented_default_and_bad_options_are_refused() -> None:
    default = resources(export(designed(FLAGSHIP), "kafka"))
    assert {r["metadata"]["labels"]["strimzi.io/cluster"] for r in default.values()} == {"my-cluster"}
    assert {r["apiVersion"] for r in default.values()} == {"kafka.strimzi.io/v1"}
    placed = resources(export(designed(FLAGSHIP), "kafka", ExportOptions(extra={"namespace": "kafka"})))
    assert {r["metadata"]["namespace"] for r in placed.values()} == {"kafka"}
    for extra, message in [
        ({"cluster": "prod cluster"}, "cluster 'prod cluster' is not a valid Kubernetes label value"),
        ({"namespace": "Kafka"}, "namespace 'Kafka' is not a valid Kubernetes namespace"),
        ({"strimzi_api": "v2"}, "strimzi_api 'v2' is not one Strimzi serves; use v1 or v1beta2"),
        ({"clustr": "x"}, "the kafka export has no option 'clustr'; did you mean 'cluster'?"),
    ]:
        with pytest.raises(InputError, match=re.escape(message)):
            export(designed(FLAGSHIP), "kafka", ExportOptions(extra=extra))


# ---- what the export refuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        ("orders events", "topic 'orders events' has ' '; Kafka allows only letters, digits, '.', '_' and '-'"),
        ("orders/events", "topic 'orders/events' has '/'"),
        ("x" * 250, "is 250 characters long; Kafka allows at most 249"),
        ("..", "topic '..' is '.' or '..', which Kafka refuses"),
        ("commandes.événements", "has 'é'"),
    ],
)
def test_an_illegal_topic_name_is_refused_in_one_line(topic: str, message: str) -> None:
    design = fresh(FLAGSHIP)
    design.topics.append(Topic(name=topic, partitions=3))
    with pytest.raises(InputError) as caught:
        export(design, "kafka")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).endswith("rename it in the design")


def test_an_illegal_name_in_a_reference_is_refused_too() -> None:
    design = fresh(FLAGSHIP)
    design.consumers[0].dead_letter = DeadLetter(topic="billing dlq")
    with pytest.raises(InputError, match="topic 'billing dlq' has ' '"):
        export(design, "kafka")


@pytest.mark.parametrize(
    ("topics", "message"),
    [
        ([Topic(name="orders_events")], "topics 'orders.events' and 'orders_events' collide in Kafka"),
        ([Topic(name="x.y", replication_factor=2, min_insync_replicas=3)], "min_insync_replicas 3 is above"),
        ([Topic(name="x.y", compression="brotli")], "compression 'brotli' is not one Kafka knows"),
        ([Topic(name="x.y"), Topic(name="x.y")], "topic 'x.y' is declared twice"),
    ],
)
def test_settings_kafka_refuses_are_refused_with_the_topic_named(topics: list[Topic], message: str) -> None:
    design = fresh(FLAGSHIP)
    design.topics += topics
    with pytest.raises(InputError, match=re.escape(message)):
        export(design, "kafka")


def test_a_design_without_topics_exports_nothing() -> None:
    assert export(Design(name="empty"), "kafka") == []


# ---- kafka-topics.sh ------------------------------------------------------------------------------------------------


def _script(tmp_path: Path, design: Design) -> Path:
    path = tmp_path / "kafka-topics.sh"
    path.write_text(script_of(export(design, "kafka")), encoding="utf-8")
    path.chmod(0o755)
    return path


def test_the_script_is_valid_bash() -> None:
    bash = shutil.which("bash")
    assert bash, "bash is part of every supported platform"
    for name in ALL_DESIGNS:
        result = subprocess.run(
            [bash, "-n"], input=script_of(export(ALL_DESIGNS[name](), "kafka")), text=True, capture_output=True
        )
        assert result.returncode == 0, result.stderr


@pytest.mark.external
def test_the_script_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        require_external("shellcheck", "shellcheck is not installed (apt-get install shellcheck)")
    for name in ALL_DESIGNS:
        script = _script(tmp_path, ALL_DESIGNS[name]())
        result = subprocess.run([shellcheck, "--shell=bash", "--severity=style", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


class FakeKafka:
    """Kafka's two tools on PATH, recording their calls, over a topic state kept in a file."""

    def __init__(self, tmp_path: Path) -> None:
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.log = tmp_path / "calls.jsonl"
        self.state_file = tmp_path / "state.json"
        for name, tool in (("kafka-topics.sh", "topics"), ("kafka-configs.sh", "configs")):
            wrapper = self.bin / name
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_TOOL}" {tool} "$@"\n', encoding="utf-8")
            wrapper.chmod(0o755)

    def seed(self, topics: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(topics), encoding="utf-8")

    @property
    def state(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state_file.read_text(encoding="utf-8"))
        return data

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def run(self, script: Path, **env: str) -> subprocess.CompletedProcess[str]:
        environ = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "FAKE_KAFKA_LOG": str(self.log),
            "FAKE_KAFKA_STATE": str(self.state_file),
            "HOME": os.environ.get("HOME", "/tmp"),
            **env,
        }
        return subprocess.run(["bash", str(script)], env=environ, capture_output=True, text=True, timeout=120)


def _expected(design: Design) -> dict[str, dict[str, Any]]:
    """What the cluster should hold after the script: each exported topic's partitions, replicas and configs."""
    out = {}
    for resource in resources(export(design, "kafka")).values():
        spec = resource["spec"]
        out[spec.get("topicName", resource["metadata"]["name"])] = {
            "partitions": spec.get("partitions", 1),
            "replicas": spec.get("replicas", 1),
            "configs": {k: str(v) for k, v in spec["config"].items()},
        }
    return out


def test_the_script_creates_every_topic_then_changes_nothing_on_a_second_run(tmp_path: Path) -> None:
    design = _edge_design()
    fake, script = FakeKafka(tmp_path), _script(tmp_path, design)
    first = fake.run(script, BOOTSTRAP_SERVER="broker-1:9092")
    assert first.returncode == 0, first.stderr
    expected = _expected(design)
    assert fake.state == expected
    calls = fake.calls()
    creates = [c["args"] for c in calls if "--create" in c["args"]]
    assert len(creates) == len(expected) and all("--if-not-exists" in args for args in creates)
    assert all(c["args"][:2] == ["--bootstrap-server", "broker-1:9092"] for c in calls)
    history = next(args for args in creates if args[args.index("--topic") + 1] == "orders.history")
    assert "cleanup.policy=compact,delete" in history
    add_config = next(c["args"] for c in calls if c["tool"] == "configs" and "orders.history" in c["args"])
    assert "cleanup.policy=[compact,delete]" in add_config[add_config.index("--add-config") + 1]
    assert not any("--partitions" in c["args"] and "--alter" in c["args"] for c in calls)
    assert first.stderr.strip().endswith(f"{len(expected)} topics ensured on broker-1:9092")

    fake.log.unlink()
    second = fake.run(script, BOOTSTRAP_SERVER="broker-1:9092")
    assert second.returncode == 0, second.stderr
    assert fake.state == expected
    assert not any("--alter" in c["args"] and c["tool"] == "topics" for c in fake.calls())
    assert "warning" not in second.stderr


def test_the_script_grows_partitions_warns_on_more_and_resets_configs(tmp_path: Path) -> None:
    design = fresh(FLAGSHIP)
    fake, script = FakeKafka(tmp_path), _script(tmp_path, design)
    fake.seed(
        {
            "orders.events": {"partitions": 6, "replicas": 3, "configs": {"retention.ms": "1000"}},
            "payments.events": {"partitions": 40, "replicas": 2, "configs": {}},
            # A topic the unescaped pattern orders.events would also match: it must be left alone.
            "ordersXevents": {"partitions": 1, "replicas": 1, "configs": {}},
        }
    )
    result = fake.run(script, BOOTSTRAP_SERVER="localhost:9092")
    assert result.returncode == 0, result.stderr
    state = fake.state
    assert state["orders.events"]["partitions"] == 18
    assert state["orders.events"]["configs"]["retention.ms"] == str(7 * 86_400_000)
    assert state["payments.events"]["partitions"] == 40  # partitions never shrink
    assert state["ordersXevents"] == {"partitions": 1, "replicas": 1, "configs": {}}
    assert "warning: payments.events has 40 partitions, the design 18" in result.stderr
    assert "warning: payments.events has replication factor 2, the design 3" in result.stderr
    alters = [c["args"] for c in fake.calls() if c["tool"] == "topics" and "--alter" in c["args"]]
    assert alters == [["--bootstrap-server", "localhost:9092", "--alter", "--topic", r"orders\.events", "--partitions", "18"]]


def test_the_script_passes_a_client_config_to_every_call(tmp_path: Path) -> None:
    fake, script = FakeKafka(tmp_path), _script(tmp_path, designed(SMART_METERS))
    properties = tmp_path / "client with spaces.properties"
    properties.write_text("security.protocol=SSL\n", encoding="utf-8")
    result = fake.run(script, BOOTSTRAP_SERVER="b:9093", KAFKA_COMMAND_CONFIG=str(properties))
    assert result.returncode == 0, result.stderr
    calls = fake.calls()
    assert calls and all(c["args"][2:4] == ["--command-config", str(properties)] for c in calls)


def test_the_script_refuses_to_run_without_a_bootstrap_server(tmp_path: Path) -> None:
    fake, script = FakeKafka(tmp_path), _script(tmp_path, designed(FLAGSHIP))
    for env in ({}, {"BOOTSTRAP_SERVER": ""}):
        result = fake.run(script, **env)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and "BOOTSTRAP_SERVER is not set" in result.stderr
    assert fake.calls() == []


def test_the_script_stops_when_a_kafka_tool_is_missing(tmp_path: Path) -> None:
    fake, script = FakeKafka(tmp_path), _script(tmp_path, designed(FLAGSHIP))
    result = fake.run(script, BOOTSTRAP_SERVER="b:9092", KAFKA_CONFIGS_CMD="no-such-kafka-configs")
    assert result.returncode == 127 and "no-such-kafka-configs not found" in result.stderr
    assert fake.calls() == []


def test_the_script_stops_at_the_first_failing_call(tmp_path: Path) -> None:
    design = fresh(FLAGSHIP)
    fake, script = FakeKafka(tmp_path), _script(tmp_path, design)
    fake.seed({"inventory-service.dlq": {"partitions": 3, "replicas": 3, "configs": {}}})
    # The fake refuses an --alter to the same count, as Kafka does; make the script hit that by lying about it.
    broken = script.read_text(encoding="utf-8").replace("(( current < partitions ))", "(( current <= partitions ))")
    script.write_text(broken, encoding="utf-8")
    result = fake.run(script, BOOTSTRAP_SERVER="b:9092")
    assert result.returncode != 0 and "which is higher than the requested 3" in result.stderr
    assert not any(c["tool"] == "configs" for c in fake.calls())


def test_comments_in_the_script_and_yaml_cannot_carry_commands(tmp_path: Path) -> None:
    design = fresh(FLAGSHIP)
    design.name = "shop\ntouch /tmp/owned\r\n$(reboot)"
    artifacts = export(design, "kafka")
    for artifact in artifacts:
        for line in artifact.content.splitlines():
            if "touch" in line or "reboot" in line:
                assert line.startswith("#"), line
    fake, script = FakeKafka(tmp_path), tmp_path / "s.sh"
    script.write_text(script_of(artifacts), encoding="utf-8")
    assert fake.run(script, BOOTSTRAP_SERVER="b:9092").returncode == 0


# ---- the CLI and the MCP tool -----------------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from archassist.agent.cli.exits import run
    from archassist.agent.cli.root import app

    code = run(app, list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _design_file(tmp_path: Path, design: Design) -> Path:
    from archassist.agent.model.io import dumps

    path = tmp_path / "design.yaml"
    path.write_text(dumps(design), encoding="utf-8")
    return path


def test_cli_writes_the_topics_with_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    source = _design_file(tmp_path, designed(CONCERT_TICKETING))
    code, stdout, stderr = _cli(
        capsys, "export", str(source), "--to", "kafka", "-o", str(out), "--option", "cluster=events", "-O", "namespace=kafka"
    )
    assert code == 0 and stdout == "", stderr
    expected = export(designed(CONCERT_TICKETING), "kafka", ExportOptions(extra={"cluster": "events", "namespace": "kafka"}))
    assert stderr == f"wrote {len(expected)} files to {out}\n"
    for artifact in expected:
        assert (out / artifact.path).read_text(encoding="utf-8") == artifact.content
    resource = yaml.safe_load((out / "kafka/topics/seat.events.yaml").read_text(encoding="utf-8"))
    assert resource["metadata"]["labels"]["strimzi.io/cluster"] == "events"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--to", "kafak"], "unknown export kind 'kafak' (did you mean 'kafka'?)"),
        (["--to", "kafka", "--option", "cluster"], "--option 'cluster' is not KEY=VALUE"),
        (["--to", "kafka", "-O", "cluster=a", "-O", "cluster=b"], "--option cluster is given twice"),
        (["--to", "kafka", "-O", "brokers=3"], "the kafka export has no option 'brokers'"),
        (["--to", "kafka"], "give a folder with -o DIR"),
    ],
)
def test_cli_bad_input_ends_in_one_line(
    args: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, stderr = _cli(capsys, "export", str(_design_file(tmp_path, designed(FLAGSHIP))), *args)
    assert code == 2 and stdout == ""
    assert stderr.count("\n") == 1 and expected in stderr, stderr


def test_cli_refuses_an_illegal_topic_and_a_symlink_out_of_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    design = fresh(FLAGSHIP)
    design.topics.append(Topic(name="bad topic"))
    code, _, stderr = _cli(capsys, "export", str(_design_file(tmp_path, design)), "--to", "kafka", "-o", str(tmp_path / "o"))
    assert code == 2 and "topic 'bad topic' has ' '" in stderr and not (tmp_path / "o" / "kafka").exists()
    outside, out = tmp_path / "outside", tmp_path / "out"
    outside.mkdir()
    out.mkdir()
    (out / "kafka").symlink_to(outside, target_is_directory=True)
    code, _, stderr = _cli(capsys, "export", str(_design_file(tmp_path, designed(FLAGSHIP))), "--to", "kafka", "-o", str(out))
    assert code == 2 and "leaves the output folder" in stderr and list(outside.iterdir()) == []


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_mcp_export_of_kafka_inline_and_into_the_workspace(tmp_path: Path) -> None:
    from archassist.tools.server import build_server
    from mcp import Client

    _design_file(tmp_path, designed(LOAN_ORIGINATION))
    async with Client(build_server(tmp_path, None)) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "export")
        inline = await client.call_tool("export", {"kind": "kafka", "path": "design.yaml", "options": {"cluster": "audit"}})
        assert not inline.is_error, inline.content[0].text
        data = inline.structured_content
        jsonschema.validate(data, tool.output_schema)
        assert len(json.dumps(data)) < 20_000
        contents = {f["path"]: f["content"] for f in data["files"] if f["content"]}
        assert any("strimzi.io/cluster: audit" in text for text in contents.values())
        assert "kafka/kafka-topics.sh" in inline.content[0].text
        written = await client.call_tool("export", {"kind": "kafka", "path": "design.yaml", "output_dir": "deploy"})
        assert not written.is_error
        assert (tmp_path / "deploy" / "kafka" / "kafka-topics.sh").is_file()
        refused = await client.call_tool("export", {"kind": "kafka", "path": "design.yaml", "options": {"brokers": "3"}})
        assert refused.is_error and "no option 'brokers'" in refused.content[0].text
        escaped = await client.call_tool("export", {"kind": "kafka", "path": "design.yaml", "output_dir": "../x"})
        assert escaped.is_error


@given(st.lists(st.text(alphabet=st.sampled_from("ab.Z_-9 /é"), min_size=0, max_size=12), min_size=1, max_size=5))
def test_any_topic_names_give_valid_resources_or_one_line_naming_the_topic(names: list[str]) -> None:
    design = Design(name="generated", topics=[Topic(name=name, partitions=2) for name in dict.fromkeys(names)])
    try:
        artifacts = export(design, "kafka")
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message and message.startswith("topic")
        assert any(f"'{name}'" in message for name in names)
        return
    found = resources(artifacts)
    assert len(found) == len(set(names))
    for resource in found.values():
        assert _metadata_problems(resource) == []
        topic = resource["spec"].get("topicName", resource["metadata"]["name"])
        assert re.fullmatch(r"[A-Za-z0-9._-]{1,249}", topic) and topic not in (".", "..")
