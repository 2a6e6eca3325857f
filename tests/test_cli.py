"""The ``tracker`` command line as a user meets it."""

from __future__ import annotations

import subprocess
import sys

import pytest

COMMANDS = ["worker", "demo", "simulate", "replay", "forget", "customers", "customer", "segments", "evaluate", "offers", "bench", "settings", "schema"]


def tracker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    """`tracker COMMAND --help` explains the command and exits 0."""
    result = tracker(command, "--help")
    assert result.returncode == 0
    assert "usage: tracker " + command in result.stdout


def test_bad_arguments_get_a_message_naming_the_problem():
    """A wrong value is refused with what was expected and what arrived."""
    result = tracker("demo", "--customers", "many")
    assert result.returncode == 2
    assert "expected a whole number, got 'many'" in result.stderr


def test_a_bad_setting_names_the_variable(monkeypatch):
    """An invalid TRACKER_* variable stops the command with the variable's name."""
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_SECONDS", "soon")
    result = tracker("worker")
    assert result.returncode == 2
    assert "TRACKER_SESSION_TIMEOUT_SECONDS='soon'" in result.stderr


def test_simulate_prints_valid_events_as_json_lines():
    """`tracker simulate --json` writes events that the tracker's own schemas accept."""
    from streams.core.events import ANY_EVENT

    result = tracker("simulate", "--customers", "5", "--json")
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines
    assert all(ANY_EVENT.validate_json(line) for line in lines)


def test_demo_shows_offer_triggers_on_the_embedded_default():
    """The README's demo command runs on Tansu and an embedded redis-server and prints triggers."""
    result = tracker("demo", "--customers", "12", "--seed", "11", timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "worker ready" in result.stdout
    assert "▸ offer trigger" in result.stdout
    assert "stopped         worker, broker and redis" in result.stdout


def test_a_data_file_in_the_wrong_format_is_refused_with_its_line(tmp_path):
    """`tracker evaluate` names the file, line and column of what it cannot read."""
    data = tmp_path / "shoppers.csv"
    data.write_text("a,b\n1,2\n")
    result = tracker("evaluate", "intent", "--data", str(data))
    assert result.returncode == 2
    assert f"{data}, line 1, column 'Administrative': missing column" in result.stderr


def test_replay_refuses_a_file_that_is_not_online_retail(tmp_path):
    """`tracker replay` checks the format before producing anything."""
    data = tmp_path / "retail.csv"
    data.write_text("Invoice,StockCode\n1,2\n")
    result = tracker("replay", str(data), "--format", "online-retail")
    assert result.returncode == 2
    assert "line 1" in result.stderr and "missing column" in result.stderr


def test_a_policy_file_naming_an_unknown_segment_stops_the_worker(tmp_path, monkeypatch):
    """The worker refuses to start on a bad policy, naming the file and line."""
    policy = tmp_path / "policy.toml"
    policy.write_text('version = "x"\n[[rules]]\nname = "a"\nsegments = ["Champs"]\nincentive = "reminder"\n')
    monkeypatch.setenv("TRACKER_POLICY_FILE", str(policy))
    result = tracker("worker")
    assert result.returncode == 2
    assert f"{policy}, line 4: unknown segment 'Champs'" in result.stderr
