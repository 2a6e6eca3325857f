"""The ``tracker`` command line: one module per command, each adding its parser and its ``run``.

Building the parser imports only the standard library and light modules: a command's ``run``
imports what it works with (the settings, the models, Kafka and Redis clients), so that
``tracker --help``, ``tracker COMMAND --help`` and a usage error answer at once instead of after
the second or two that importing river, scipy and pydantic-settings takes. A test keeps
``import streams.cli`` free of them.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing
from collections.abc import Sequence

from pydantic import ValidationError

from offers.errors import PolicyError
from streams.cli import (
    bench,
    customer,
    customers,
    demo,
    evaluate,
    forget,
    offers,
    personas,
    replay,
    schema,
    segments,
    settings,
    simulate,
    worker,
)
from streams.cli.common import EPILOG
from streams.errors import TrackerError, UsageError

#: The commands in the order ``tracker --help`` lists them.
COMMANDS = (worker, demo, simulate, offers, customers, customer, segments, personas, forget, replay, evaluate,
            bench, settings, schema)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a reader gone early shows here, not as an error at the interpreter's exit
        return code
    except BrokenPipeError:
        # The output's reader stopped reading (`tracker segments | head`): end quietly, as command
        # line tools do, with stdout on /dev/null so that nothing else fails to write there.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status of a command the pipe stopped
    except ValidationError as exc:
        print(f"tracker: invalid configuration:\n{_explain_settings(exc)}", file=sys.stderr)
        return 2
    except (UsageError, PolicyError) as exc:
        print(f"tracker {args.command}: {exc}", file=sys.stderr)
        return 2
    except TrackerError as exc:
        print(f"tracker {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ntracker: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tracker",
        description="Live customer profiles, purchase intent, loyalty and abandoned-interest offers "
        "from clickstream and purchase events in Kafka.",
        epilog=EPILOG,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add(commands)
    return parser


def _shown(field: str, value: object) -> str:
    """A rejected value as an error shows it: a secret's as ***."""
    from pydantic import SecretStr

    from streams.settings import Settings  # imported already: the settings rejected the value

    annotation = Settings.model_fields[field].annotation if field in Settings.model_fields else None
    secret = annotation is SecretStr or SecretStr in typing.get_args(annotation)
    return "***" if secret else repr(value)


def _explain_settings(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        if not error["loc"]:  # a rule over several settings: its message names them; the input is all of them
            lines.append(f"  {error['msg'].removeprefix('Value error, ')}")
            continue
        name = "TRACKER_" + "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"  {name}={_shown(str(error['loc'][0]), error.get('input'))}: {error['msg']}")
    return "\n".join(lines)
