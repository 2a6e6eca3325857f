"""``tracker schema``: the JSON Schema of the offer trigger record, for email-system authors."""

from __future__ import annotations

import argparse
import sys

from streams.cli.common import Commands


def add(commands: Commands) -> None:
    schema = commands.add_parser("schema", help="print the JSON Schema of the offer trigger record")
    schema.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from offers.triggers import render_json_schema

    sys.stdout.write(render_json_schema())
    return 0
