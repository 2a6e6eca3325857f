"""``tracker settings``: every ``TRACKER_*`` setting with its default (``--markdown``: the docs page)."""

from __future__ import annotations

import argparse
import json

from streams.cli.common import Commands


def add(commands: Commands) -> None:
    settings = commands.add_parser("settings", help="list every TRACKER_* setting with its default")
    shown = settings.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="as JSON")
    shown.add_argument("--markdown", action="store_true",
                       help="as the configuration page of the docs (docs/configuration.md)")
    settings.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.settings import describe, markdown

    rows = describe()
    if args.json:
        print(json.dumps([{"variable": v, "default": d, "description": t} for v, d, t in rows], indent=2))
        return 0
    if args.markdown:
        print(markdown(), end="")
        return 0
    width = max(len(v) for v, _, _ in rows)
    for variable, default, text in rows:
        print(f"{variable:<{width}}  {default:<26} {text}")
    return 0
