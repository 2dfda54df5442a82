"""Review mode: load design (or AsyncAPI) files, run the rules engine, and format the findings.

Everything here is a plain function so the CLI, the MCP server and tests share one implementation:

- :func:`load_config` finds `[tool.archassist]` in `.archassist.toml` or `pyproject.toml`, walking up;
- :func:`review_paths` reviews files, folders and stdin and returns a :class:`ReviewReport`; an input that cannot
  be reviewed is a finding of that input (code EDA000), not the end of the run;
- :func:`render` turns a report into text, JSON, SARIF or GitHub workflow commands (structures documented in
  docs/rules.md, "Review output").
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from archassist.agent.__about__ import __version__
from archassist.agent.errors import InputError
from archassist.agent.model.findings import SEVERITY_ORDER, Finding
from archassist.agent.model.io import (
    MAX_INPUT_BYTES,
    ParsedDocument,
    SourceMap,
    design_from_document,
    parse_document,
    read_document,
)
from archassist.agent.modes.review_inputs import (
    UNREADABLE,
    ReviewInput,
    collect_inputs,
    looks_reviewable,
    read_stdin,
    unreadable_finding,
)
from archassist.agent.rules import get_rule
from archassist.agent.rules.engine import (
    require_known_selectors,
    resolve_rules,
    resolve_severities,
    run,
    sort_findings,
    split_selectors,
    unknown_selectors,
)
from archassist.agent.rules.folding import fold_repeats

FailOn = Literal["error", "warning", "info", "never"]
FAIL_ON_LEVELS: tuple[str, ...] = ("error", "warning", "info", "never")
OUTPUT_FORMATS: tuple[str, ...] = ("text", "json", "sarif", "github")
CONFIG_KEYS: tuple[str, ...] = ("select", "ignore", "severity", "fail-on")
JSON_REPORT_VERSION = 1
_OUTSIDE_CODE = re.compile(r"^[A-Z]+\d+$")


# ---- configuration -------------------------------------------------------------------------------------------


@dataclass
class ReviewConfig:
    """Review settings from a configuration file; CLI options are merged on top by :func:`merge_options`."""

    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: FailOn = "error"
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}; fix the syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the configuration ({exc})") from None


def _config_table(path: Path) -> dict[str, Any] | None:
    data = _read_toml(path)
    tool = data.get("tool")
    table = tool.get("archassist") if isinstance(tool, dict) else None
    if isinstance(table, dict):
        return table
    if path.name == ".archassist.toml":
        return {k: v for k, v in data.items() if k != "tool"}
    return None


def find_config_file(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest `.archassist.toml`, or `pyproject.toml` with `[tool.archassist]`, from start upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in (".archassist.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file():
                table = _config_table(candidate)
                if table is not None:
                    return candidate, table
    return None


def _string_list(value: object, key: str, path: Path) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InputError(f'{path}: \'{key}\' must be a list of rule codes, e.g. {key} = ["EDA4", "EDA501"]')


def parse_fail_on(value: object, where: str) -> FailOn:
    text = str(value).strip().lower()
    if text not in FAIL_ON_LEVELS:
        raise InputError(f"{where}: fail-on is '{value}'; use one of {', '.join(FAIL_ON_LEVELS)}")
    return text  # type: ignore[return-value]


def config_from_table(table: Mapping[str, Any], path: Path) -> ReviewConfig:
    config = ReviewConfig(path=path)
    for key, value in table.items():
        normal = key.replace("_", "-")
        if normal == "select":
            config.select = _string_list(value, key, path)
        elif normal == "ignore":
            config.ignore = _string_list(value, key, path)
        elif normal == "severity":
            if not isinstance(value, dict):
                raise InputError(
                    f"{path}: 'severity' must be a table, e.g. severity = {{ EDA601 = \"error\" }}"
                )
            config.severity = {str(k): str(v) for k, v in value.items()}
        elif normal == "fail-on":
            config.fail_on = parse_fail_on(value, str(path))
        else:
            config.warnings.append(
                f"{path}: unknown key '{key}' in the archassist configuration; known keys: {', '.join(CONFIG_KEYS)}"
            )
    _require_known(config.select, f"'select' of {path}")
    _require_known(config.ignore, f"'ignore' of {path}")
    _require_known(config.severity, f"'severity' of {path}")
    return config


def load_config(start: Path | None = None) -> ReviewConfig:
    """The review configuration found from start (default: the current directory), or the defaults."""
    found = find_config_file(start)
    if found is None:
        return ReviewConfig()
    path, table = found
    return config_from_table(table, path)


@dataclass
class ReviewOptions:
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: FailOn = "error"
    ref_root: Path | None = None  # AsyncAPI: the folder relative $refs may reach (default: the document's)
    baseline: Path | None = None  # the deployed design: contract changes against it are checked (EDA209)
    baseline_design: Any = None  # the loaded baseline (a Design), read once per review


def merge_options(
    config: ReviewConfig,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    fail_on: str | None = None,
) -> ReviewOptions:
    """CLI options over the configuration.

    --select replaces the configured select and ignore lists (asking for a rule by name runs it); --ignore adds to
    the configured ignore list; --fail-on replaces the configured level.
    """
    _require_known(select, "--select")
    _require_known(ignore, "--ignore")
    configured_ignore = [] if select else config.ignore
    return ReviewOptions(
        select=list(select) if select else config.select,
        ignore=[*configured_ignore, *(ignore or ())],
        severity=dict(config.severity),
        fail_on=parse_fail_on(fail_on, "--fail-on") if fail_on else config.fail_on,
    )


# ---- reviewing -----------------------------------------------------------------------------------------------


ReviewKind = Literal["design", "asyncapi", "unreadable"]


@dataclass
class FileReview:
    path: str
    kind: ReviewKind
    design_name: str
    findings: list[Finding]
    suppressed: dict[str, int] = field(default_factory=dict)
    unused_suppressions: list[int] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # AsyncAPI: what the document does not declare

    def counts(self) -> dict[str, int]:
        return count_by_severity(self.findings)


@dataclass
class ReviewReport:
    files: list[FileReview]
    fail_on: FailOn = "error"
    warnings: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return sort_findings([f for item in self.files for f in item.findings])

    def counts(self) -> dict[str, int]:
        return count_by_severity(self.findings)

    @property
    def suppressed_total(self) -> int:
        return sum(sum(item.suppressed.values()) for item in self.files)

    @property
    def exit_code(self) -> int:
        """0 when nothing is at or above fail-on, 1 otherwise."""
        if self.fail_on == "never":
            return 0
        threshold = SEVERITY_ORDER[self.fail_on]
        return int(any(SEVERITY_ORDER[f.severity] <= threshold for item in self.files for f in item.findings))


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {level: counts.get(level, 0) for level in ("error", "warning", "info")}


def _looks_like_asyncapi(data: object) -> bool:
    return isinstance(data, dict) and "asyncapi" in data


def _import_asyncapi(path: Path, doc: Any, ref_root: Path | None) -> Any | None:
    """The AsyncAPI import of a document, or None when it is not an AsyncAPI document."""
    data = doc.data
    if not _looks_like_asyncapi(data):
        return None
    # Imported here so that reviewing a design file never loads the importer.
    from archassist.agent import asyncapi

    if not asyncapi.is_asyncapi(data):
        return None
    return asyncapi.import_asyncapi(data, doc.source, path.parent, ref_root=ref_root)


def _outside_options(findings: list[Finding], options: ReviewOptions) -> list[Finding]:
    """Apply --ignore / severity by exact code to findings that are not registry rules."""
    ignored = {code.upper() for code in split_selectors(options.ignore)}
    severities = {code.strip().upper(): level.strip().lower() for code, level in options.severity.items()}
    kept: list[Finding] = []
    for finding in findings:
        code = finding.code.upper()
        if code in ignored or severities.get(code) in ("off", "none", "ignore"):
            continue
        if severities.get(code) in ("error", "warning", "info"):
            finding.severity = severities[code]  # type: ignore[assignment]
        kept.append(finding)
    return kept


def _adjust_outside_findings(
    findings: list[Finding], source: SourceMap, options: ReviewOptions
) -> list[Finding]:
    """Place importer findings and apply --ignore / severity by exact code (they are not registry rules)."""
    kept = _outside_options(findings, options)
    for finding in kept:
        if finding.file is None:
            finding.file = source.file
            if finding.line is None:
                position = source.locate(finding.pointer)
                if position:
                    finding.line, finding.column = position
    return kept


def _require_known(selectors: Iterable[str] | None, where: str) -> None:
    """InputError for a selector that names nothing; the AsyncAPI code table loads only when a selector is
    not a registry rule, so reviewing designs never imports the importer's package."""
    if unknown_selectors(selectors):
        require_known_selectors(selectors, where, outside_codes())


def outside_codes() -> tuple[str, ...]:
    """The codes a review can report that are not registry rules: EDA000 and the AsyncAPI importer's."""
    from archassist.agent.asyncapi.codes import CODES
    from archassist.agent.rules.mqtt import MQTT_RULES

    return (UNREADABLE.code, *CODES, *(r.code for r in MQTT_RULES))


def is_outside_code(selector: str) -> bool:
    """A finding code that is not a rule of the registry: EDA000 (an unreadable input) or the AsyncAPI
    importer's AAPI001..."""
    text = selector.strip().upper()
    return text == UNREADABLE.code or (bool(_OUTSIDE_CODE.match(text)) and not text.startswith("EDA"))


def _engine_options(options: ReviewOptions) -> tuple[list[str] | None, list[str], dict[str, str]]:
    """The select, ignore and severity options for the rules engine: the registry's codes only."""
    select = None if options.select is None else split_selectors(options.select)
    ignore = [code for code in split_selectors(options.ignore) if not is_outside_code(code)]
    severity = {code: level for code, level in options.severity.items() if not is_outside_code(code)}
    if select:
        registry_select = [code for code in select if not is_outside_code(code)]
        if not registry_select:
            ignore = ["ALL"]  # only outside codes selected: no registry rule runs
        select = registry_select
    return select, ignore, severity


def review_file(path: str | Path, options: ReviewOptions | None = None) -> FileReview:
    """Review one design or AsyncAPI file. Raises InputError (one line) when the file cannot be used."""
    return review_document(read_document(path), path, options)


def review_document(doc: ParsedDocument, path: str | Path, options: ReviewOptions | None = None) -> FileReview:
    """Review a parsed design or AsyncAPI document read from path (relative $refs start at its folder)."""
    options = options or ReviewOptions()
    registry_select, registry_ignores, engine_severity = _engine_options(options)
    imported = _import_asyncapi(Path(path), doc, options.ref_root)
    if imported is None:
        loaded = design_from_document(doc)
        design, source, outside, notes = loaded.design, loaded.source, [], []
        kind: ReviewKind = "design"
    else:
        # Rule findings point into the imported design; its source map leads them back to document lines.
        design, source = imported.design, imported.design_source
        notes = _adjust_outside_findings(list(imported.notes), imported.source, options)
        outside = _adjust_outside_findings(list(imported.schema_findings), imported.source, options) + notes
        kind = "asyncapi"
    from archassist.agent.rules.contracts import review_baseline

    with review_baseline(options.baseline_design):
        result = run(
            design,
            select=registry_select,
            ignore=registry_ignores,
            severity_overrides=engine_severity,
            source=source,
        )
    # For an imported document, a rule that only restates a "not declared" note is noise, not a finding.
    rule_findings = imported.reconcile(result.findings) if imported is not None else result.findings
    if imported is not None and imported.mqtt is not None:
        protocol = _adjust_outside_findings(_mqtt_findings(imported.mqtt), imported.source, options)
        outside += protocol
        rule_findings = _without_covered(rule_findings, protocol)
    return FileReview(
        path=str(path),
        kind=kind,
        design_name=design.name,
        findings=fold_repeats(sort_findings(outside + rule_findings)),
        suppressed=result.suppressed,
        unused_suppressions=result.unused_suppressions,
        notes=notes,
    )


def _mqtt_findings(view: Any) -> list[Finding]:
    from archassist.agent.rules.mqtt import check_mqtt

    return check_mqtt(view)


def _without_covered(rule_findings: list[Finding], protocol: list[Finding]) -> list[Finding]:
    """The rule findings less those a protocol rule's finding on the same channel already says more precisely
    (EDA305's "not <domain>/<event>" where AAPI204 names the empty level)."""
    from archassist.agent.rules.mqtt import get_mqtt_rule

    covered: list[tuple[str, str]] = []
    for finding in protocol:
        found = get_mqtt_rule(finding.code)
        covered += [(code, finding.pointer) for code in (found.covers if found else ())]

    def is_covered(finding: Finding) -> bool:
        return any(
            finding.code == code and (pointer == finding.pointer or pointer.startswith(finding.pointer + "/"))
            for code, pointer in covered
        )

    return [f for f in rule_findings if not is_covered(f)]


def load_baseline(path: str | Path, ref_root: Path | None = None) -> Any:
    """The design to compare contracts with: a design file or an AsyncAPI document."""
    doc = read_document(path)
    imported = _import_asyncapi(Path(path), doc, ref_root)
    return imported.design if imported is not None else design_from_document(doc).design


def configuration_warnings(options: ReviewOptions) -> list[str]:
    """Warnings about unknown rule codes in the options, each with the nearest known code."""
    registry_select, registry_ignores, engine_severity = _engine_options(options)
    _, messages = resolve_rules(registry_select, registry_ignores)
    _, severity_messages = resolve_severities(engine_severity)
    return messages + severity_messages


def _read_input(item: ReviewInput) -> ParsedDocument:
    if item.stdin:
        return parse_document(read_stdin(MAX_INPUT_BYTES), item.path)
    return read_document(item.path)


def _unreadable(item: ReviewInput, error: InputError, options: ReviewOptions) -> FileReview:
    findings = _outside_options([unreadable_finding(item.path, error)], options)
    return FileReview(path=item.path, kind="unreadable", design_name="", findings=findings)


def review_input(item: ReviewInput, options: ReviewOptions) -> FileReview | None:
    """Review one input; None for a file found in a folder that is not a design (a CI workflow, say)."""
    try:
        doc = _read_input(item)
        if not item.explicit and not looks_reviewable(doc.data):
            return None
        # On stdin the path is <stdin>, so relative $refs start at the current directory.
        return review_document(doc, item.path, options)
    except InputError as exc:
        return _unreadable(item, exc, options)


def review_paths(paths: Sequence[str | Path], options: ReviewOptions | None = None) -> ReviewReport:
    """Review files, folders (every design and AsyncAPI document below them) and `-` (stdin).

    An input that cannot be read or loaded is reported as an EDA000 finding of that input and the others are
    still reviewed; only a run that would check nothing at all raises InputError.
    """
    options = options or ReviewOptions()
    if not paths:
        raise InputError("no files to review; give one or more design or AsyncAPI files, folders, or - for stdin")
    warnings = configuration_warnings(options)
    if options.baseline is not None and options.baseline_design is None:
        options.baseline_design = load_baseline(options.baseline, options.ref_root)
    inputs = collect_inputs(paths)
    files = [review for review in (review_input(item, options) for item in inputs) if review is not None]
    if not files:
        raise InputError(
            f"no design or AsyncAPI document in {', '.join(str(p) for p in paths)} "
            f"({len(inputs)} YAML/JSON file(s) found, none a design); give the design files themselves"
        )
    return ReviewReport(files=files, fail_on=options.fail_on, warnings=warnings)


# ---- output --------------------------------------------------------------------------------------------------

_SEVERITY_HEADINGS = {"error": "errors", "warning": "warnings", "info": "info"}
_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def location(finding: Finding) -> str:
    place = finding.file or "<design>"
    if finding.line is not None:
        place += f":{finding.line}:{finding.column or 1}"
    return place


def _plural(count: int, word: str) -> str:
    if word == "info":
        return f"{count} info"
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(report: ReviewReport) -> str:
    counts = report.counts()
    parts = [
        _plural(counts["error"], "error"),
        _plural(counts["warning"], "warning"),
        _plural(counts["info"], "info"),
    ]
    files = len(report.files)
    text = f"{', '.join(parts)} in {files} file{'' if files == 1 else 's'}"
    if report.suppressed_total:
        text += f" ({report.suppressed_total} suppressed by the design)"
    return text


def unsaid_summary(notes: Sequence[Finding]) -> list[str]:
    """What an AsyncAPI document leaves unsaid, one line per kind of "not declared" note, most frequent first."""
    from archassist.agent.asyncapi.codes import CODES

    labels = [
        code.label or code.name.replace("-", " ")
        for code in (CODES.get(note.code) for note in notes)
        if code is not None and code.group == "not-declared"
    ]
    grouped = Counter(labels)
    return [f"{label} ×{count}" if count > 1 else label for label, count in grouped.most_common()]


def render_text(report: ReviewReport, *, color: bool = False) -> str:
    """Findings grouped by severity, each with its place, code, message and fix, then a count summary.

    With color, the text carries rich markup (print it with a rich Console); without, it is plain.
    """

    def plain(text: str) -> str:
        if not color:
            return text
        from rich.markup import escape  # only for a terminal; piped output needs no rich

        return escape(text)

    def style(text: str, how: str) -> str:
        return f"[{how}]{plain(text)}[/]" if color else text

    lines: list[str] = []
    findings = report.findings
    for severity in ("error", "warning", "info"):
        group = [f for f in findings if f.severity == severity]
        if not group:
            continue
        if lines:
            lines.append("")
        lines.append(style(f"{_SEVERITY_HEADINGS[severity]} ({len(group)})", _SEVERITY_STYLES[severity]))
        for finding in group:
            pointer = f"  [{finding.pointer}]" if finding.pointer else ""
            lines.append(
                f"  {plain(location(finding))}  {style(finding.code, _SEVERITY_STYLES[severity])}  "
                f"{plain(finding.message)}{style(pointer, 'dim') if pointer else ''}"
            )
            if finding.fix:
                lines.append(f"      {style('fix:', 'green')} {plain(finding.fix)}")
    for item in report.files:
        unsaid = unsaid_summary(item.notes) if item.kind == "asyncapi" else []
        if unsaid:
            lines += ["", style(f"{item.path} leaves unsaid:", "bold")]
            lines += [f"  - {plain(entry)}" for entry in unsaid]
        for position in item.unused_suppressions:
            lines.append(plain(f"note: {item.path}: suppression /suppressions/{position} matched no finding"))
    if lines:
        lines.append("")
    lines.append(style(summary_line(report), "bold"))
    return "\n".join(lines) + "\n"


def _finding_data(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    found = get_rule(finding.code)
    data["group"] = found.group if found else None
    return data


def report_data(report: ReviewReport) -> dict[str, Any]:
    """The JSON report as plain data (see docs/rules.md, "Review output")."""
    counts = report.counts()
    return {
        "version": JSON_REPORT_VERSION,
        "tool": {"name": "archassist", "version": __version__},
        "fail_on": report.fail_on,
        "exit_code": report.exit_code,
        "summary": {"files": len(report.files), **counts, "suppressed": report.suppressed_total},
        "files": [
            {
                "path": item.path,
                "kind": item.kind,
                "design": item.design_name,
                "counts": item.counts(),
                "suppressed": item.suppressed,
                "unused_suppressions": item.unused_suppressions,
            }
            for item in report.files
        ],
        "findings": [_finding_data(f) for f in report.findings],
        "warnings": report.warnings,
    }


def render_json(report: ReviewReport) -> str:
    return json.dumps(report_data(report), indent=2, ensure_ascii=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(report: ReviewReport) -> str:
    """GitHub Actions workflow commands, one annotation per finding."""
    lines = []
    for finding in report.findings:
        props = [f"file={_escape_property(finding.file or '')}"]
        if finding.line is not None:
            props += [f"line={finding.line}", f"col={finding.column or 1}"]
        props.append(f"title={_escape_property(f'{finding.code} {finding.name}')}")
        message = finding.message + (f". Fix: {finding.fix}" if finding.fix else "")
        lines.append(f"::{_GITHUB_LEVELS[finding.severity]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def render_sarif(report: ReviewReport) -> str:
    from archassist.agent.render.sarif import sarif_log

    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"


def render(report: ReviewReport, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        return render_text(report, color=color)
    if fmt == "json":
        return render_json(report)
    if fmt == "sarif":
        return render_sarif(report)
    if fmt == "github":
        return render_github(report)
    raise InputError(f"unknown output format '{fmt}'; use one of {', '.join(OUTPUT_FORMATS)}")
