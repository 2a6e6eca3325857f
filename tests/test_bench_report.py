"""The throughput table says what was measured, and says so when two workers could not be."""

from streams.bench.report import format_report

_RESULT = {
    "events": 1000, "customers": 200, "partitions": 4, "raw_per_second": 50_000, "naive_per_second": 500,
    "worker_per_second": 2_000, "worker_to_raw": 0.04, "worker_to_naive": 4.0, "target_per_second": 30_000,
    "worker_catch_up_seconds": 1.5, "worker_sustained_per_second": 1_800,
    "target_share_of_raw": 0.2, "latency": [], "latency_target_p99_seconds": 0.1,
    "two_workers_per_second": 3_000, "two_workers_to_one": 1.5, "two_workers_events_each": [480, 520],
    "customer_bytes_p50": 900, "customer_bytes_p99": 1_500, "profile_bytes_p50": 700,
}


def test_two_workers_are_reported_beside_one() -> None:
    table = format_report({"throughput": _RESULT})
    assert "(d) two tracker workers              3,000 events/s  (×1.5 of one; events each: [480, 520])" in table


def test_the_timer_work_left_after_the_backlog_is_reported_with_the_rate_it_leaves() -> None:
    table = format_report({"throughput": _RESULT})
    assert "its timer still worked 1.5 s once the backlog was read" in table
    assert "1,800 events/s from the first read to done" in table


def test_one_partition_says_two_workers_were_not_measured() -> None:
    result = {**_RESULT, "partitions": 1, "two_workers_per_second": None, "two_workers_to_one": None,
              "two_workers_events_each": None}
    assert "(d) two workers: not measured (one partition)" in format_report({"throughput": result})
