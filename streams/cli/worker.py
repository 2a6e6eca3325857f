"""``tracker worker``: run a stream worker in this process."""

from __future__ import annotations

import argparse

from streams.cli.common import EPILOG, Commands


def add(commands: Commands) -> None:
    worker = commands.add_parser(
        "worker", help="run a stream worker (Kafka in, Redis state, triggers out)", epilog=EPILOG
    )
    worker.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Imported here, not at the top: `tracker --help` and usage errors stay quick (streams.cli).
    from streams.logs import configure_logging
    from streams.settings import Settings
    from streams.transport import check_redis_login, redact_secrets
    from streams.worker.app import run as run_worker

    settings = Settings()
    configure_logging(settings.log_level)  # logfmt from the first line, the Kafka and Redis checks' too
    redact_secrets(settings)  # Kafka clients log passwords at debug level
    check_redis_login(settings)
    run_worker(settings)
    return 0
