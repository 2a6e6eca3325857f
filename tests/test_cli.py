"""The ``tracker`` command line as a user meets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cli_runs import tracker

COMMANDS = ["worker", "demo", "simulate", "replay", "forget", "customers", "customer", "segments", "evaluate", "offers", "bench", "settings", "schema"]


#: The header of UCI's Online Shoppers Intention data set (one row per session).
UCI_HEADER = ("Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
              "ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues", "SpecialDay",
              "Month", "OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType", "Weekend", "Revenue")


def fresh_tracker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The command as installed: a new interpreter running ``python -m streams.cli``."""
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    """`tracker COMMAND --help` explains the command and exits 0."""
    result = tracker(command, "--help")
    assert result.returncode == 0
    assert "usage: tracker " + command in result.stdout


def test_the_command_line_imports_no_heavy_library_before_it_parses():
    """`tracker --help` and usage errors answer at once: building the parser needs no river, scipy or Kafka client."""
    heavy = ("river", "scipy", "numpy", "pandas", "faust", "aiokafka", "kafka", "redis", "pydantic_settings")
    probe = (f"import sys; import streams.cli; streams.cli._parser(); "
             f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


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


def test_settings_shows_what_this_environment_runs_with(monkeypatch):
    """`tracker settings` shows each value in force, marks the ones the environment sets, and never a secret."""
    for name in [name for name in os.environ if name.startswith("TRACKER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TRACKER_BATCH_SIZE", "750")
    monkeypatch.setenv("TRACKER_REDIS_URL", "redis://:url-secret-1@cache:6379/0")
    monkeypatch.setenv("TRACKER_ADMIN_API_KEY", "admin-secret-2")
    listing = tracker("settings")
    assert listing.returncode == 0, listing.stderr
    rows = {line.split()[0]: line for line in listing.stdout.splitlines() if line.startswith("TRACKER_")}
    assert rows["TRACKER_BATCH_SIZE"].split()[1:3] == ["750", "*"]
    assert rows["TRACKER_REDIS_URL"].split()[1:3] == ["redis://:***@cache:6379/0", "*"]
    assert rows["TRACKER_ADMIN_API_KEY"].split()[1:3] == ["***", "*"]
    assert rows["TRACKER_APP_ID"].split()[1:3] == ["behaviour-tracker", "Kafka"]  # a default: no mark
    assert "url-secret-1" not in listing.stdout and "admin-secret-2" not in listing.stdout
    as_json = {row["variable"]: row for row in json.loads(tracker("settings", "--json").stdout)}
    assert as_json["TRACKER_BATCH_SIZE"] == {**as_json["TRACKER_BATCH_SIZE"], "value": "750", "set": True}
    assert as_json["TRACKER_BATCH_SIZE"]["default"] != "750"
    defaults = {line.split()[0]: line.split()[1] for line in tracker("settings", "--defaults").stdout.splitlines()
                if line.startswith("TRACKER_")}
    assert defaults["TRACKER_BATCH_SIZE"] == as_json["TRACKER_BATCH_SIZE"]["default"]


def test_output_read_by_a_reader_that_stops_early_ends_quietly():
    """`tracker settings --json | head -3`: the reader going away ends the command without a traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone: every write to the pipe now fails
    try:
        result = subprocess.run([sys.executable, "-m", "streams.cli", "settings", "--json"], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 141  # as a command stopped by SIGPIPE, so `set -o pipefail` sees it


@pytest.mark.parametrize("command", [
    ("customer", "c-1"), ("segments",), ("bench", "--suite", "stages"), ("bench", "--suite", "size"),
    ("bench", "--suite", "throughput", "--events", "1000"),
])
def test_a_command_without_redis_says_so_in_one_line(monkeypatch, command):
    """Redis out of reach stops a command with one line naming it, never a traceback."""
    monkeypatch.setenv("TRACKER_REDIS_URL", "redis://127.0.0.1:1/0")
    result = tracker(*command)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "redis://127.0.0.1:1/0" in result.stderr.strip().splitlines()[-1]


def test_simulate_prints_valid_events_as_json_lines():
    """`tracker simulate --json` writes events that the tracker's own schemas accept."""
    from streams.core.events import ANY_EVENT

    result = tracker("simulate", "--customers", "5", "--json")
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and lines
    assert all(ANY_EVENT.validate_json(line) for line in lines)


@pytest.mark.parametrize("fmt", ["events", "segment"])
def test_simulated_orders_are_in_the_shop_s_currency(monkeypatch, fmt):
    """With TRACKER_CURRENCY=USD the simulated shop's orders and checkouts say USD, not pounds."""
    monkeypatch.setenv("TRACKER_CURRENCY", "USD")
    result = tracker("simulate", "--customers", "40", "--format", fmt, "--json")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    stated = {str((r.get("properties") or r).get("currency")).upper() for r in records
              if (r.get("properties") or r).get("currency")}
    assert stated == {"USD"}, stated


def test_demo_shows_targeted_offers_then_the_answer_and_ends_by_itself_without_a_terminal():
    """The README's demo: history then live traffic on the embedded default; offers differ by who the customer is;
    then best and worst customers, segments, personas and the uplift; without a terminal it stops by itself."""
    import re

    result = fresh_tracker("demo", "--customers", "80", "--seed", "11", timeout=300)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "worker ready" in out and "replayed in event time" in out
    offers = re.findall(r"▸ (reminder|free shipping|\d+% off)\s+\S+\s+\S+.* rule (\w+)", out)
    assert len({incentive for incentive, _ in offers}) >= 2, out
    assert len({rule for _, rule in offers}) >= 3, out
    for heading in ("Who are my best and worst customers?", "Best (predicted value, next 90 days)",
                    "Worst: little to expect", "Worst: costly", "Segments (RFM)",
                    "Behavioural segments, learned online", "uplift"):
        assert heading in out, out
    assert "The page is up" not in out
    assert "stopped         worker, broker and redis" in out


def test_a_data_file_in_the_wrong_format_is_refused_with_its_line(tmp_path):
    """`tracker evaluate` names the file, line and column of what it cannot read."""
    data = tmp_path / "shoppers.csv"
    data.write_text("a,b\n1,2\n")
    result = tracker("evaluate", "intent", "--data", str(data), "--format", "uci")
    assert result.returncode == 2
    assert f"{data}, line 1, column 'Administrative': missing column" in result.stderr


def test_evaluate_intent_reads_a_clickstream_unless_the_header_is_ucis(tmp_path):
    """Without --format, a header that is not UCI's is read as a clickstream, and the command says so."""
    data = tmp_path / "clicks.csv"
    data.write_text("a,b\n1,2\n")
    result = tracker("evaluate", "intent", "--data", str(data))
    assert result.returncode == 2
    assert "format: clickstream (told by the file's first line; --format to choose)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"tracker evaluate: {data}")
    assert "Traceback" not in result.stderr
    assert tracker("evaluate", "intent", "--data", str(data), "--format", "uci", "--columns", "customer=a"
                   ).stderr.strip() == "tracker evaluate: --columns is for a clickstream, not UCI's sessions"


@pytest.mark.parametrize("model", ["intent", "loyalty", "value", "segments"])
def test_the_command_line_page_names_every_flag_and_format_of_each_evaluate_command(model):
    """docs/command-line.md's row of `tracker evaluate MODEL` shows every flag it takes, as --help spells it."""
    import argparse
    from pathlib import Path

    from streams.cli import _parser

    def subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
        (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return action.choices[name]

    parser = subparser(subparser(_parser(), "evaluate"), model)
    page = (Path(__file__).parents[1] / "docs" / "command-line.md").read_text()
    (row,) = [line for line in page.splitlines() if line.startswith(f"| `tracker evaluate {model} ")]
    usage = row.split("`")[1].replace("\\|", "|")
    for action in parser._actions:
        flag = action.option_strings[-1] if action.option_strings else None
        if flag in (None, "--help"):
            continue
        shown = f"{flag} {action.metavar}" if action.metavar else flag
        assert shown in usage, f"{shown} missing from {usage}"
        if action.choices:
            assert f"{flag} {'|'.join(action.choices)}" in usage, usage


def test_evaluate_intent_says_a_clickstream_s_bad_lines_as_replay_does(tmp_path):
    """A line the replay reports by number and reason was counted in --json only: the report said nothing of it."""
    data = tmp_path / "clicks.csv"
    rows = [f"2024-03-{1 + c % 20:02d} 10:{m:02d}:00,{event},p{c},9.50,c{c}"
            for c in range(40) for m, event in ((0, "view"), (1, "cart"), (2, "purchase"))[:3 if c % 3 else 2]]
    rows.insert(5, "yesterday,view,p1,9.50,c1")
    data.write_text("event_time,event_type,product_id,price,user_id\n" + "\n".join(rows) + "\n")
    result = tracker("evaluate", "intent", "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert "  line 7: " in result.stderr and "'yesterday'" in result.stderr
    assert "; 1 bad line(s) left out" in result.stdout.splitlines()[0]
    report = _strict_json(tracker("evaluate", "intent", "--data", str(data), "--json").stdout)
    assert (report["bad_lines"], [bad["line"] for bad in report["first_bad_lines"]]) == (1, [7])


def test_evaluate_intent_tells_ucis_header_whatever_its_delimiter(tmp_path):
    """UCI's sessions saved with semicolons (a spreadsheet in a European locale) are still UCI's."""
    data = tmp_path / "shoppers.csv"
    data.write_text(";".join(UCI_HEADER) + "\n")
    result = tracker("evaluate", "intent", "--data", str(data))
    assert "format: uci (told by the file's first line" in result.stderr, result.stderr


def test_replay_refuses_a_file_that_is_not_online_retail(tmp_path):
    """`tracker replay` checks the format before producing anything."""
    data = tmp_path / "retail.csv"
    data.write_text("Invoice,StockCode\n1,2\n")
    result = tracker("replay", str(data), "--format", "online-retail")
    assert result.returncode == 2
    assert "line 1" in result.stderr and "missing column" in result.stderr


@pytest.mark.parametrize(("how", "message"), [
    (("--format", "online-retail", "--columns", "customer=a"), "--columns is for --format csv"),
    (("--format", "csv"), "header 'a,b,c' names no customer and no date and no amount (or price) column: give --columns"),
    (("--format", "events", "--currency", "EUR"), "--currency is for purchase logs"),
    (("--format", "clickstream"), "header 'a,b,c' names no customer and no event column: give --columns"),
    (("--format", "segment", "--columns", "customer=a"), "--columns is for --format csv or clickstream"),
    (("--format", "ga4", "--columns", "customer=a"), "--columns is for --format csv or clickstream"),
    (("--format", "csv", "--columns", "customer=a,date=b,amount=c", "--currency", "euros"), "three-letter currency code"),
])
def test_replay_says_what_is_wrong_with_its_flags(tmp_path, how, message):
    data = tmp_path / "orders.csv"
    data.write_text("a,b,c\n1,2024-01-01,3\n")
    result = tracker("replay", str(data), *how)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("path", "message"), [
    ("missing.csv", "no such file: "), (".", " is a folder: give one file of it"),
    ("/dev/null", "/dev/null is not a regular file (a pipe or a device): save it to a file first"),
])
def test_a_data_path_that_is_no_file_is_named_for_what_it_is(tmp_path, path, message):
    """A missing file, a folder and a pipe or device are each refused in one line saying which."""
    result = tracker("evaluate", "value", "--data", str(tmp_path / path) if path != "/dev/null" else path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert message in result.stderr.strip().splitlines()[-1]


def test_a_policy_file_naming_an_unknown_segment_stops_the_worker(tmp_path, monkeypatch):
    """The worker refuses to start on a bad policy, naming the file and line."""
    policy = tmp_path / "policy.toml"
    policy.write_text('version = "x"\n[[rules]]\nname = "a"\nsegments = ["Champs"]\nincentive = "reminder"\n')
    monkeypatch.setenv("TRACKER_POLICY_FILE", str(policy))
    result = tracker("worker")
    assert result.returncode == 2
    assert f"{policy}, line 4: unknown segment 'Champs'" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--format", "csv"), "line 1: header 'who,when,total' names no customer and no date column: give --columns customer=…,date=…"),
    (("--format", "csv", "--columns", "customer=who,date=when"),
     "columns: expected customer=…,date=…,amount=…|price=…[,quantity=…][,order=…][,product=…][,status=…]"
     "[,refunded=…][,type=…][,date_order=dmy|mdy][,day_one=YYYY-MM-DD], missing 'amount' (or 'price')"),
    (("--format", "csv", "--columns", "customer=who,date=when,amount=paid"),
     "line 1, column 'paid': missing column"),
    (("--format", "cdnow", "--columns", "customer=who,date=when,amount=total"), "--columns is for --format csv"),
    (("--format", "csv", "--columns", "customer=who,date=when,amount=total", "--cutoff", "2031-01-01"),
     "the 90-day holdout after the cutoff 2031-01-01 runs to 2031-04-01, past the log's last day 2024-03-05"),
])
@pytest.mark.parametrize("model", ["value", "loyalty"])
def test_evaluate_value_and_loyalty_say_what_is_wrong_in_one_line(tmp_path, model, args, message):
    """Every problem with a purchase log or its flags is one line naming it, never a traceback."""
    data = tmp_path / "shop.csv"
    data.write_text("who,when,total\nc1,2024-01-05,10\nc2,2024-01-06,12\nc1,2024-03-05,11\n")
    result = tracker("evaluate", model, "--data", str(data), *args)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr


def test_evaluate_reads_a_csv_logs_columns_from_its_header_and_says_which(tmp_path):
    """Without --columns, the usual names of an orders export say which column is which; the report names them."""
    data = tmp_path / "orders.csv"
    rows = [f"o{i},c{i % 40}@example.com,2024-{1 + i % 9:02d}-{1 + i % 27:02d} 10:00,{10 + i % 50}.50"
            for i in range(240)]
    data.write_text("Order ID,Customer Email,Created at,Total (EUR)\n" + "\n".join(rows) + "\n")
    result = tracker("evaluate", "value", "--data", str(data), "--json")  # the format told by the file too
    assert result.returncode == 0, result.stderr
    assert "format: csv (told by the file's first line" in result.stderr
    report = json.loads(result.stdout)
    assert report["layout"] == ("CSV, columns read from its header: "
                                "customer=Customer Email,date=Created at,amount=Total (EUR),order=Order ID")
    assert report["transactions"] == 240


def test_evaluate_value_json_is_strict_json_when_no_customer_buys_in_the_holdout(tmp_path):
    """The figures the table prints as n/a (no ranking to score: nobody bought) were NaN tokens, which JSON has not."""
    data = tmp_path / "orders.csv"
    rows = [f"c{c},2023-{1 + (c + k) % 7:02d}-{1 + (3 * c + k) % 27:02d},{5 + (c * k) % 40}"
            for c in range(40) for k in range(4)]
    data.write_text("customer_id,order_date,amount\n" + "\n".join([*rows, "late,2023-11-27,10"]) + "\n")
    result = tracker("evaluate", "value", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    report = _strict_json(result.stdout)
    assert (report["customers"], report["holdout_buyers"]) == (40, 0)
    assert report["scores"]["learned value model"]["spearman"] is None


def test_evaluate_value_names_the_line_and_column_of_a_bad_value(tmp_path):
    """A date that is not a date is refused with its file, line and column."""
    data = tmp_path / "shop.csv"
    data.write_text("who,when,total\nc1,2024-01-05,10\nc2,someday,12\n")
    result = tracker("evaluate", "value", "--data", str(data), "--format", "csv",
                     "--columns", "customer=who,date=when,amount=total")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{data}, line 3, column 'when'" in result.stderr


def test_the_kind_of_worst_customers_is_for_the_worst_only():
    """`tracker customers best --kind costly` is refused before the store is read."""
    result = tracker("customers", "best", "--kind", "costly")
    assert result.returncode == 2
    assert "--kind costly is for `tracker customers worst`" in result.stderr


@pytest.fixture
def shop_store(monkeypatch):
    """A Redis of this test's own (the system's redis-server or the bundled one) holding three buyers."""
    import asyncio
    from datetime import datetime, timedelta, timezone

    from streams.core.state import CustomerState, Profile
    from streams.demo.embedded import free_port, redis_binary, stop_process, wait_for_port
    from streams.settings import Settings
    from streams.store import Change
    from streams.store.connect import open_store

    port = free_port()
    server = subprocess.Popen([redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    now = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)

    def buyer(orders: int, revenue: float, refunded: float = 0.0) -> Profile:
        last = now - timedelta(days=5)
        return Profile(first_seen=last - timedelta(days=200), last_seen=last, sessions=orders, orders=orders,
                       revenue=revenue, refunds=1 if refunded else 0, refunded=refunded,
                       first_order_at=last - timedelta(days=150), last_order_at=last, order_days=orders - 1,
                       gap_days_total=150.0, recent_events=((last, "order_placed", "o-9", 84.5),))

    async def fill() -> None:
        store = open_store(Settings(redis_url=url))
        try:
            await store.save([Change(CustomerState(cid, p), 0, None) for cid, p in (
                ("big", buyer(12, 2_400.0)), ("steady", buyer(4, 300.0)), ("refunder", buyer(2, 200.0, 150.0)))])
        finally:
            await store.close()

    try:
        wait_for_port(port, timeout=15, process=server)
        asyncio.run(fill())
        monkeypatch.setenv("TRACKER_REDIS_URL", url)
        monkeypatch.setenv("TRACKER_CLOCK", "event")
        yield url
    finally:
        stop_process(server)


@pytest.mark.parametrize("command", [("customers", "best"), ("customers", "worst", "--kind", "costly"),
                                     ("customer", "refunder"), ("segments",), ("personas",)])
def test_money_is_printed_in_the_shop_s_currency(shop_store, monkeypatch, command):
    """With TRACKER_CURRENCY=USD every amount the command prints is in dollars; pounds are the default."""
    monkeypatch.setenv("TRACKER_CURRENCY", "USD")
    dollars = tracker(*command)
    assert dollars.returncode == 0, dollars.stderr
    assert "$" in dollars.stdout and "£" not in dollars.stdout, dollars.stdout
    monkeypatch.delenv("TRACKER_CURRENCY")
    pounds = tracker(*command)
    assert pounds.returncode == 0, pounds.stderr
    assert "£" in pounds.stdout and "$" not in pounds.stdout, pounds.stdout


@pytest.mark.parametrize("order", ["best", "worst"])
def test_customers_json_names_the_currency_of_every_row(shop_store, monkeypatch, order):
    """`tracker customers --json` stays a bare list, and each row says which currency its money is in."""
    monkeypatch.setenv("TRACKER_CURRENCY", "USD")
    result = tracker("customers", order, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and rows
    assert all(row["currency"] == "USD" for row in rows), rows


@pytest.mark.parametrize("extra", [(), ("--json",), ("--learn-share", "1")])
def test_evaluate_segments_on_too_small_a_shop_says_so_in_one_line(extra):
    """Too few moments to form segments: one line saying so and what to try, exit 2, not '0 segments, ARI 1.000'."""
    result = tracker("evaluate", "segments", "--demo", "100", "--methods", "denstream,kmeans", *extra)
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("tracker evaluate: too few learning moments to form segments: of 100 moments"), line
    assert "more customers or a longer log" in line
    assert ("--learn-share 1" in line) == ("--learn-share" not in extra)


def test_evaluate_segments_on_a_tiny_purchase_log_says_so_in_one_line(tmp_path):
    """A real log of a few orders: the same one line, not an empty report."""
    log = tmp_path / "cdnow.txt"
    log.write_text("".join(f" {c:05d} {c:04d} 19970{m}0{d}  1   {10 + c}.50\n" for c in (1, 2, 3) for m, d in ((1, 2), (2, 5))))
    result = tracker("evaluate", "segments", "--data", str(log), "--format", "cdnow")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "too few learning moments to form segments: of 6 moments" in result.stderr


def _strict_json(text: str) -> object:
    """JSON as any parser reads it: NaN and Infinity, which Python writes and other parsers refuse, are errors."""
    def refused(token: str) -> object:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refused)


@pytest.mark.parametrize("how", [(), ("--format", "csv"), ("--columns", "customer=Customer Email,date=Created at,"
                                                                       "amount=Total")])
def test_evaluate_segments_reads_a_csv_log_as_evaluate_value_does(tmp_path, how):
    """Any CSV of orders, its columns named by the header or --columns, the format told by its first line: the
    segments refused all but CDNOW's and Online Retail's, and a --format."""
    data = tmp_path / "orders.csv"
    rows = [f"o{i},c{i % 60}@example.com,2024-{1 + i % 9:02d}-{1 + i % 27:02d} {8 + i % 12:02d}:00,{10 + i % 50}.50"
            for i in range(420)]
    data.write_text("Order ID,Customer Email,Created at,Total\n" + "\n".join(rows) + "\n")
    result = tracker("evaluate", "segments", "--data", str(data), *how, "--methods", "kmeans", "--learn-share", "1",
                     "--json")
    assert result.returncode == 0, result.stderr
    assert ("format: csv (told by the file's first line" in result.stderr) == ("--format" not in how)
    assert ("columns read from its header: customer=Customer Email" in result.stderr) == ("--columns" not in how)
    report = _strict_json(result.stdout)
    assert (report["customers"], report["moments"]) == (60, 420)


def test_evaluate_segments_flags_of_a_log_are_refused_with_the_demo():
    result = tracker("evaluate", "segments", "--demo", "100", "--format", "csv")
    assert (result.returncode, result.stderr.strip()) == (2, "tracker evaluate: --format is for --data, not --demo")


@pytest.mark.parametrize("command", [("customers", "best"), ("customer", "big")])
def test_a_store_without_checkpoints_is_read_without_the_models_libraries(shop_store, command):
    """`tracker customers` and `tracker customer` import river and scipy for a checkpoint to read or buyers
    enough to fit BG/NBD, and the worker not at all: three buyers and no model need none of them."""
    heavy = ("river", "scipy", "streams.worker")
    probe = (f"import sys, contextlib, io, streams.cli\n"
             f"with contextlib.redirect_stdout(io.StringIO()): code = streams.cli.main({list(command)!r})\n"
             f"print(code, *sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r} or m in {heavy!r}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0"], result.stdout


@pytest.mark.parametrize("command", [("customer", "big"), ("customers", "best"), ("segments",)])
def test_an_unreachable_store_is_said_in_one_line(monkeypatch, command):
    """No Redis where TRACKER_REDIS_URL points: one line naming the URL, exit 1, no traceback."""
    from streams.demo.embedded import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("TRACKER_REDIS_URL", url)
    result = tracker(*command)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"could not read profiles from {url}" in line, line


def test_reading_the_store_leaves_the_garbage_collector_on(shop_store):
    """The collector is off while a command reads the store, and on again after, whether it read or failed."""
    import gc

    from streams.cli.common import read_insights
    from streams.demo.embedded import free_port
    from streams.errors import TrackerError
    from streams.settings import Settings

    assert len(read_insights(Settings()).facts) == 3 and gc.isenabled()
    with pytest.raises(TrackerError):
        read_insights(Settings(redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    assert gc.isenabled()


def _clicks(path, time_of_day=""):
    """A clickstream of 40 customers' views, carts and purchases, dated to the day (``2024-03-01``) or timed."""
    rows = [f"2024-03-{1 + c % 20:02d}{time_of_day},{event},p{c},9.50,c{c}"
            for c in range(40) for event in ("view", "cart", "purchase")[:3 if c % 3 else 2]]
    path.write_text("event_time,event_type,product_id,price,user_id\n" + "\n".join(rows) + "\n")
    return path


def test_evaluate_intent_says_first_that_a_clickstream_of_dates_only_has_days_for_visits(tmp_path):
    """A time column of dates only puts every event at midnight: the report's first line warns that each visit is a
    customer's day; a timed clickstream's report says nothing of it."""
    result = tracker("evaluate", "intent", "--data", str(_clicks(tmp_path / "days.csv")))
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"warning: {tmp_path / 'days.csv'}: its times are dates only (no time of day)"), first
    assert "visits and abandonments cannot be told from a day's events" in first
    assert result.stdout.count("dates only") == 1
    report = _strict_json(tracker("evaluate", "intent", "--data", str(tmp_path / "days.csv"), "--json").stdout)
    assert report["dates_only"] is True
    timed = tracker("evaluate", "intent", "--data", str(_clicks(tmp_path / "timed.csv", " 10:00:00")))
    assert timed.returncode == 0 and "dates only" not in timed.stdout + timed.stderr


def test_replay_says_once_that_a_clickstream_of_dates_only_has_days_for_visits(tmp_path, monkeypatch):
    """`tracker replay` of a clickstream dated to the day warns once on stderr, before its summary."""
    from streams.replay import history
    from streams.settings import intake_of

    def read_only(path, fmt, settings, **options):  # the replay's reading and report, without a broker
        return history.read_history(path, fmt, intake_of(settings), columns=options.get("columns"))[1]

    monkeypatch.setattr(history, "replay_history", read_only)
    result = tracker("replay", str(_clicks(tmp_path / "days.csv")), "--format", "clickstream")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("its times are dates only") == 1, result.stderr
    assert f"warning: {tmp_path / 'days.csv'}: its times are dates only" in result.stderr
    timed = tracker("replay", str(_clicks(tmp_path / "timed.csv", " 10:00:00")), "--format", "clickstream")
    assert timed.returncode == 0 and "dates only" not in timed.stderr
