"""The HTML report: self-contained, the numbers of the stored run, charts that draw what they say, and (where
Chromium is installed) the page as a real browser renders it: a screenshot whose heatmap and bar colours are
counted, and the DOM holding the leaderboard table."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from archassist.agent.memory.store import open_store
from archassist.agent.model.io import save_design
from archassist.evals.base import CRITERIA
from archassist.evals.contestants.baseline import BaselineContestant
from archassist.evals.contestants.folder import FolderContestant
from archassist.evals.contestants.offline import OfflineContestant
from archassist.evals.report.charts import FAILED_COLOUR, HEAT_STEPS, contestant_colour, heat_colour
from archassist.evals.report.page import baseline_comparisons, render_report
from archassist.evals.runs.leaderboard import results, standings
from archassist.evals.runs.orchestrate import execute
from archassist.evals.runs.records import Cell, RunInfo
from archassist.evals.runs.store import RunStore
from archassist.evals.scenario import load_scenarios
from archassist.evals.scoring import default_scorers

from .conftest import require_external

PICK = "timed-auctions,profile-settings,ride-dispatch"
MISSING = "ride-dispatch"  # the dir: contestant has no design for it: a grey heatmap cell


class Run:
    def __init__(self, info: RunInfo, cells: list[Cell], html: str) -> None:
        self.info, self.cells, self.html = info, cells, html


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    work = tmp_path_factory.mktemp("report")
    scenarios = load_scenarios(PICK)
    folder = work / "designs"
    folder.mkdir()
    planner = OfflineContestant()
    for scenario in scenarios:
        if scenario.id != MISSING:
            save_design(planner.design(scenario), folder / f"{scenario.id}.yaml")
    contestants = [planner, BaselineContestant(), FolderContestant(folder, name="dir:designs")]
    with open_store(work / "runs.db") as memory:
        run_id = execute(memory, scenarios, contestants, default_scorers())
        runs = RunStore(memory)
        info, cells = runs.resolve(run_id), runs.cells(run_id)
    return Run(info, cells, render_report(info, cells))


class Page(HTMLParser):
    """What a reader of the page gets: the leaderboard rows, the heatmap cells' colours, every URL."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []
        self.heat: list[str] = []
        self.bars: list[str] = []
        self.urls: list[str] = []
        self.tags: Counter[str] = Counter()
        self._in_board = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags[tag] += 1
        if tag == "table" and values.get("id") == "leaderboard":
            self._in_board = True
        if tag == "tr" and self._in_board and values.get("data-contestant"):
            self.rows.append(values["data-contestant"] or "")
        if tag == "rect" and values.get("class") == "heat":
            self.heat.append(values.get("fill") or "")
        if tag == "rect" and values.get("class") == "bar":
            self.bars.append(values.get("fill") or "")
        for name in ("src", "href", "xlink:href", "action"):
            if values.get(name):
                self.urls.append(values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_board = False


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def test_the_page_is_self_contained(run: Run) -> None:
    page = parse(run.html)
    assert page.urls == [] and page.tags["script"] == 0 and page.tags["link"] == 0 and page.tags["img"] == 0
    # Only the SVG namespace names a web address, and a namespace is never fetched.
    body = run.html.split("<pre")[0].replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "url(" not in body and "@import" not in body and "http" not in body
    assert page.tags["svg"] >= 3 and page.tags["style"] == 1


def test_the_leaderboard_and_the_parameters_are_the_runs(run: Run) -> None:
    page = parse(run.html)
    board = standings(run.info, run.cells)
    assert page.rows == [s.contestant for s in board]
    for standing in board:
        assert f"{standing.total:.1f}" in run.html
    assert "<th>" + "</th><th>".join(["contestant", "total", *CRITERIA]) in run.html
    # The run parameters are printed as stored (every contestant's and scorer's params).
    pre = re.search(r'<pre id="parameters">(.*?)</pre>', run.html, re.S)
    assert pre is not None
    import html as html_lib
    import json

    assert json.loads(html_lib.unescape(pre.group(1))) == run.info.parameters


def test_the_heatmap_colours_each_cell_by_its_total_and_greys_a_failure(run: Run) -> None:
    page = parse(run.html)
    expected = Counter(
        FAILED_COLOUR if r["failures"] and r["epochs"] == len(r["failures"]) else heat_colour(r["total"])
        for r in results(run.info, run.cells)
    )
    assert Counter(page.heat) == expected
    assert expected[FAILED_COLOUR] == 1
    assert page.bars.count(contestant_colour(0)) == len(CRITERIA)


def test_the_intervals_against_the_baseline_are_drawn_and_tabled(run: Run) -> None:
    comparisons = baseline_comparisons(run.info, run.cells)
    assert [c.b for c in comparisons] == ["offline", "dir:designs"]
    for comparison in comparisons:
        assert f'<table class="compare" data-contestant="{comparison.b}">' in run.html
        total = comparison.delta("total")
        assert total is not None and f"[{total.low:+.1f}, {total.high:+.1f}]" in run.html


def test_on_the_shipped_scenarios_the_planner_beats_the_baseline_on_every_criterion(tmp_path: Path) -> None:
    scenarios = load_scenarios()
    assert len(scenarios) >= 30
    with open_store(tmp_path / "runs.db") as memory:
        run_id = execute(memory, scenarios, [OfflineContestant(), BaselineContestant()], default_scorers())
        runs = RunStore(memory)
        info, cells = runs.resolve(run_id), runs.cells(run_id)
    (comparison,) = baseline_comparisons(info, cells)
    assert {d.criterion for d in comparison.deltas} == {*CRITERIA, "total"}
    for delta in comparison.deltas:
        # The whole 95 % interval of the paired difference is above zero: better, and the report says by how much.
        assert delta.low > 0, f"{delta.criterion}: {delta}"
    assert "Against the baseline" in render_report(info, cells)


# ---- in a real browser ---------------------------------------------------------------------------------------

WINDOW = (1280, 2400)


def chromium() -> str:
    found = (
        os.environ.get("ARCHASSIST_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        require_external("chromium", "Chromium is not installed (Debian: apt-get install chromium)")
    assert found is not None
    return found


def browse(page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on the page, isolated: a new profile, no network services, no GPU."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        argv = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            *mode,
            page.resolve().as_uri(),
        ]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


@pytest.mark.external
def test_chromium_renders_the_charts(run: Run, tmp_path: Path) -> None:
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(run.html, encoding="utf-8")
    shot = tmp_path / "report.png"
    browse(page, f"--screenshot={shot}")
    image = Image.open(shot).convert("RGB")
    assert image.size == WINDOW
    pixels = Counter(image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata())
    area = WINDOW[0] * WINDOW[1]
    white = pixels[(255, 255, 255)]
    assert area - white > 0.05 * area, "the page rendered (nearly) blank"
    cells = Counter(parse(run.html).heat)
    legend = 14 * 14
    cell_area = 62 * 20  # a heatmap cell less its 1 px border on each side
    for colour in (*(c for _, c in HEAT_STEPS), FAILED_COLOUR):
        seen = pixels[_rgb(colour)]
        if cells[colour]:
            # Each cell is solid colour but for its number: most of its area shows the colour.
            assert seen >= cells[colour] * cell_area * 0.6, (colour, seen, cells[colour])
        else:
            assert seen <= 2 * legend, (colour, seen)  # the legend's swatch only
    # The first contestant's bars: one per criterion, each its score's share of the axis.
    assert pixels[_rgb(contestant_colour(0))] > 2000


@pytest.mark.external
def test_chromium_dom_holds_the_leaderboard_table(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(run.html, encoding="utf-8")
    dom = browse(page, "--dump-dom").stdout
    parsed = parse(dom)
    assert parsed.rows == [s.contestant for s in standings(run.info, run.cells)]
    assert len(parsed.heat) == len(results(run.info, run.cells))
    assert 'id="leaderboard"' in dom and "Against the baseline" in dom
