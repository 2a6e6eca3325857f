"""A clickstream kept as JSON objects, one per event, read as a table of dotted columns.

Product-analytics tools export their events that way: Mixpanel (``{"event": …, "properties":
{"distinct_id": …, "time": …}}``), Amplitude (``event_type``, ``user_id``, ``event_time``,
``event_properties``…), PostHog, Heap, Snowplow's JSON.  Each object is flattened: a nested
field is the column ``outer.inner`` (``properties.distinct_id``), a list is kept as its JSON
text, but for a list of one value, which is that value (Meta's ``"external_id": ["c-77"]``); the header is every column of the file in the order first seen.
A JSON:API document's references are completed with the resources it includes (:func:`with_included`: Klaviyo's
events name their metric only there).  The objects may be JSON
Lines, one JSON array or the one list of objects of a JSON document, plain, gzip, bzip2, xz or zipped
(Amplitude's export), as :mod:`streams.replay.json_records` reads them.  The clickstream reader
(:mod:`streams.replay.clickstream`) then maps and reads the columns as it does a CSV file's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.errors import DataFileError
from models.textfiles import CsvTable
from streams.core.problems import Problem
from streams.replay.json_records import json_records


def read_json_rows(path: str | Path, skipped: list[tuple[int, Problem]] | None = None) -> CsvTable:
    """Every object of the file (:func:`~streams.replay.json_records.json_records`) as a row of its flattened fields.

    A record that is not a JSON object goes to ``skipped`` (its line and problem) when it is
    given, else raises :class:`DataFileError` naming the line; a file without any object raises.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "export.jsonl")
    ...     with open(path, "w") as f:
    ...         _ = f.write('{"event": "Viewed", "properties": {"distinct_id": "u1", "time": 1602342600}}\\n\\n'
    ...                     '{"event": "Purchase", "properties": {"distinct_id": "u1", "items": [1, 2]}}\\n'
    ...                     '{"event": "Viewed", "prop\\n[1]\\n')
    ...     skipped = []
    ...     table = read_json_rows(path, skipped)
    >>> table.header
    ['event', 'properties.distinct_id', 'properties.time', 'properties.items']
    >>> table.rows
    [(1, ['Viewed', 'u1', '1602342600', '']), (3, ['Purchase', 'u1', '', '[1, 2]'])]
    >>> [(line, problem.reason) for line, problem in skipped]
    [(4, 'malformed_json'), (5, 'wrong_type')]
    """
    name = str(path)
    flat_rows: list[tuple[int, dict[str, str]]] = []
    columns: dict[str, None] = {}
    for number, line in json_records(path):
        record = _loaded(line)
        if isinstance(record, Problem):
            if skipped is None:
                raise DataFileError(name, number, "", record.detail) from None
            skipped.append((number, record))
            continue
        if not isinstance(record, dict):
            if skipped is None:
                raise DataFileError(name, number, "", "not a JSON object", expected="one object per line",
                                    found=json.dumps(record)[:80])
            skipped.append((number, Problem("wrong_type", f"expected one object per line, got {type(record).__name__}")))
            continue
        flat: dict[str, str] = {}
        _flatten(with_included(record), "", flat)
        columns.update(dict.fromkeys(flat))
        flat_rows.append((number, flat))
    if not flat_rows:
        raise DataFileError(name, 1, "", "empty file", expected="one JSON object per line", found="")
    header = list(columns)
    return CsvTable(path=name, header=header, rows=[(number, [flat.get(column, "") for column in header])
                                                    for number, flat in flat_rows])


def with_included(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON:API document with each relationship's resource as ``included`` gives it, ``included`` itself left out.

    A JSON:API response (Klaviyo's events API, a page per line) lists its resources in ``data`` and
    the resources they relate to once, in ``included``: an event names its metric only as
    ``relationships.metric.data: {"type": "metric", "id": …}``, the metric's ``name`` being in
    ``included``.  Each such reference gets the included resource's ``attributes`` beside its type
    and id (``relationships.metric.data.attributes.name``), so that every row holds what it refers
    to; a reference to a resource not included stays as it is.  Any other record is returned as it is.

    >>> doc = {"data": [{"type": "event", "id": "e1", "relationships": {
    ...     "metric": {"data": {"type": "metric", "id": "m1"}}, "profile": {"data": {"type": "profile", "id": "p1"}}}}],
    ...     "included": [{"type": "metric", "id": "m1", "attributes": {"name": "Placed Order"}}]}
    >>> with_included(doc)["data"][0]["relationships"]  # doctest: +NORMALIZE_WHITESPACE
    {'metric': {'data': {'type': 'metric', 'id': 'm1', 'attributes': {'name': 'Placed Order'}}},
     'profile': {'data': {'type': 'profile', 'id': 'p1'}}}
    >>> "included" in with_included(doc), with_included({"included": "yes"})
    (False, {'included': 'yes'})
    """
    included = record.get("included")
    data = record.get("data")
    if not isinstance(included, list) or not isinstance(data, (dict, list)):
        return record
    by_key = {(item.get("type"), item.get("id")): item.get("attributes") for item in included
              if isinstance(item, dict) and isinstance(item.get("attributes"), dict)}
    resources = [data] if isinstance(data, dict) else data
    return {**{key: value for key, value in record.items() if key not in ("data", "included")},
            "data": [_related(resource, by_key) if isinstance(resource, dict) else resource for resource in resources]
            if isinstance(data, list) else _related(data, by_key)}


def _related(resource: dict[str, Any], by_key: dict[tuple[Any, Any], Any]) -> dict[str, Any]:
    """A resource whose relationships' references (one or a list) carry their included resource's attributes."""
    relationships = resource.get("relationships")
    if not isinstance(relationships, dict):
        return resource

    def completed(reference: Any) -> Any:
        if isinstance(reference, dict) and (reference.get("type"), reference.get("id")) in by_key:
            return {**reference, "attributes": by_key[reference.get("type"), reference.get("id")]}
        return reference

    linked = {}
    for name, relationship in relationships.items():
        if isinstance(relationship, dict) and "data" in relationship:
            target = relationship["data"]
            relationship = {**relationship, "data": [completed(item) for item in target]
                            if isinstance(target, list) else completed(target)}
        linked[name] = relationship
    return {**resource, "relationships": linked}


def _loaded(line: bytes | Problem) -> Any:
    """A record's value, or why it has none; a line not in UTF-8 is read as Latin-1, as the CSV reader reads one."""
    if isinstance(line, Problem):
        return line
    try:
        try:
            return json.loads(line)
        except UnicodeDecodeError:
            return json.loads(line.decode("latin-1"))
    except (ValueError, RecursionError) as error:
        return Problem("malformed_json", f"not JSON: {error}"[:300])


def nested_lists(table: CsvTable) -> list[str]:
    """The columns that hold lists of objects (a session's ``events``), as their first non-empty value shows."""
    found = []
    for at, column in enumerate(table.header):
        first = next((values[at] for _, values in table.rows if values[at]), "")
        if first.startswith("[{"):
            found.append(column)
    return found


def one_row_each(table: CsvTable, column: str) -> CsvTable:
    """``table`` with a row per object of ``column``'s lists, its fields ``column.field``, beside the row's own.

    A recommender's log keeps a session per line with its events in a list (``{"session": 7, "events":
    [{"aid": 1, "ts": …, "type": "clicks"}, …]}``): each event is a row of the session's.  A row whose
    value is no list of objects stays one row, without the list's fields.

    >>> t = CsvTable("x.jsonl", ["session", "events"], [(1, ["7", '[{"aid": 1, "type": "clicks"}, {"aid": 2}]'])])
    >>> flat = one_row_each(t, "events")
    >>> flat.header, flat.rows
    (['session', 'events.aid', 'events.type'], [(1, ['7', '1', 'clicks']), (1, ['7', '2', ''])])
    """
    at = table.header.index(column)
    own = [name for name in table.header if name != column]
    columns: dict[str, None] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    for line, values in table.rows:
        fields = dict(zip(own, values[:at] + values[at + 1 :], strict=True))
        try:
            items = json.loads(values[at]) if values[at] else None
        except (ValueError, RecursionError):
            items = None
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            rows.append((line, fields))
            continue
        for item in items:
            flat: dict[str, str] = {}
            _flatten(item, f"{column}.", flat)
            columns.update(dict.fromkeys(flat))
            rows.append((line, {**fields, **flat}))
    header = [*own, *columns]
    return CsvTable(path=table.path, header=header,
                    rows=[(line, [fields.get(name, "") for name in header]) for line, fields in rows])


def _flatten(value: dict[str, Any], prefix: str, out: dict[str, str]) -> None:
    for key, item in value.items():
        column = f"{prefix}{key}"
        if isinstance(item, dict):
            _flatten(item, f"{column}.", out)
        elif item is None:
            out[column] = ""
        elif isinstance(item, bool):
            out[column] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            out[column] = str(item)
        elif isinstance(item, list) and len(item) == 1 and isinstance(item[0], (str, int, float)) \
                and not isinstance(item[0], bool):
            out[column] = str(item[0])  # one value listed is that value (Meta's user_data.external_id: ["…"])
        else:
            out[column] = json.dumps(item, ensure_ascii=False)
