"""``tracker settings``: every ``TRACKER_*`` setting with the value in force (``--defaults``: with its default;
``--markdown``: the docs page)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from streams.cli.common import Commands

if TYPE_CHECKING:
    from streams.settings import Settings


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
    from streams.settings import Settings, describe, markdown

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


def in_force(settings: Settings) -> dict[str, tuple[str, bool]]:
    """Each variable's value in ``settings`` as it may be shown, and whether the environment set it.

    What ops ask at 3 a.m. is what a worker runs with, not the defaults: a secret shows as
    ``***`` once set, a password in the Redis URL too (:func:`streams.transport.without_password`).

    >>> from pydantic import SecretStr
    >>> from streams.settings import Settings
    >>> shown = in_force(Settings.model_construct(redis_url="redis://:hunter22@cache:6379/0",
    ...                                           admin_api_key=SecretStr("k" * 12)))
    >>> shown["TRACKER_REDIS_URL"], shown["TRACKER_ADMIN_API_KEY"], shown["TRACKER_REDIS_PASSWORD"]
    (('redis://:***@cache:6379/0', True), ('***', True), ('', False))
    >>> shown["TRACKER_APP_ID"]
    ('behaviour-tracker', False)
    """
    from pydantic import SecretStr

    from streams.transport import without_password

    shown = {}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            text = "***" if value.get_secret_value() else ""
        else:
            text = "" if value is None else str(value)
        if name == "redis_url":
            text = without_password(text)
        shown[f"TRACKER_{name.upper()}"] = (text, name in settings.model_fields_set)
    return shown
