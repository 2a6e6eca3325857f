"""``tracker settings``: every ``TRACKER_*`` setting with the value in force (``--defaults``: with its default;
``--markdown``: the docs page)."""

from __future__ import annotations

import argparse
import json

from streams.cli.common import Commands


def add(commands: Commands) -> None:
    settings = commands.add_parser(
        "settings", help="list every TRACKER_* setting with the value in force (secrets as ***)",
        description="Every TRACKER_* setting with the value this environment gives it (marked * where set, "
                    "secrets as ***) and what it does.")
    shown = settings.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="as JSON: variable, value, set, default, description")
    shown.add_argument("--defaults", action="store_true", help="the defaults instead, whatever the environment says")
    shown.add_argument("--markdown", action="store_true",
                       help="as the configuration page of the docs (docs/configuration.md)")
    settings.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.settings import Settings, describe, in_force, markdown

    rows = describe()
    if args.markdown:
        print(markdown(), end="")
        return 0
    if args.defaults:
        values = {variable: (default, False) for variable, default, _ in rows}
    else:
        values = in_force(Settings())  # an invalid variable stops here with its one-line error (streams.cli)
    if args.json:
        print(json.dumps([{"variable": v, "value": values[v][0], "set": values[v][1], "default": d, "description": t}
                          for v, d, t in rows], indent=2))
        return 0
    width = max(len(v) for v, _, _ in rows)
    column = max(26, *(len(value) + 2 for value, _ in values.values() if len(value) <= 40))
    print(f"{'variable':<{width}}  {'default' if args.defaults else 'value':<{column}} description")
    for variable, _, text in rows:
        value, set_here = values[variable]
        print(f"{variable:<{width}}  {value + (' *' if set_here else ''):<{column}} {text}")
    if any(set_here for _, set_here in values.values()):
        print("\n* set in the environment (`tracker settings --defaults` lists the defaults)")
    return 0
