"""How much of what `archassist review` says about real AsyncAPI documents is worth reading.

Reviews the shared-corpus AsyncAPI documents, prints the findings per code and per document, and the shares of
useful / noise / false findings (overall and by protocol) from the hand-made labels in review_labels.yaml.

A label applies to a group of findings: one code and one message shape (the message with names, quoted values
and numbers blanked out) in one document. `defaults` label a code + shape for every document where the same
judgement holds; `documents` override per document.

Usage:
    python benchmarks/review_precision.py                 # figures for the current code
    python benchmarks/review_precision.py --unlabelled    # list the groups no label covers yet (YAML to paste)
    python benchmarks/review_precision.py --save-useful   # remember where the useful findings are
    python benchmarks/review_precision.py --check-useful  # every useful finding remembered still appears
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from archassist.agent.modes.review import review_file

HERE = Path(__file__).parent
ROOT = HERE.parent
CORPUS = ROOT / ".." / "shared" / "corpus" / "asyncapi" / "docs"
LABELS = HERE / "review_labels.yaml"
USEFUL = HERE / "review_useful_places.json"

# The documents judged by hand; the social-media folder is one application described in five documents.
DOCUMENTS: dict[str, str] = {
    # document → the protocol its messages really travel on (as a reader sees it, not as the importer guesses)
    "spec-3.0-streetlights-kafka.yaml": "kafka",
    "spec-3.0-streetlights-mqtt.yaml": "mqtt",
    "spec-3.0-adeo-kafka-request-reply.yaml": "kafka",
    "spec-3.0-rpc-client.yaml": "amqp",
    "spec-3.0-rpc-server.yaml": "amqp",
    "spec-3.0-websocket-gemini.yaml": "websocket",
    "spec-3.0-gitter-streaming.yaml": "http",
    "spec-3.0-kraken-ws-request-reply-multiple-channels.yaml": "websocket",
    "spec-3.0-slack-rtm.yaml": "websocket",
    "spec-3.0-correlation-id.yaml": "mqtt",
    "deepgram-speech-api.yaml": "websocket",
    "bell-avr-mqtt.yaml": "mqtt",
    "diamond-blueapi-worker-events.yaml": "unspecified",
    "fk-rimfrost-process.yaml": "unspecified",
    "microcks-self-api-v1.10.yaml": "kafka",
    "microcks-account-service-amqp-2.1.yaml": "amqp",
    "spec-3.0-social-media": "mqtt",
}
# Files of a folder whose protocol differs from the folder's.
FILE_PROTOCOLS: dict[str, str] = {"spec-3.0-social-media/frontend/asyncapi.yaml": "websocket"}
LABEL_KINDS = ("useful", "noise", "false")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_NAMED = re.compile(
    r"\b(message|operation|channel|event|topic|command|consumer|service|field|\$ref)\s+(?![*'])[^\s;,()]+"
)
_NUMBER = re.compile(r"\d+")
_PATH = re.compile(r"(?<![\w/])/(?:[\w.#-]+/)+[\w.#-]*")
_LIST_AT_END = re.compile(r" \([^()]*\)$")
_PLACES = re.compile(r"(\d+) places in all")
_LINE = re.compile(r"\bline (\d+)")


@dataclass(frozen=True)
class Seen:
    document: str
    file: str
    protocol: str
    code: str
    shape: str
    line: int
    weight: int  # how many places the finding stands for (a folded finding lists several)
    message: str
    lines: tuple[int, ...]


def shape_of(message: str) -> str:
    text = _PLACES.sub("", message).split(" — ")[0]
    text = _LIST_AT_END.sub(" (…)", _PATH.sub("PATH", _QUOTED.sub("*", text)))
    text = _NAMED.sub(lambda m: f"{m[1]} *", text)
    text = _NUMBER.sub("#", text).strip()
    # Findings now use AsyncAPI's words (message, channel, operation); the judgement on them is the same.
    for design_word, document_word in (("event *", "message *"), ("topic *", "channel *"), ("consumer *", "operation *")):
        if text.startswith(design_word):
            text = document_word + text[len(design_word) :]
    return text


def _files(name: str) -> list[Path]:
    path = CORPUS / name
    if path.is_dir():
        return sorted(p for p in path.glob("*/asyncapi.yaml"))
    return [path]


def collect() -> list[Seen]:
    seen: list[Seen] = []
    for name in DOCUMENTS:
        for path in _files(name):
            review = review_file(path)
            protocol = FILE_PROTOCOLS.get(str(path.relative_to(CORPUS)), DOCUMENTS[name])
            for finding in review.findings:
                places = _PLACES.search(finding.message)
                listed = tuple(int(n) for n in _LINE.findall(finding.message.split(" — ", 1)[-1]))
                seen.append(
                    Seen(
                        document=name,
                        file=str(path.relative_to(CORPUS)),
                        protocol=protocol,
                        code=finding.code,
                        shape=shape_of(finding.message),
                        line=finding.line or 0,
                        weight=int(places[1]) if places else 1,
                        message=finding.message,
                        lines=(finding.line or 0, *listed),
                    )
                )
    return seen


Labels = dict[str, dict[str, dict[str, str]]]


def load_labels() -> tuple[dict[str, dict[str, str]], Labels, Labels]:
    data = yaml.safe_load(LABELS.read_text(encoding="utf-8")) if LABELS.exists() else {}
    return data.get("defaults") or {}, data.get("protocols") or {}, data.get("documents") or {}


def label_of(item: Seen, labels: tuple[dict[str, dict[str, str]], Labels, Labels]) -> str:
    """The most specific label: the document's, else the protocol's, else the default for the code and shape."""
    defaults, protocols, documents = labels
    key = f"{item.code} {item.shape}"
    entry = (
        (documents.get(item.document) or {}).get(key)
        or (protocols.get(item.protocol) or {}).get(key)
        or defaults.get(key)
    )
    if not entry:
        return "unlabelled"
    label = str(entry.get("label", "unlabelled"))
    if label not in LABEL_KINDS:
        sys.exit(f"{LABELS}: label {label!r} for {key!r} must be one of {', '.join(LABEL_KINDS)}")
    return label


def _shares(counter: Counter[str]) -> str:
    total = sum(counter.values())
    if not total:
        return "no findings"
    parts = [f"{kind} {100 * counter[kind] / total:.0f} %" for kind in (*LABEL_KINDS, "unlabelled") if counter[kind]]
    return f"{total} findings: " + ", ".join(parts)


def report(seen: list[Seen]) -> None:
    labels = load_labels()
    print("findings per code (each folded finding counts once):")
    for code, count in sorted(Counter(s.code for s in seen).items()):
        print(f"  {code}: {count}")
    print("\nfindings per document:")
    for name in DOCUMENTS:
        mine = [s for s in seen if s.document == name]
        print(f"  {name}: {len(mine)}  {dict(sorted(Counter(s.code for s in mine).items()))}")
    overall: Counter[str] = Counter()
    by_protocol: dict[str, Counter[str]] = defaultdict(Counter)
    for item in seen:
        label = label_of(item, labels)
        overall[label] += 1
        by_protocol[item.protocol][label] += 1
    print(f"\noverall: {_shares(overall)}")
    for protocol, counter in sorted(by_protocol.items()):
        print(f"  {protocol}: {_shares(counter)}")


def unlabelled(seen: list[Seen]) -> None:
    labels = load_labels()
    groups: dict[tuple[str, str], list[Seen]] = defaultdict(list)
    for item in seen:
        if label_of(item, labels) == "unlabelled":
            groups[(item.document, f"{item.code} {item.shape}")].append(item)
    current = ""
    for (document, key), items in sorted(groups.items()):
        if document != current:
            print(f"  {document}:")
            current = document
        print(f"    {json.dumps(key)}: {{label: ?, reason: ''}}  # {len(items)}x, e.g. {items[0].message[:140]}")


def useful_places(seen: list[Seen]) -> set[tuple[str, str, str, int]]:
    labels = load_labels()
    out: set[tuple[str, str, str, int]] = set()
    for item in seen:
        if label_of(item, labels) == "useful":
            out.add((item.file, item.code, item.shape, item.line))
    return out


def check_useful(seen: list[Seen]) -> int:
    if not USEFUL.exists():
        sys.exit(f"{USEFUL} does not exist; run with --save-useful on the code the labels were made for")
    before = {tuple(row) for row in json.loads(USEFUL.read_text(encoding="utf-8"))}
    now = {(s.file, s.code, line) for s in seen for line in s.lines}
    lost = sorted(row for row in before if (row[0], row[1], row[3]) not in now)
    for file, code, shape, line in lost:
        print(f"lost: {file}:{line} {code} {shape}")
    print(f"useful findings of before still reported: {len(before) - len(lost)} of {len(before)}")
    return 1 if lost else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unlabelled", action="store_true", help="list the groups that have no label yet")
    parser.add_argument("--save-useful", action="store_true", help="remember the places of the useful findings")
    parser.add_argument("--check-useful", action="store_true", help="check that the remembered ones still appear")
    args = parser.parse_args()
    seen = collect()
    if args.unlabelled:
        unlabelled(seen)
        return
    if args.save_useful:
        rows = sorted(useful_places(seen))
        USEFUL.write_text(json.dumps([list(r) for r in rows], indent=1) + "\n", encoding="utf-8")
        print(f"{len(rows)} useful places written to {USEFUL.name}")
        return
    report(seen)
    if args.check_useful:
        sys.exit(check_useful(seen))


if __name__ == "__main__":
    main()
