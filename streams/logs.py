"""The worker's own log lines, as logfmt: one ``key=value`` line per record."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import IO

#: A printf conversion, with the ``key=`` that names it when there is one.
_CONVERSION = re.compile(
    r"(?:(?<![\w.=])(?P<key>[A-Za-z_][\w.]*)=)?(?P<spec>%[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%])"
)
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_BARE = re.compile(r"^[^\s=\"'\\]+$")


def split_message(template: str, args: Sequence[object]) -> tuple[str, dict[str, str]]:
    """Split a %-style log call into its message and its ``key=%s`` fields.

    >>> split_message("dead letter: reason=%s topic=%s offset=%d", ("too_large", "site-visits", 7))
    ('dead letter', {'reason': 'too_large', 'topic': 'site-visits', 'offset': '7'})
    >>> split_message("%s failed, retrying in %.1fs", ("save", 0.5))
    ('save failed, retrying in 0.5s', {})
    """
    pieces, tail = _pieces(template)
    needed = sum(spec != "%%" for _, _, spec in pieces)
    if needed != len(args):
        raise TypeError("not enough arguments for format string" if len(args) < needed
                        else "not all arguments converted during string formatting")
    text: list[str] = []
    fields: dict[str, str] = {}
    index = 0
    for before, key, spec in pieces:
        text.append(before)
        if spec == "%%":
            text.append(f"{key}=%" if key else "%")
            continue
        value = spec % (args[index],)
        index += 1
        if key:
            fields[key] = value
        else:
            text.append(value)
    text.append(tail)
    message = re.sub(r"\s{2,}", " ", "".join(text)).strip().rstrip(":,;").rstrip()
    return message, fields


@lru_cache(maxsize=512)
def _pieces(template: str) -> tuple[tuple[tuple[str, str | None, str], ...], str]:
    """A template's conversions once: (text before, key or None, spec) each, and the text after the last.

    The worker logs a few dozen templates, some once per trigger: parsing each once is a third
    of the formatting's cost.
    """
    pieces = []
    position = 0
    for match in _CONVERSION.finditer(template):
        pieces.append((template[position:match.start()], match.group("key"), match.group("spec")))
        position = match.end()
    return tuple(pieces), template[position:]


def _logfmt_value(value: object) -> str:
    text = str(value)
    if "@" in text:
        text = _EMAIL.sub("<email>", text)  # a last guard: logs never carry e-mail addresses
    return text if _BARE.match(text) else json.dumps(text, ensure_ascii=False)


class LogfmtFormatter(logging.Formatter):
    """One ``key=value`` line per record (logfmt): ``ts level logger msg`` then the fields.

    Fields come from the ``key=%s`` conversions of the call's format string (so
    ``log.warning("dead letter: reason=%s offset=%s", ...)`` gives ``msg="dead letter"
    reason=… offset=…``) and from ``extra={...}``. An exception adds ``error`` and a one-line
    ``traceback``. Anything that looks like an e-mail address is replaced by ``<email>``.
    """

    def format(self, record: logging.LogRecord) -> str:
        template, args = str(record.msg), record.args
        fields: dict[str, str]
        try:
            if isinstance(args, Mapping) or not args:
                message, fields = (record.getMessage() if args else template), {}
            else:
                message, fields = split_message(template, args)
        except (TypeError, ValueError):  # arguments that do not fit: keep both, lose nothing
            message, fields = template, {"args": repr(args)}
        when = datetime.fromtimestamp(record.created, timezone.utc)
        pairs: dict[str, object] = {
            "ts": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": message,
        }
        pairs.update(fields)
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_") and name not in pairs:
                pairs[name] = value
        if record.exc_info and record.exc_info[1] is not None:
            pairs.setdefault("error", repr(record.exc_info[1]))
            pairs["traceback"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in pairs.items())


class MalformedRequests(logging.Filter):
    """The web server's log of a request it could not read (a bad header line, a broken chunk, a body in an
    encoding it cannot unpack, a client gone mid-body) as one warning line naming why, not an error with a
    traceback: the sender's mistake, answered with a 400 (or not at all), no fault of the worker's to page
    anyone for.  Other errors of the server keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        # The body's own error is raised again, wrapped, when the server drains what the answer left unread.
        cause = getattr(error, "__cause__", None) or error
        status = getattr(cause, "code", None)
        if isinstance(error, ConnectionResetError) or (isinstance(status, int) and 400 <= status < 500):
            why = " ".join(str(getattr(cause, "message", "") or cause).split())[:300]
            record.msg, record.args = f"{record.getMessage()}: {why}", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


def _filter_once(name: str, kind: type[logging.Filter]) -> None:
    """Install a ``kind`` filter on the logger ``name``, unless it has one."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())


def quiet_malformed_requests() -> None:
    """Install :class:`MalformedRequests` on the web server's logger (once)."""
    _filter_once("aiohttp.server", MalformedRequests)


class RetriedLookups(logging.Filter):
    """aiokafka's failed lookup of the group's coordinator as a warning when it will retry, not an error.

    A broker that has just started has no coordinator for the group yet (``GroupCoordinatorNotAvailable``,
    ``CoordinatorLoadInProgress``): aiokafka logs each failed lookup at error level, then retries and joins.
    An error line at every fresh start would page someone for nothing; one that persists keeps the worker
    unassigned, which ``/ready`` reports.  A lookup that will not be retried stays an error.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.args[0] if isinstance(record.args, tuple) and record.args else None
        if (record.levelno == logging.ERROR and str(record.msg).startswith("Group Coordinator Request failed")
                and getattr(error, "retriable", False)):
            record.msg, record.args = f"{record.getMessage()} (retrying)", ()
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_retried_lookups() -> None:
    """Install :class:`RetriedLookups` on aiokafka's group coordinator's logger (once)."""
    _filter_once("aiokafka.consumer.group_coordinator", RetriedLookups)


class SlowSteps(logging.Filter):
    """kafka-python's "Task … ran for 0.116s (>0.100s threshold) … blocking the event loop" warnings, dropped.

    kafka-python 3 times each step of its own network thread and warns past 100 ms. On a busy
    machine that is the thread waiting for the interpreter while the process computes — a replay
    or the demo parsing its next batch — not a loop that blocks: nothing is lost or retried, and
    the line ("Other pollers will time out") sends whoever reads it after a fault that is not
    there. Kept when the tracker logs at debug level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        slow = str(record.msg).startswith("Task ") and "threshold" in str(record.msg)
        return not slow or logging.getLogger().isEnabledFor(logging.DEBUG)


def quiet_slow_steps() -> None:
    """Install :class:`SlowSteps` on kafka-python's network selector's logger (once)."""
    _filter_once("kafka.net.selector", SlowSteps)


#: Loggers whose INFO lines are connection chatter: kafka-python's (its package is ``kafka``) says it
#: bootstraps, connects and closes, some twenty lines at every start and topic check. From warning up
#: unless the tracker logs at debug level.
CHATTY_LOGGERS = ("kafka",)


def configure_logging(level: str, stream: IO[str] | None = None) -> logging.Logger:
    """Every record of the process, the worker's and its libraries' (Faust, aiokafka, kafka-python,
    aiohttp), as one logfmt line each on ``stream`` (stderr), at ``level``.

    One format to read and grep at 3 a.m. instead of three (the libraries' multi-line tables become
    one line, their newlines escaped); kafka-python's connection chatter from warning up
    (:data:`CHATTY_LOGGERS`); the web server's malformed requests a line each
    (:class:`MalformedRequests`), aiokafka's retried coordinator lookups a warning
    (:class:`RetriedLookups`), kafka-python's slow steps of its network thread dropped
    (:class:`SlowSteps`). Faust's worker is told not to set up logging of its own
    (``override_logging=False``, :func:`streams.worker.app.run`).
    """
    quiet_malformed_requests()
    quiet_retried_lookups()
    quiet_slow_steps()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    chatty = logging.DEBUG if level.lower() == "debug" else logging.WARNING
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty)
    logger = logging.getLogger("tracker")
    logger.handlers[:] = []
    logger.setLevel(logging.NOTSET)  # the root's level
    logger.propagate = True
    return logger
