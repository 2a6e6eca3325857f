"""Reading an offer policy from a TOML file, with errors that point at the line.

``tomllib`` returns plain values without positions, so after it has parsed the text
this module finds the line of an offending key or value itself: inside the table it
belongs to (``[quiet_hours]``, the n-th ``[[rules]]``), then anywhere in the file.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import cast

from offers.errors import PolicyError
from offers.policy import CALLS_TO_ACTION, FREQUENCY_CAP, HOLDOUT_PERCENT, HOLDOUT_SALT, VALIDITY, Policy
from offers.quiet_hours import QuietHours
from offers.targeting import MEASURES, Bound, Measure, Rule
from offers.triggers import Incentive
from offers.vocabulary import (
    ABANDONMENT_KINDS,
    BEHAVIOUR_TRAITS,
    CUSTOMER_TYPES,
    INCENTIVE_TYPES,
    SEGMENTS,
    AbandonmentKind,
    IncentiveType,
    is_behaviour_segment,
    is_behaviour_trait,
)

DEFAULT_POLICY = "default_policy.toml"

TOP_KEYS = ("version", "frequency_cap", "quiet_hours", "holdout", "kinds", "rules")
TABLE_KEYS = {
    "frequency_cap": ("hours",),
    "quiet_hours": ("start", "end"),
    "holdout": ("percent", "salt"),
}
KIND_KEYS = ("validity_minutes", "call_to_action")
BOUND_KEYS = tuple(f"{m}_{side}" for m in MEASURES for side in ("at_least", "below"))
RULE_KEYS = ("name", "why", "kinds", "segments", "customer_types", "behaviour_segments", "behaviour_traits",
             *BOUND_KEYS, "incentive", "percent", "suppress")
#: Rule names and suppress reasons end up in logs and metric labels: keep them plain.
NAME = re.compile(r"[a-z][a-z0-9_]*")
_HOUR, _MINUTE = timedelta(hours=1), timedelta(minutes=1)

#: Where in the file a value lives: a table's name parts and which occurrence of it.
Table = tuple[tuple[str, ...], int]
TOP: Table = ((), 0)


def load_policy(path: str | Path) -> Policy:
    """Read the policy in the TOML file ``path``.

    Raises
    ------
    PolicyError
        The file cannot be read, is not TOML or says something the policy does not
        know; the message names the file and, where there is one, the line.

    Examples
    --------
    >>> policy = load_policy(resources.files("offers") / DEFAULT_POLICY)
    >>> policy.rules[0].name, policy.quiet_hours
    ('low_intent_looker', QuietHours(start=21, end=8))
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError(f"{path}: cannot read the policy file: {error}") from error
    return parse_policy(text, source=str(path))


@functools.cache
def default_policy() -> Policy:
    """The policy shipped with the package (``offers/default_policy.toml``).

    >>> default_policy().version
    '2026-11-targeting-1'
    """
    text = (resources.files("offers") / DEFAULT_POLICY).read_text(encoding="utf-8")
    return parse_policy(text, source=DEFAULT_POLICY)


def parse_policy(text: str, *, source: str = "<policy>") -> Policy:
    """Build a :class:`~offers.policy.Policy` from TOML ``text``; ``source`` names it in errors.

    >>> parse_policy('version = "v1"\\n[[rules]]\\nname = "all"\\nincentive = "reminder"\\n').rules[0].name
    'all'
    >>> coupon = 'version = "v1"\\n[[rules]]\\nname = "all"\\nincentive = "coupon"\\n'
    >>> parse_policy(coupon, source="p.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    offers.errors.PolicyError: p.toml, line 4: unknown incentive type 'coupon' (expected one of: ...)
    """
    file = _File(text, source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise file.syntax_error(error) from None
    return _Reader(file).policy(data)


class _File:
    """The policy text, to find lines in and to word errors with."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = text.splitlines()

    def error(self, message: str, line: int | None) -> PolicyError:
        where = self.source if line is None else f"{self.source}, line {line}"
        return PolicyError(f"{where}: {message}")

    def syntax_error(self, error: tomllib.TOMLDecodeError) -> PolicyError:
        # tomllib words it "... (at line 3, column 7)" or "... (at end of document)".
        message = str(error)
        found = re.search(r" \(at line (\d+), column (\d+)\)$", message)
        if found:
            return self.error(f"not valid TOML: {message[: found.start()]} (column {found[2]})", int(found[1]))
        message = message.removesuffix(" (at end of document)")
        return self.error(f"not valid TOML: {message} (at the end of the file)", len(self.lines) or None)

    def line_of(self, table: Table, *, key: str | None = None, value: object = None) -> int | None:
        """The 1-based line of ``value`` (a string) or else ``key`` in ``table``, if found."""
        span = self._span(table)
        searches = []
        if isinstance(value, str):
            searches.append(re.compile(rf"""(["']){re.escape(value)}\1"""))
        if key is not None:
            searches.append(re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*[=.]"""))
        if not table[0] and key is not None:
            # A top-level key may also be a table header: [quiet_hours], [kinds.x].
            searches.append(re.compile(rf"^\s*\[+\s*{re.escape(key)}\s*[\].]"))
        for lines in (span, range(len(self.lines))):
            for pattern in searches:
                for index in lines:
                    if self._code(index) and pattern.search(self._code(index)):
                        return index + 1
        return None

    def header_line(self, table: Table) -> int | None:
        """The line of the table's header (``[[rules]]``), if it has one in the file."""
        span = self._span(table)
        return span.start + 1 if table[0] and span else None

    def _span(self, table: Table) -> range:
        """The lines of ``table``: its header up to the next header (the top: up to the first)."""
        parts, nth = table
        headers = [index for index, _ in enumerate(self.lines) if _is_header(self._code(index))]
        if not parts:
            return range(0, headers[0] if headers else len(self.lines))
        dotted = r"\s*\.\s*".join(rf"""["']?{re.escape(part)}["']?""" for part in parts)
        pattern = re.compile(rf"^\s*\[+\s*{dotted}\s*\]")
        matching = [index for index in headers if pattern.match(self._code(index))]
        if nth >= len(matching):
            return range(0)
        start = matching[nth]
        end = next((index for index in headers if index > start), len(self.lines))
        return range(start, end)

    def _code(self, index: int) -> str:
        line = self.lines[index] if 0 <= index < len(self.lines) else ""
        return "" if line.lstrip().startswith("#") else line


def _is_header(line: str) -> bool:
    return line.lstrip().startswith("[")


@dataclass(frozen=True, slots=True)
class _Reader:
    """Turns the parsed TOML into a Policy, checking every key and value on the way."""

    file: _File

    def policy(self, data: dict[str, object]) -> Policy:
        self._known_keys(data, TOP_KEYS, TOP, "at the top level")
        version = data.get("version")
        if not isinstance(version, str) or not version:
            raise self.file.error("'version' must be a non-empty string", self.file.line_of(TOP, key="version"))
        cap = self._table(data, "frequency_cap")
        quiet = self._table(data, "quiet_hours")
        holdout = self._table(data, "holdout")
        kinds = self._kinds(data)
        night = QuietHours()
        return Policy(
            version=version,
            rules=self._rules(data.get("rules")),
            quiet_hours=QuietHours(
                start=self._hour(quiet, "start", night.start), end=self._hour(quiet, "end", night.end)
            ),
            holdout_percent=self._number(
                holdout, "percent", (("holdout",), 0), default=HOLDOUT_PERCENT, low=0, high=100
            ),
            holdout_salt=self._string(holdout, "salt", (("holdout",), 0), default=HOLDOUT_SALT),
            frequency_cap=timedelta(
                hours=self._number(cap, "hours", (("frequency_cap",), 0), default=FREQUENCY_CAP / _HOUR, low=0)
            ),
            validity={kind: self._validity(kinds, kind) for kind in AbandonmentKind},
            calls_to_action={kind: self._call_to_action(kinds, kind) for kind in AbandonmentKind},
        )

    # -- tables ------------------------------------------------------------------------

    def _table(self, data: dict[str, object], name: str) -> dict[str, object]:
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise self.file.error(f"'{name}' must be a table", self.file.line_of(TOP, key=name))
        self._known_keys(table, TABLE_KEYS[name], ((name,), 0), f"in [{name}]")
        return table

    def _kinds(self, data: dict[str, object]) -> dict[str, object]:
        kinds = data.get("kinds", {})
        if not isinstance(kinds, dict):
            raise self.file.error("'kinds' must be a table of tables", self.file.line_of(TOP, key="kinds"))
        for name, table in kinds.items():
            if name not in ABANDONMENT_KINDS:
                raise self.file.error(
                    f"unknown kind {name!r} in [kinds] (expected one of: {_listed(ABANDONMENT_KINDS)})",
                    self.file.line_of((("kinds", name), 0), key=name) or self.file.line_of(TOP, key="kinds"),
                )
            if not isinstance(table, dict):
                raise self.file.error(f"'kinds.{name}' must be a table", self.file.line_of(TOP, key="kinds"))
            self._known_keys(table, KIND_KEYS, (("kinds", name), 0), f"in [kinds.{name}]")
        return kinds

    def _validity(self, kinds: dict[str, object], kind: AbandonmentKind) -> timedelta:
        table = cast(dict[str, object], kinds.get(kind.value, {}))
        where: Table = (("kinds", kind.value), 0)
        minutes = self._number(table, "validity_minutes", where, default=VALIDITY / _MINUTE, low=1)
        return timedelta(minutes=minutes)

    def _call_to_action(self, kinds: dict[str, object], kind: AbandonmentKind) -> str:
        table = cast(dict[str, object], kinds.get(kind.value, {}))
        return self._string(table, "call_to_action", (("kinds", kind.value), 0), default=CALLS_TO_ACTION[kind])

    # -- rules -------------------------------------------------------------------------

    def _rules(self, rules: object) -> tuple[Rule, ...]:
        if not isinstance(rules, list) or not rules:
            raise self.file.error(
                "the policy needs at least one [[rules]] table (rules are tried in order; the first match decides)",
                self.file.line_of(TOP, key="rules"),
            )
        built: list[Rule] = []
        for nth, rule in enumerate(rules):
            where: Table = (("rules",), nth)
            if not isinstance(rule, dict):
                raise self.file.error("each rule must be a table", self.file.line_of(TOP, key="rules"))
            built.append(self._rule(rule, where))
            if built[-1].name in {r.name for r in built[:-1]}:
                line = self.file.line_of(where, key="name", value=built[-1].name)
                raise self.file.error(f"rule name {built[-1].name!r} is used twice", line)
        return tuple(built)

    def _rule(self, rule: dict[str, object], where: Table) -> Rule:
        header = self.file.header_line(where)
        name = rule.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            line = self.file.line_of(where, key="name") if "name" in rule else header
            raise self.file.error(f"a rule needs a 'name' in lower_snake_case, got {name!r}", line)
        self._known_keys(rule, RULE_KEYS, where, f"in rule {name!r}")
        incentive = self._incentive(rule, where, name)
        suppress = rule.get("suppress")
        if (incentive is None) == (suppress is None):
            raise self.file.error(
                f"rule {name!r} needs exactly one of 'incentive' or 'suppress'",
                self.file.line_of(where, key="suppress") or header,
            )
        if suppress is not None and not (isinstance(suppress, str) and NAME.fullmatch(suppress)):
            raise self.file.error(
                f"'suppress' in rule {name!r} must be a reason in lower_snake_case, got {suppress!r}",
                self.file.line_of(where, key="suppress"),
            )
        return Rule(
            name=name,
            why=self._string(rule, "why", where, default=""),
            kinds=frozenset(AbandonmentKind(k) for k in self._words(rule, "kinds", where, ABANDONMENT_KINDS, "kind")),
            segments=frozenset(self._words(rule, "segments", where, SEGMENTS, "segment")),
            customer_types=frozenset(self._words(rule, "customer_types", where, CUSTOMER_TYPES, "customer type")),
            behaviour_segments=frozenset(self._written_as(
                rule, "behaviour_segments", where, is_behaviour_segment,
                "behavioural segment id {value!r} (expected B followed by a number, as the segments page shows, "
                "e.g. \"B3\"; to follow a behaviour whichever segment shows it, use behaviour_traits)", "B1")),
            behaviour_traits=frozenset(self._written_as(
                rule, "behaviour_traits", where, is_behaviour_trait,
                f"unknown behaviour trait {{value!r}} (expected one of: {_listed(BEHAVIOUR_TRAITS)}, "
                "or category:<name> or channel:<name>)", BEHAVIOUR_TRAITS[0])),
            bounds=self._bounds(rule, where, name),
            incentive=incentive,
            suppress=suppress,
        )

    def _incentive(self, rule: dict[str, object], where: Table, name: str) -> Incentive | None:
        kind = rule.get("incentive")
        if kind is None:
            if "percent" in rule:
                raise self.file.error(f"'percent' in rule {name!r} needs incentive = \"percent_off\"",
                                      self.file.line_of(where, key="percent"))
            return None
        if kind not in INCENTIVE_TYPES:
            raise self.file.error(
                f"unknown incentive type {kind!r} (expected one of: {_listed(INCENTIVE_TYPES)})",
                self.file.line_of(where, key="incentive", value=kind),
            )
        if kind != "percent_off":
            if "percent" in rule:
                raise self.file.error(f"'percent' in rule {name!r} needs incentive = \"percent_off\", not {kind!r}",
                                      self.file.line_of(where, key="percent"))
            return Incentive(type=cast(IncentiveType, kind))
        if "percent" not in rule:
            raise self.file.error(f"rule {name!r} offers percent_off but says no 'percent'",
                                  self.file.line_of(where, key="incentive"))
        percent = self._number(rule, "percent", where, default=0.0, low=0, high=100)
        if percent <= 0:
            line = self.file.line_of(where, key="percent")
            raise self.file.error(f"'percent' in rule {name!r} must be above 0", line)
        return Incentive(type="percent_off", value=percent)

    def _bounds(self, rule: dict[str, object], where: Table, name: str) -> tuple[Bound, ...]:
        bounds = []
        for measure in MEASURES:
            at_least, below = (f"{measure}_at_least", f"{measure}_below")
            if at_least not in rule and below not in rule:
                continue
            low = self._number(rule, at_least, where, default=None) if at_least in rule else None
            high = self._number(rule, below, where, default=None) if below in rule else None
            if low is not None and high is not None and low >= high:
                raise self.file.error(
                    f"in rule {name!r}, {at_least} = {low:g} and {below} = {high:g} can never both hold",
                    self.file.line_of(where, key=below),
                )
            bounds.append(Bound(cast(Measure, measure), at_least=low, below=high))
        return tuple(bounds)

    # -- values ------------------------------------------------------------------------

    def _known_keys(self, table: dict[str, object], known: Sequence[str], where: Table, place: str) -> None:
        for key in table:
            if key not in known:
                raise self.file.error(
                    f"unknown key {key!r} {place} (expected one of: {_listed(known)})",
                    self.file.line_of(where, key=key),
                )

    def _words(self, rule: dict[str, object], key: str, where: Table, known: Sequence[str], noun: str) -> list[str]:
        values = rule.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.file.error(f"'{key}' must be a list of strings, e.g. {key} = [\"{known[0]}\"]",
                                  self.file.line_of(where, key=key))
        for value in values:
            if value not in known:
                raise self.file.error(
                    f"unknown {noun} {value!r} (expected one of: {_listed(known)})",
                    self.file.line_of(where, key=key, value=value),
                )
        return cast(list[str], values)

    def _written_as(
        self, rule: dict[str, object], key: str, where: Table, valid: Callable[[str], bool], problem: str,
        example: str,
    ) -> list[str]:
        """The strings of list ``key``, each checked by ``valid``: words a policy cannot list in advance."""
        values = rule.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.file.error(f"'{key}' must be a list of strings, e.g. {key} = [\"{example}\"]",
                                  self.file.line_of(where, key=key))
        for value in values:
            if not valid(value):
                raise self.file.error(problem.format(value=value), self.file.line_of(where, key=key, value=value))
        return cast(list[str], values)

    def _number(
        self, table: dict[str, object], key: str, where: Table, *, default: float | None,
        low: float | None = None, high: float | None = None,
    ) -> float:
        value = table.get(key, default)
        # TOML booleans are ints to Python; "true" is never a number here.
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.file.error(f"'{key}' must be a number, got {value!r}", self.file.line_of(where, key=key))
        if (low is not None and value < low) or (high is not None and value > high):
            expected = f"from {low:g} to {high:g}" if low is not None and high is not None else f"at least {low:g}"
            raise self.file.error(f"'{key}' must be {expected}, got {value!r}", self.file.line_of(where, key=key))
        return float(value)

    def _hour(self, table: dict[str, object], key: str, default: int) -> int:
        value = table.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 23:
            raise self.file.error(
                f"quiet hours '{key}' must be a whole local hour from 0 to 23, got {value!r}",
                self.file.line_of((("quiet_hours",), 0), key=key),
            )
        return value

    def _string(self, table: dict[str, object], key: str, where: Table, *, default: str) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.file.error(f"'{key}' must be a string, got {value!r}", self.file.line_of(where, key=key))
        return value


def _listed(words: Iterable[str]) -> str:
    return ", ".join(words)
