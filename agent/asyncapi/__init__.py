"""The AsyncAPI importer: AsyncAPI 2.0–2.6 and 3.0 documents → a Design, plus what the document leaves unsaid.

    doc = io.read_document(path)
    if is_asyncapi(doc.data):
        imp = import_asyncapi(doc.data, doc.source, Path(path).parent)
        # imp.design, imp.design_source (design pointers → document lines), imp.schema_findings, imp.notes,
        # imp.summary()

See docs/asyncapi.md for the mapping, the finding codes and the limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archassist.agent.asyncapi.codes import CODES, NOT_DECLARED, RULE_OVERLAP, Code
from archassist.agent.errors import InputError
from archassist.agent.model.design import Design
from archassist.agent.model.findings import Finding
from archassist.agent.model.io import SourceMap, pointer_of, read_document

if TYPE_CHECKING:
    from archassist.agent.asyncapi.mqtt import MqttView

__all__ = [
    "CODES",
    "RULE_OVERLAP",
    "AsyncApiImport",
    "Code",
    "UnsaidSummary",
    "import_asyncapi",
    "import_asyncapi_file",
    "is_asyncapi",
]

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?")


def is_asyncapi(data: object) -> bool:
    """Whether parsed YAML/JSON data is an AsyncAPI document: a mapping with an `asyncapi` version."""
    if not isinstance(data, dict):
        return False
    version = data.get("asyncapi")
    # A version written without quotes (asyncapi: 2.6) is still an AsyncAPI document, with a schema violation.
    return isinstance(version, str) or (isinstance(version, int | float) and not isinstance(version, bool))


@dataclass(frozen=True)
class UnsaidSummary:
    """How much the document leaves unsaid, by kind: kind name → number of design parts concerned."""

    counts: dict[str, int]
    schema_violations: int = 0
    limitations: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "not_declared": dict(self.counts),
            "not_declared_total": self.total,
            "schema_violations": self.schema_violations,
            "limitations": self.limitations,
        }

    def lines(self) -> list[str]:
        labels = {c.name: c.label for c in NOT_DECLARED}
        codes = {c.name: c.code for c in NOT_DECLARED}
        return [
            f"{labels.get(name, name)}: {count} ({codes.get(name, '')})"
            for name, count in sorted(self.counts.items(), key=lambda kv: codes.get(kv[0], kv[0]))
        ]

    def __str__(self) -> str:
        head = (
            f"{self.schema_violations} schema violation{'s' if self.schema_violations != 1 else ''}; "
            if self.schema_violations
            else ""
        )
        if not self.counts:
            return head + "the document declares everything the importer looks for"
        parts = ", ".join(line.rsplit(" (", 1)[0] for line in self.lines())
        return f"{head}not declared by the document ({self.total} in all): {parts}"


@dataclass
class AsyncApiImport:
    """The result of importing one AsyncAPI document."""

    design: Design
    notes: list[Finding]
    schema_findings: list[Finding]
    source: SourceMap
    version: str
    design_source: SourceMap
    design_pointers: dict[str, str] = field(default_factory=dict)
    unsaid: dict[str, int] = field(default_factory=dict)
    # note kind → the design parts (/events/3, /topics/0, /events/3/fields/1, /envelope, …) it concerns, so that
    # rule findings which only restate the note can be dropped
    unsaid_items: dict[str, set[str]] = field(default_factory=dict)
    # design pointer → (a name the importer had to give a part the document leaves unnamed, the document's words)
    made_up_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # what the document declares for its MQTT channels (QoS, retain, sessions, topic levels), when it has any
    mqtt: MqttView | None = None

    @property
    def findings(self) -> list[Finding]:
        return [*self.schema_findings, *self.notes]

    def reconcile(self, rule_findings: list[Finding]) -> list[Finding]:
        """The rule findings on the imported design, less those that only restate a "not declared" fact, told in
        the document's terms: pointers into the document, channels, operations and messages.

        A rule such as "consumer has no dead-letter topic" fires on every imported consumer because AsyncAPI
        cannot say it; the importer's info note already reports that, so the rule's error would be noise. Rule
        findings about what the document does say (a declared replication factor of 1, say) are all kept. When a
        `$ref` could not be read, "nothing uses this" findings are dropped: the unread part may be the user.
        """
        unread = any(n.code in UNREAD_REF_CODES for n in self.notes)
        # camelCase message ids are AsyncAPI's own habit: a name convention is a finding only when names mix them.
        one_convention = len({naming_convention(e.name) for e in self.design.events}) <= 1
        kept: list[Finding] = []
        for finding in rule_findings:
            if finding.code == "EDA104" and one_convention:
                continue
            if finding.code.startswith(NAMING_RULES) and self._made_up(finding.pointer):
                continue  # a name the document does not have cannot be badly chosen
            kinds = RULE_OVERLAP.get(finding.code, ())
            if kinds and self._covered(kinds, finding.pointer):
                continue
            if unread and finding.code in UNREAD_REF_RULES:
                continue
            kept.append(in_document_terms(finding, self.design_pointers, self.made_up_names.values()))
        return kept

    def _made_up(self, pointer: str) -> bool:
        return any(pointer == part or pointer.startswith(part + "/") for part in self.made_up_names)

    def _covered(self, kinds: tuple[str, ...], pointer: str) -> bool:
        ancestors = {pointer}
        probe = pointer
        while probe:
            probe = probe.rsplit("/", 1)[0]
            ancestors.add(probe)
        return any(not ancestors.isdisjoint(self.unsaid_items.get(kind, ())) for kind in kinds)

    def summary(self) -> UnsaidSummary:
        limitations = sum(1 for n in self.notes if CODES[n.code].group in ("limitation", "reference"))
        return UnsaidSummary(dict(self.unsaid), len(self.schema_findings), limitations)


# Rules that report something as unused or missing: a `$ref` that could not be read may hold what they miss.
_DOCUMENT_ROOTS = ("/asyncapi", "/channels", "/operations", "/components", "/servers", "/info", "/id")
UNREAD_REF_CODES = frozenset({"AAPI901", "AAPI902", "AAPI903"})
UNREAD_REF_RULES = frozenset({"EDA921", "EDA923", "EDA924", "EDA926"})
NAMING_RULES = "EDA1"  # the naming group: they judge names, so they say nothing about one the document lacks
_DESIGN_WORDS = ((re.compile(r"\bevent '"), "message '"), (re.compile(r"\bevent name '"), "message name '"), (re.compile(r"\btopic '"), "channel '"),
                 (re.compile(r"\bconsumer '"), "operation '"), (re.compile(r"\bevents '"), "messages '"))


def naming_convention(name: str) -> str:
    """pascal, camel (one lowercase word counts as camel), snake, kebab, dotted or mixed."""
    if re.fullmatch(r"[A-Z][A-Za-z0-9]*", name):
        return "pascal"
    if re.fullmatch(r"[a-z][A-Za-z0-9]*", name):
        return "camel"
    for convention, pattern in (("snake", r"[a-z0-9]+(_[a-z0-9]+)+"), ("kebab", r"[a-z0-9]+(-[a-z0-9]+)+"),
                                ("dotted", r"[A-Za-z0-9]+(\.[A-Za-z0-9]+)+")):
        if re.fullmatch(pattern, name):
            return convention
    return "mixed"


def document_pointer(design_pointer: str, pointers: dict[str, str]) -> str:
    """The place in the AsyncAPI document a Design pointer came from: its own anchor, else its nearest parent's."""
    probe = design_pointer
    while True:
        found = pointers.get(probe)
        if found is not None:
            return found
        if not probe:
            return ""
        probe = probe.rsplit("/", 1)[0]


def in_document_terms(
    finding: Finding, pointers: dict[str, str], made_up: Iterable[tuple[str, str]] = ()
) -> Finding:
    """A finding on the imported Design, pointing into the document and worded in AsyncAPI's terms: a part the
    document leaves unnamed is referred to as the document places it, never by the name the importer gave it."""
    message = finding.message
    for pattern, word in _DESIGN_WORDS:
        message = pattern.sub(word, message)
    fix = finding.fix
    for name, words in made_up:
        quoted = re.compile(rf"(?:\b(?:message|event|operation|consumer) )?'{re.escape(name)}'")
        message = quoted.sub(words, message)
        fix = quoted.sub(words, fix)
    finding.message, finding.fix = message, fix
    finding.pointer = document_pointer(finding.pointer, pointers)
    return finding


def _where(source: SourceMap, pointer: str) -> str:
    pos = source.locate(pointer)
    return f"{source.file}:{pos[0]}:{pos[1]}" if pos else source.file


def _version(data: dict[str, Any], source: SourceMap) -> tuple[str, int]:
    raw = data.get("asyncapi")
    text = raw if isinstance(raw, str) else str(raw)
    match = _VERSION.match(text)
    if isinstance(raw, bool) or raw is None or not match:
        raise InputError(
            f"{_where(source, '/asyncapi')}: asyncapi: {raw!r} is not an AsyncAPI version; "
            "write the version as a string, e.g. asyncapi: '3.0.0'"
        )
    major = int(match[1])
    if major not in (2, 3):
        hint = (
            "convert it to 2.6 or 3.0 first (e.g. with the AsyncAPI CLI: asyncapi convert)"
            if major < 2
            else "archassist reads AsyncAPI 2.0–2.6 and 3.x"
        )
        raise InputError(f"{_where(source, '/asyncapi')}: AsyncAPI {text} is not supported; {hint}")
    return text.strip(), major


def _schema_findings(
    data: dict[str, Any], version: str, source: SourceMap, schema_dir: Path | None
) -> tuple[list[Finding], list[Finding]]:
    """(AAPI001 errors, notes about how the document was or was not validated)."""
    from archassist.agent.asyncapi import validate

    dirs = [schema_dir] if schema_dir is not None else validate.default_schema_dirs()

    def note(code: str, message: str) -> Finding:
        spec = CODES[code]
        pos = source.locate("/asyncapi")
        return Finding(code, spec.name, spec.severity, message, "/asyncapi", spec.fix, source.file,
                       pos[0] if pos else None, pos[1] if pos else None)

    choice = validate.choose_schema(version, dirs)
    if choice is None:
        have = sorted({v for d in dirs for v in validate.available_schemas(d)})
        if have:
            listed = ", ".join(".".join(map(str, v)) for v in have)
            why = f"none of the available official schemas ({listed}) fits AsyncAPI {version}"
        else:
            searched = ", ".join(str(d) for d in dirs)
            why = f"no official AsyncAPI JSON Schema was found (looked in {searched})"
        return [], [
            note(
                "AAPI905",
                f"not validated: {why}; set {validate.SCHEMA_DIR_ENV} to a folder with the bundled schemas",
            )
        ]
    notes: list[Finding] = []
    approx = ""
    if not choice.exact:
        approx = f" (checked with the nearest available schema, {choice.version}, for a {version} document)"
        notes.append(
            note(
                "AAPI904",
                f"validated with the official AsyncAPI {choice.version} schema, the nearest available for {version}",
            )
        )
    try:
        checked = validate.to_json_like(data)
        if not choice.exact and isinstance(checked.get("asyncapi"), str):
            # The newer schema accepts only its own version string; everything else it checks still applies.
            checked["asyncapi"] = choice.version
        found = validate.violations(choice.path, checked)
    except RecursionError:
        return [], [*notes, note("AAPI905", "not validated: the document nests too deeply to check")]
    except (OSError, ValueError, LookupError) as exc:
        return [], [*notes, note("AAPI905", f"not validated: the schema {choice.path} cannot be used ({exc})")]
    spec = CODES["AAPI001"]
    errors: list[Finding] = []
    for violation in found:
        pointer = pointer_of(violation.path)
        pos = source.locate(pointer)
        errors.append(
            Finding(
                code="AAPI001",
                name=spec.name,
                severity=spec.severity,
                message=f"violates the official AsyncAPI {choice.version} JSON Schema: {violation.message}{approx}",
                pointer=pointer,
                fix=spec.fix,
                file=source.file,
                line=pos[0] if pos else None,
                column=pos[1] if pos else None,
            )
        )
    return errors, notes


def import_asyncapi(
    data: Any,
    source: SourceMap,
    base_dir: Path,
    *,
    ref_root: Path | None = None,
    schema_dir: Path | None = None,
) -> AsyncApiImport:
    """Map a parsed AsyncAPI document onto a Design.

    `base_dir` is the document's folder: relative `$ref`s resolve from it, and files outside `ref_root`
    (default: `base_dir`) are never read. `schema_dir` holds the official JSON Schemas (default: the
    ARCHASSIST_ASYNCAPI_SCHEMAS folder). Raises InputError (one line) only when the data is not an AsyncAPI
    2.x/3.x document at all; everything else becomes findings.
    """
    from archassist.agent.asyncapi.importer import Mapper, _Note, design_source_map, finalize_notes
    from archassist.agent.asyncapi.lint import document_hygiene
    from archassist.agent.asyncapi.mqtt import read_mqtt
    from archassist.agent.asyncapi.refs import Resolver

    if not is_asyncapi(data):
        raise InputError(
            f"{source.file}:1:1: not an AsyncAPI document (no top-level 'asyncapi' version); "
            "expected e.g. asyncapi: '3.0.0'"
        )
    version, major = _version(data, source)
    schema_errors, schema_notes = _schema_findings(data, version, source, schema_dir)
    resolver = Resolver(main=data, base_dir=base_dir, root=ref_root or base_dir, main_label=Path(source.file).name)
    mapper = Mapper(data, resolver, major, version, Path(source.file).name)
    try:
        result = mapper.run()
    except RecursionError:
        raise InputError(f"{source.file}: the document nests too deeply to import") from None
    notes = list(result.notes)
    mqtt = read_mqtt(mapper)
    for problem in resolver.problems:
        notes.append(_Note(problem.code, problem.ref, "", problem.message, problem.anchor))
    for code, message, doc_pointer in document_hygiene(data):
        notes.append(_Note(code, doc_pointer, "", message, doc_pointer))
    design_source, pointers = design_source_map(result.anchors, source)
    findings, unsaid = finalize_notes(notes, result.design, source, design_source)
    for finding in findings:
        if not finding.pointer.startswith(_DOCUMENT_ROOTS):
            finding.pointer = document_pointer(finding.pointer, pointers)
        finding.places = [
            place if place.pointer.startswith(_DOCUMENT_ROOTS)
            else replace(place, pointer=document_pointer(place.pointer, pointers))
            for place in finding.places
        ]
    return AsyncApiImport(
        design=result.design,
        notes=[*schema_notes, *findings],
        schema_findings=schema_errors,
        source=source,
        version=version,
        design_source=design_source,
        design_pointers=pointers,
        unsaid=unsaid,
        unsaid_items=result.unsaid_items,
        made_up_names=result.made_up_names,
        mqtt=mqtt,
    )


def import_asyncapi_file(
    path: str | Path, *, ref_root: Path | None = None, schema_dir: Path | None = None
) -> AsyncApiImport:
    """Read an AsyncAPI YAML/JSON file and import it; InputError (one line) for unreadable or non-AsyncAPI files."""
    doc = read_document(path)
    if not is_asyncapi(doc.data):
        raise InputError(
            f"{path}: not an AsyncAPI document (no top-level 'asyncapi' version); "
            "give an AsyncAPI 2.x or 3.0 file"
        )
    return import_asyncapi(doc.data, doc.source, Path(path).parent, ref_root=ref_root, schema_dir=schema_dir)
