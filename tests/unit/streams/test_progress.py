"""Progress of a long command on stderr: in place on a terminal, a line now and then in a log, nothing for a short run."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from streams.cli.progress import Reporter
from streams.replay import history
from streams.settings import Settings, intake_of


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _clock(*moments: float):
    return iter(moments).__next__


def test_a_short_run_written_to_a_log_says_nothing() -> None:
    """Under ten seconds, counts and stages write nothing to a pipe or file: scripts reading stderr see no change."""
    out = io.StringIO()
    reporter = Reporter("value", out, clock=_clock(0.0, 2.0, 5.0, 9.0))
    reporter.count(500, 1000)
    reporter.count(1000, 1000)
    reporter.stage("learned")
    assert out.getvalue() == ""


def test_a_long_run_written_to_a_log_says_where_it_is_every_ten_seconds() -> None:
    """A line per ten seconds at most (not per count), lines read with no total, and the end once lines were written."""
    out = io.StringIO()
    reporter = Reporter("intent", out, clock=_clock(0.0, 11.0, 12.0, 25.0, 26.0))
    reporter.lines(50_000)
    reporter.lines(100_000)
    reporter.count(10, 20)
    reporter.count(20, 20)
    assert out.getvalue().splitlines() == [
        "  intent: read 50,000 lines, 11 s",
        "  intent: 10/20 (50 %), 25 s",
        "  intent: 20/20 (100 %), 26 s",
    ]


def test_on_a_terminal_the_count_is_rewritten_in_place_and_cleared_at_the_end() -> None:
    """Every count rewrites one line (no newline), with its rate; the end clears it."""
    out = _Terminal()
    reporter = Reporter("replay", out, unit="events", clock=_clock(0.0, 1.0, 2.0))
    reporter.count(5000, 10_000)
    reporter.count(10_000, 10_000)
    assert out.getvalue() == ("\r  replay: 5,000/10,000 events (50 %), 5,000/s\x1b[K"
                              "\r  replay: 10,000/10,000 events (100 %), 5,000/s\x1b[K\r\x1b[K")


def test_reading_a_history_tells_how_many_lines_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_history calls ``reading`` each time another READ_EVERY lines are read."""
    monkeypatch.setattr(history, "READ_EVERY", 2)
    path = tmp_path / "clicks.csv"
    path.write_text("event_time,event_type,product_id,price,user_id\n"
                    + "".join(f"2019-10-01 00:00:{n:02d} UTC,view,p{n},1.5,u{n % 2}\n" for n in range(5)))
    told: list[int] = []
    history.read_history(path, "clickstream", intake_of(Settings()), reading=told.append)
    assert told == [2, 4, 6]


def test_evaluate_values_bootstrap_reports_its_resamples_as_a_step_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The bootstrap after the replay (minutes on a big log) is counted in resamples on stderr, as the replay is."""
    from models import value_evaluation
    from streams.cli import main, progress

    def evaluate(*_: object, progress: object, bootstrap_progress: object, **__: object) -> dict[str, object]:
        assert callable(progress) and callable(bootstrap_progress)
        for done in (0, 500, 1000):
            bootstrap_progress(done, 1000)
        return {}

    monkeypatch.setattr(progress, "EVERY_SECONDS", 0.0)  # every count a line, as after minutes
    monkeypatch.setattr(value_evaluation, "evaluate_value", evaluate)
    monkeypatch.setattr(value_evaluation, "format_value_report", lambda result: "report")
    (tmp_path / "orders.csv").write_text("customer,date,amount\n7,2024-03-01,10\n")
    assert main(["evaluate", "value", "--data", str(tmp_path / "orders.csv"), "--format", "csv"]) == 0
    said = [line.strip().rsplit(",", 1)[0] for line in capsys.readouterr().err.splitlines()
            if line.strip().startswith("value bootstrap:")]
    assert said == [f"value bootstrap: {done}/1,000 resamples ({share} %)"
                    for done, share in (("0", 0), ("500", 50), ("1,000", 100))]


def test_the_bootstrap_says_each_resample_drawn() -> None:
    """bootstrap_differences calls progress before the first resample and after each, its result unchanged."""
    import numpy as np

    from models.value_metrics import bootstrap_differences

    rng = np.random.default_rng(1)
    actual = rng.gamma(0.5, 10.0, 50)
    told: list[tuple[int, int]] = []
    with_progress = bootstrap_differences(actual, actual, {"same": actual[::-1]}, n=5, seed=2,
                                          progress=lambda done, total: told.append((done, total)))
    assert told == [(n, 5) for n in range(6)]
    assert with_progress == bootstrap_differences(actual, actual, {"same": actual[::-1]}, n=5, seed=2)
