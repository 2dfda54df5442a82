"""Reading a design brief: which business domains it names, and the numbers and flags it states.

Deterministic and dependency-free: a light stemmer, longest-match synonym lookup and a handful of patterns for
rates, latencies, retention and compliance words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from archassist.agent.planner.knowledge import Domain, domains

# Letters of any script, so "über" stays one word (and is then skipped as a noun) instead of becoming "ber".
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "across",
        "between",
        "from",
        "into",
        "over",
        "under",
        "via",
        "per",
        "within",
        "without",
        "or",
        "nor",
        "but",
        "so",
        "as",
        "is",
        "are",
        "be",
        "been",
        "being",
        "was",
        "were",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "their",
        "our",
        "your",
        "my",
        "we",
        "you",
        "they",
        "i",
        "all",
        "any",
        "each",
        "every",
        "both",
        "either",
        "neither",
        "some",
        "many",
        "much",
        "more",
        "most",
        "less",
        "few",
        "several",
        "other",
        "such",
        "same",
        "own",
        "design",
        "build",
        "create",
        "make",
        "need",
        "needs",
        "needed",
        "want",
        "wants",
        "handle",
        "handles",
        "handling",
        "support",
        "supports",
        "supporting",
        "system",
        "systems",
        "platform",
        "service",
        "services",
        "application",
        "app",
        "apps",
        "architecture",
        "event",
        "events",
        "driven",
        "based",
        "using",
        "use",
        "uses",
        "used",
        "real",
        "time",
        "realtime",
        "near",
        "high",
        "low",
        "large",
        "small",
        "new",
        "existing",
        "multiple",
        "various",
        "different",
        "simple",
        "complex",
        "scalable",
        "reliable",
        "robust",
        "fast",
        "quick",
        "secure",
        "must",
        "should",
        "would",
        "could",
        "can",
        "will",
        "may",
        "might",
        "sec",
        "second",
        "seconds",
        "minute",
        "minutes",
        "hour",
        "hours",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "year",
        "years",
        "ms",
        "millisecond",
        "milliseconds",
        "p50",
        "p90",
        "p95",
        "p99",
        "p999",
        "latency",
        "throughput",
        "peak",
        "peaks",
        "under",
        "below",
        "above",
        "less",
        "than",
        "least",
        "most",
        "about",
        "around",
        "approximately",
        "roughly",
        "up",
        "also",
        "including",
        "include",
        "includes",
        "like",
        "e",
        "g",
        "eg",
        "etc",
        "via",
        "kafka",
        "rabbitmq",
        "pulsar",
        "nats",
        "sqs",
        "kinesis",
        "gdpr",
        "pii",
        "audit",
        "auditing",
        "compliance",
        "compliant",
        "regulatory",
        "regulation",
        "exactly",
        "once",
        "effectively",
        "at-least-once",
        "exactly-once",
        "orchestration",
        "orchestrated",
        "choreography",
        "choreographed",
        "cqrs",
        "sourcing",
        "sourced",
        "workflow",
        "workflows",
        "process",
        "processes",
        "processing",
        "flow",
        "flows",
        "pipeline",
        "pipelines",
        "thousand",
        "thousands",
        "million",
        "millions",
        "billion",
        "billions",
        "k",
        "m",
        "b",
        "x",
        "per",
        "keep",
        "kept",
        "store",
        "stored",
        "history",
        "end",
        "tps",
        "rps",
        "eps",
        "qps",
        "msg",
        "msgs",
        "guarantee",
        "guarantees",
        "guaranteed",
        "delivery-guarantee",
        "ensure",
        "ensures",
        "way",
        "ways",
        "thing",
        "things",
        "stuff",
        "lot",
        "lots",
    ]
)


def stem(word: str) -> str:
    """A deliberately small stemmer: enough to equate 'payments'/'payment', 'shipping'/'ship', 'orders'/'order'."""
    w = word.lower()
    if len(w) <= 3:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or w.endswith("ches") or w.endswith("shes") or w.endswith("xes"):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            base = w[: -len(suffix)]
            if len(base) >= 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            w = base
            break
    return w


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class DomainMatch:
    domain: Domain
    matched: str
    position: int


@dataclass
class BriefFacts:
    """What a brief states, as data the planner acts on."""

    text: str
    domains: list[DomainMatch] = field(default_factory=list)
    nouns: list[str] = field(default_factory=list)
    throughput_eps: float | None = None
    throughput_unit: str | None = None
    throughput_source: str | None = None
    instance_rate: bool = False
    peak_factor: float | None = None
    latency_p99_ms: float | None = None
    latency_source: str | None = None
    audit: bool = False
    retention_days: float | None = None
    pii: bool = False
    gdpr: bool = False
    exactly_once: bool = False
    event_sourcing: bool = False
    cqrs: bool = False
    coordination: str | None = None
    broker: str | None = None
    schema_format: str | None = None
    strong_consistency: bool = False
    rate_is_peak: bool = False
    fleet: float | None = None
    fleet_unit: str | None = None
    fleet_period_s: float | None = None
    fleet_assumed: bool = False

    @property
    def domain_names(self) -> list[str]:
        return [m.domain.name for m in self.domains]


_MULTIPLIERS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
_PER_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "daily": 86400,
    "month": 2_592_000,
    "months": 2_592_000,
    "mo": 2_592_000,
}
_GENERIC_UNITS = {
    "event",
    "message",
    "msg",
    "record",
    "request",
    "req",
    "call",
    "transaction",
    "tx",
    "tps",
    "rps",
}

_RATE = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<mult>k|thousand|mm|m|million|b|billion)?\b\s*"
    r"(?P<unit>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)?\s*(?:/|per|an?|each)\s*(?P<per>s|secs?|seconds?|m|mins?|minutes?"
    r"|h|hrs?|hours?|d|days?|mo|months?)\b"
)
_RATE_SUFFIX = re.compile(r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<mult>k|m|b)?\s*(?P<unit>tps|rps|eps|msg/s|qps)\b")
_DAILY = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<mult>k|thousand|m|million|b|billion)?\s*(?P<unit>[a-z-]+)\s+daily\b"
)
_LATENCY = re.compile(
    r"(?:p(?P<pct>\d{2,3})\s*(?:latency|response time|end[- ]to[- ]end)?\s*(?:of|under|below|<=?|within|less than|at most|≤)?\s*"
    r"|(?:latency|response time)\s*(?:p\d{2,3})?\s*(?:of|under|below|<=?|within|less than|at most|≤)\s*)"
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?)\b"
)
_LATENCY_AFTER = re.compile(
    r"(?:under|below|within|less than|<)\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|milliseconds?)\s*(?:p\d{2,3}\s*)?"
    r"(?:latency|end[- ]to[- ]end|response)"
)
# "answered within 150 ms p99", "in under 2 s (p95)", "within 80 ms": a bound on response time written after the number.
_LATENCY_BOUND = re.compile(
    r"(?:(?:within|under|below|less than|<)\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?)"
    r"\s*\(?\s*(?:at\s+)?p\d{2,3}\b)"
    r"|(?:(?:within|in under|under|in less than)\s*(?P<num_ms>\d+(?:\.\d+)?)\s*(?P<unit_ms>ms|milliseconds?)\b)"
)
_PEAK = re.compile(
    r"(?:peaks?\s*(?:of|at|up to)?\s*(?P<a>\d+(?:\.\d+)?)\s*x)|(?:(?P<b>\d+(?:\.\d+)?)\s*x\s*peaks?)"
)
_RETENTION = re.compile(
    r"(?:retain\w*|retention|keep|kept|store\w*|history|archive\w*)[^.;\n]{0,40}?(?P<num>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>years?|yrs?|months?|days?|weeks?)"
    r"|(?P<num2>\d+(?:\.\d+)?)[- ]?(?P<unit2>years?|yrs?|months?|days?|weeks?)\s*(?:of\s+)?(?:retention|history|audit)"
)
_UNIT_DAYS = {"year": 365, "yr": 365, "month": 30, "day": 1, "week": 7}

_AUDIT = re.compile(
    r"\b(audit\w*|complian\w*|regulat\w*|sox|pci(?:[- ]dss)?|hipaa|finra|mifid|psd2|basel|traceab\w*|forensic\w*)\b"
)
_PII = re.compile(
    r"\b(gdpr|ccpa|lgpd|pii|personal(?: \w+)? data|personally identifiable|privacy|right to be forgotten"
    r"|data protection|health data|medical records?)\b"
)
_GDPR = re.compile(r"\b(gdpr|ccpa|lgpd|right to be forgotten|erasure)\b")
_EXACTLY_ONCE = re.compile(r"\bexactly[- ]once\b|\beffectively[- ]once\b|\bno duplicates?\b|\bdeduplicat\w*")
_EVENT_SOURCING = re.compile(
    r"\bevent[- ]sourc\w*|\bevent store\b|\breplay\w*\b|\btemporal quer\w*|\btime[- ]travel\b"
)
_CQRS = re.compile(r"\bcqrs\b|\bread models?\b|\bprojections?\b|\bmaterialized views?\b")
_ORCH = re.compile(r"\borchestrat\w*")
_CHOREO = re.compile(r"\bchoreograph\w*")
_STRONG = re.compile(r"\bstrong(?:ly)? consisten\w*|\bimmediate consisten\w*|\blinearizab\w*")
_BROKERS = {
    "kafka": "kafka",
    "redpanda": "kafka",
    "msk": "kafka",
    "confluent": "kafka",
    "rabbitmq": "rabbitmq",
    "rabbit": "rabbitmq",
    "amqp": "rabbitmq",
    "pulsar": "pulsar",
    "nats": "nats",
    "jetstream": "nats",
    "sqs": "sqs",
    "sns": "sqs",
    "kinesis": "kinesis",
    "eventbridge": "eventbridge",
    "event hubs": "event-hubs",
    "eventhubs": "event-hubs",
    "pubsub": "google-pubsub",
    "pub/sub": "google-pubsub",
    "redis streams": "redis-streams",
}


def _number(raw: str, mult: str | None) -> float:
    return float(raw.replace(",", "")) * _MULTIPLIERS.get((mult or "").lower(), 1.0)


def _read_rate(text: str, facts: BriefFacts) -> None:
    best: tuple[float, str, str, bool] | None = None
    for m in _RATE.finditer(text):
        per = m.group("per")
        unit = (m.group("unit") or "events").strip()
        # "3 ms per call" or "2 days per week" are not rates; a rate's unit is a thing that happens.
        if unit in _PER_SECONDS or unit.split()[-1] in {"ms", "millisecond", "milliseconds", "latency"}:
            continue
        mult = m.group("mult")
        value = _number(m.group("num"), mult) / _PER_SECONDS.get(per, 1)
        generic = stem(unit.split()[-1]) in _GENERIC_UNITS
        candidate = (value, unit, m.group(0).strip(), not generic)
        if best is None or value > best[0]:
            best = candidate
    for m in _RATE_SUFFIX.finditer(text):
        value = _number(m.group("num"), m.group("mult"))
        if best is None or value > best[0]:
            best = (value, "events", m.group(0).strip(), False)
    for m in _DAILY.finditer(text):
        value = _number(m.group("num"), m.group("mult")) / 86400
        if best is None or value > best[0]:
            best = (value, m.group("unit"), m.group(0).strip(), stem(m.group("unit")) not in _GENERIC_UNITS)
    if best is not None:
        facts.throughput_eps, facts.throughput_unit, facts.throughput_source, facts.instance_rate = best


# "every 30 seconds", "every 10 s", "every 500 ms", "every 2 h": the units a reporting period is written in.
_PERIOD_UNITS = r"seconds?|secs?|s|ms|milliseconds?|minutes?|mins?|hours?|hrs?|h"
_FLEET = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)?)\s*(?P<mult>k|thousand|m|million|b|billion)?\s+(?P<unit>[a-z-]+)\s+"
    r"(?:[a-z-]+\s+){1,4}?every\s+(?P<n>\d+(?:\.\d+)?)?\s*(?P<per>" + _PERIOD_UNITS + r"|days?)\b"
)
_PERIODIC = re.compile(
    r"\b(?P<unit>[a-z-]+s)\s+(?:stream|report|send|emit|publish|push)\w*\s+(?:[a-z-]+\s+){0,3}?every\s+"
    r"(?P<n>\d+(?:\.\d+)?)?\s*(?P<per>" + _PERIOD_UNITS + r")\b"
)
_PEAK_WORDS = re.compile(
    r"\b(when|whenever|during|at the open|at peak|at launch|on sale|in bursts?|rush|spikes?|busiest|flash sales?)\b"
)
_PERIOD_S = {
    "s": 1, "sec": 1, "second": 1, "ms": 0.001, "millisecond": 0.001, "min": 60, "minute": 60, "h": 3600,
    "hr": 3600, "hour": 3600, "day": 86400,
}
# A fleet that reports periodically but is not counted in the brief is assumed to be this large.
ASSUMED_FLEET = 10_000


def _period(n: str | None, per: str) -> float:
    base = per if per in ("s", "ms") else per.rstrip("s")
    return float(n or 1) * _PERIOD_S.get(base, 1)


def _read_fleet(text: str, facts: BriefFacts) -> None:
    """ "2 million meters report readings every 15 minutes": a fleet reporting on a period is a rate."""
    m = _FLEET.search(text)
    if m:
        facts.fleet = _number(m.group("num"), m.group("mult"))
        facts.fleet_unit = m.group("unit")
        facts.fleet_period_s = _period(m.group("n"), m.group("per"))
    else:
        m = _PERIODIC.search(text)
        if not m:
            return
        facts.fleet, facts.fleet_unit, facts.fleet_assumed = ASSUMED_FLEET, m.group("unit"), True
        facts.fleet_period_s = _period(m.group("n"), m.group("per"))
    rate = facts.fleet / facts.fleet_period_s
    if facts.throughput_eps is None or rate > facts.throughput_eps:
        facts.throughput_eps, facts.throughput_unit = rate, facts.fleet_unit
        facts.throughput_source, facts.instance_rate, facts.rate_is_peak = m.group(0).strip(), False, False


def _read_peak_rate(text: str, facts: BriefFacts) -> None:
    """ "50k purchases per minute when a big show goes on sale": the stated rate is the peak, not the average."""
    if not facts.throughput_source or (facts.fleet is not None and facts.throughput_unit == facts.fleet_unit):
        return
    at = text.find(facts.throughput_source)
    if at < 0:
        return
    rest = re.split(r"[.;]", text[at + len(facts.throughput_source) :], maxsplit=1)[0]
    if _PEAK_WORDS.search(rest[:60]):
        facts.rate_is_peak = True


def _read_latency(text: str, facts: BriefFacts) -> None:
    for pattern in (_LATENCY, _LATENCY_AFTER, _LATENCY_BOUND):
        m = pattern.search(text)
        if m:
            groups = m.groupdict()
            value = float(groups.get("num") or groups["num_ms"])
            unit = groups.get("unit") or groups["unit_ms"]
            facts.latency_p99_ms = value if unit.startswith("m") else value * 1000
            facts.latency_source = m.group(0).strip(" (")
            return


def _read_retention(text: str, facts: BriefFacts) -> None:
    m = _RETENTION.search(text)
    if not m:
        return
    num = m.group("num") or m.group("num2")
    unit = (m.group("unit") or m.group("unit2")).rstrip("s")
    facts.retention_days = float(num) * _UNIT_DAYS.get(unit, 1)


@cache
def _synonym_index() -> dict[str, list[tuple[tuple[str, ...], Domain, str]]]:
    """Every synonym of every domain as stemmed word tuples, indexed by first stem, longest first."""
    index: dict[str, list[tuple[tuple[str, ...], Domain, str]]] = {}
    for domain in domains().values():
        for synonym in (*domain.synonyms, domain.name.replace("_", " ")):
            key = tuple(stem(w) for w in tokens(synonym))
            if key:
                index.setdefault(key[0], []).append((key, domain, synonym))
    for entries in index.values():
        entries.sort(key=lambda item: -len(item[0]))
    return index


def match_domains(words: list[str]) -> list[DomainMatch]:
    """Longest-match synonym lookup over stemmed words, each word claimed by at most one domain."""
    stems = [stem(w) for w in words]
    index = _synonym_index()
    candidates: list[tuple[int, int, Domain, str]] = []
    for i, first in enumerate(stems):
        for key, domain, synonym in index.get(first, ()):
            n = len(key)
            if tuple(stems[i : i + n]) == key:
                candidates.append((-n, i, domain, synonym))
    # Longer synonyms claim their words first, so "food delivery" wins over "delivery".
    candidates.sort(key=lambda c: (c[0], c[1]))
    claimed = [False] * len(stems)
    found: dict[str, DomainMatch] = {}
    for negative_length, i, domain, synonym in candidates:
        n = -negative_length
        if any(claimed[i : i + n]):
            continue
        for j in range(i, i + n):
            claimed[j] = True
        previous = found.get(domain.name)
        if previous is None or i < previous.position:
            found[domain.name] = DomainMatch(domain, synonym, i)
    return sorted(found.values(), key=lambda m: m.position)


def _nouns(words: list[str], claimed: Iterable[str]) -> list[str]:
    seen: list[str] = []
    skip = set(claimed)
    for w in words:
        base = stem(w)
        if w in STOPWORDS or base in STOPWORDS or len(w) < 3 or not w.isascii() or any(c.isdigit() for c in w):
            continue
        if base in skip or base in seen:
            continue
        seen.append(base)
    return seen


def parse_brief(text: str) -> BriefFacts:
    low = " ".join(text.lower().split())
    facts = BriefFacts(text=text.strip())
    words = tokens(low)
    facts.domains = match_domains(words)
    claimed = {stem(w) for m in facts.domains for w in tokens(m.matched)}
    facts.nouns = _nouns(words, claimed)
    _read_rate(low, facts)
    _read_fleet(low, facts)
    _read_peak_rate(low, facts)
    _read_latency(low, facts)
    _read_retention(low, facts)
    peak = _PEAK.search(low)
    if peak:
        facts.peak_factor = max(1.0, float(peak.group("a") or peak.group("b")))
    facts.audit = bool(_AUDIT.search(low))
    facts.pii = bool(_PII.search(low))
    facts.gdpr = bool(_GDPR.search(low))
    facts.exactly_once = bool(_EXACTLY_ONCE.search(low))
    facts.event_sourcing = bool(_EVENT_SOURCING.search(low))
    facts.cqrs = bool(_CQRS.search(low))
    facts.strong_consistency = bool(_STRONG.search(low))
    orch, choreo = _ORCH.search(low), _CHOREO.search(low)
    if orch and not choreo:
        facts.coordination = "orchestration"
    elif choreo and not orch:
        facts.coordination = "choreography"
    for name, broker in _BROKERS.items():
        if re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", low):
            facts.broker = broker
            break
    if re.search(r"\bavro\b", low):
        facts.schema_format = "avro"
    elif re.search(r"\bprotobuf|protocol buffers\b", low):
        facts.schema_format = "protobuf"
    return facts
