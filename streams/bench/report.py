"""The benchmark report: one table per suite that ran."""

from __future__ import annotations



def format_report(results: dict[str, dict[str, object]]) -> str:
    """Human-readable tables of the suites that ran."""
    lines = []
    if "throughput" in results:
        lines += format_throughput(results["throughput"])
    if "live" in results:
        r = results["live"]
        lines += [
            f"live: {r['events']:,} events of {r['visitors']:,} visitors sent as they happened, "
            f"{r['steady_per_second']:,}/s once visits overlap ({r['offered_per_second']:,}/s on average), on the "
            f"wall clock (about {r['pace_seconds']} s between a visitor's events, visits over after "
            f"{r['session_timeout_seconds']} s of quiet, closed after {r['visits_closed_after_seconds']} s):",
            f"  worker CPU per event, first event to idle, less its idle {r['idle_core_share']} of a core: "
            f"{r['cpu_us_per_event']} µs, {r['events_per_second_on_one_core'] or 0:,} events/s on one core "
            f"(target ≥ {r['target_per_second']:,}/s); {r['core_share_while_offered']} of a core used while offered",
            f"  event→state p50 {r['p50_seconds']}s, p99 {r['p99_seconds']}s "
            f"(target ≤ {r['latency_target_p99_seconds']}s); {r['events_per_batch']} events per batch; "
            f"{r['visits_ended']:,} visits ended, {r['triggers']:,} triggers",
        ]
    if "triggers" in results:
        r = results["triggers"]
        lines += [
            f"triggers: {r['triggers']} of {r['pending']} pending abandonments fired, due over "
            f"{r['window_seconds']}s, timer every {r['timer_interval_seconds']}s",
            f"  delay from due time to broker ack: p50 {r['delay_p50_seconds']}s, "
            f"p99 {r['delay_p99_seconds']}s (target ≤ {r['target_p99_seconds']}s), max {r['delay_max_seconds']}s",
        ]
    if "stages" in results:
        r = results["stages"]
        by_stage = r["us_per_event_by_stage"]
        lines += [
            f"stages: {r['events']} simulated events through the tracker on Redis (batches of {r['batch_size']}), "
            "median of alternating runs:",
            f"  {r['us_per_event_without_models']} µs/event without the models, "
            f"{r['us_per_event_with_models']} µs/event with them (models {100 * r['models_share']:.0f} % of the "
            f"path; {r['sessions_learned']} sessions learned)",
            "  µs/event by stage: " + ", ".join(f"{name} {value}" for name, value in by_stage.items()),  # type: ignore[attr-defined]
        ]
        segments = r.get("segments_us_per_event") or {}
        if segments:
            lines.append(
                f"  behavioural segments (in models): learn {segments.get('learn', 0)} + place {segments.get('place', 0)}"
                f" µs/event ({r.get('behaviour_segments', 0)} segments found)"
            )
        if r.get("memory_bytes_per_cached_customer"):
            lines.append(f"  memory per customer kept in the worker: {r['memory_bytes_per_cached_customer']:,} B")
    if "size" in results and not results["size"]["customers"]:
        lines.append("size: no customers in Redis, nothing to measure")
    elif "size" in results:
        r = results["size"]
        lines += [
            f"size: {r['customers']} customers in Redis",
            f"  profile key: p50 {r['profile_bytes_p50']} B, p99 {r['profile_bytes_p99']} B, max "
            f"{r['profile_bytes_max']} B (target ≤ {r['target_bytes']} B)",
            f"  all keys of a customer (profile, session, dedupe marks, outbox): p50 {r['customer_bytes_p50']} B, "
            f"p99 {r['customer_bytes_p99']} B",
        ]
    if "scale" in results:
        r = results["scale"]
        lines.append(f"scale: µs/event of the tracker (no models, {r['events']} events) by customers in Redis, "
                     "median of rounds:")
        for row in r["sizes"]:  # type: ignore[attr-defined]
            lines.append(f"  {row['customers']:>10,} customers  {row['us_per_event']:>8} µs/event  "
                         f"×{row['ratio_to_smallest']} of the smallest  (Redis {row['redis_used_memory_mb']} MB)")
    if "lookup" in results:
        r = results["lookup"]
        lines.append(f"due lookup (ZRANGEBYSCORE … LIMIT {r['limit']}), median of {r['samples']}:")
        for row in r["sizes"]:  # type: ignore[attr-defined]
            lines.append(f"  {row['size']:>10,} pending  {row['lookup_us_p50']:>8} µs  "
                         f"×{row['ratio_to_smallest']} of the smallest")
    return "\n".join(lines)


def format_throughput(r: dict[str, object]) -> list[str]:
    return [
        f"throughput: {r['events']:,} simulated events ({r['customers']:,} customers) on {r['partitions']} "
        f"partitions × 2 topics, steady rate between 10 % and 90 % of the backlog:",
        f"  (a) raw aiokafka + JSON decode   {r['raw_per_second']:>9,} events/s",
        f"  (b) naive Faust agent + Redis    {r['naive_per_second']:>9,} events/s",
        f"  (c) tracker worker               {r['worker_per_second']:>9,} events/s  "
        f"(target ≥ {r['target_per_second']:,}/s)",
        f"  (c)/(a) {r['worker_to_raw']:.3f} (target ≥ {r['target_share_of_raw']})   (c)/(b) {r['worker_to_naive']}×",
        f"      its timer still worked {r['worker_catch_up_seconds']} s once the backlog was read (closing the "
        f"visits it ended): {r['worker_sustained_per_second']:,} events/s from the first read to done",
        *([f"  (d) two tracker workers          {r['two_workers_per_second']:>9,} events/s  "
           f"(×{r['two_workers_to_one']} of one; events each: {r['two_workers_events_each']})"]
          if r.get("two_workers_per_second") else ["  (d) two workers: not measured (one partition)"]),
        *(f"  at {row['offered_per_second']:,} events/s offered: event→state p50 {row['p50_seconds']}s, "
          f"p99 {row['p99_seconds']}s (target ≤ {r['latency_target_p99_seconds']}s) over {row['events']:,} events; "
          f"{row['behind_when_offering_stopped']:,} not yet handled when the offering stopped"
          for row in r["latency"]),  # type: ignore[attr-defined]
        f"  Redis per customer after the run: p50 {r['customer_bytes_p50']} B, p99 {r['customer_bytes_p99']} B "
        f"(profile key p50 {r['profile_bytes_p50']} B)",
    ]
