"""A replayed history's anonymous events are the customer's their visitor logs in as, in every format."""

from __future__ import annotations

import json

from streams.replay.history import read_history
from streams.settings import Settings, intake_of

SEGMENT = [
    {"type": "track", "event": "Product Viewed", "anonymousId": "anon-1", "messageId": "m1",
     "timestamp": "2024-03-01T10:00:00Z", "properties": {"product_id": "p1", "price": 10}},
    {"type": "track", "event": "Product Added", "anonymousId": "anon-1", "messageId": "m2",
     "timestamp": "2024-03-01T10:01:00Z", "properties": {"product_id": "p1", "price": 10}},
    {"type": "identify", "userId": "u-7", "anonymousId": "anon-1", "messageId": "m3",
     "timestamp": "2024-03-01T10:02:00Z"},
    {"type": "track", "event": "Product Viewed", "anonymousId": "anon-2", "messageId": "m4",
     "timestamp": "2024-03-01T10:03:00Z", "properties": {"product_id": "p2"}},
]


def test_a_segment_export_s_anonymous_cart_is_the_customer_s_who_logs_in(tmp_path):
    path = tmp_path / "segment.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in SEGMENT) + "\n")
    parsed, report = read_history(path, "segment", intake_of(Settings()))
    found = [json.loads(p.value) for p in parsed]
    assert [(e["type"], e["customer_id"]) for e in found] == [
        ("product_viewed", "u-7"), ("cart_item_added", "u-7"), ("customer_identified", "u-7"),
        ("product_viewed", "anon-2")]
    assert [p.customer_id for p in parsed] == ["u-7", "u-7", "u-7", "anon-2"]  # the key: the customer's partition
    assert found[2]["anonymous_id"] == "anon-1" and report.customers == 2


def test_a_parquet_table_that_is_no_warehouse_table_is_refused_naming_the_format_that_reads_it(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pytest

    from models.errors import DataFileError

    pq.write_table(pa.table({"event": ["x"]}), tmp_path / "t.parquet")
    with pytest.raises(DataFileError, match="no warehouse table of calls .* --format clickstream"):
        read_history(tmp_path / "t.parquet", "segment", intake_of(Settings()))
