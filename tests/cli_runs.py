"""``tracker ARGS`` run as a user runs it, in a child process forked from the test's own.

A command that runs spends about two seconds importing what it works with (pydantic-settings, river,
scipy: the CLI imports them in ``run``, after parsing); the tests run commands fifty times. A child
forked from the test process has those imports already (:data:`PRELOADED`), and is still a process
of its own: its exit code, its stdout and stderr, its environment (``monkeypatch.setenv`` before
the call) and its crashes are its own. The installed entry point itself is run by the demo's test,
which starts ``python -m streams.cli`` for real.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from importlib import import_module

#: What the commands import when they run, imported once in the test process so that no child pays
#: for it: the settings, the offer core and every model (river, scipy), the worker's lifecycle.
PRELOADED = ("streams.settings", "streams.core.lifecycle", "streams.core.insights", "models.evaluation",
             "models.value_evaluation", "offers.policy_file")


def tracker(*args: str, timeout: float = 60, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``tracker *args`` in a forked child; what ``subprocess.run(..., capture_output=True, text=True)`` returns.

    ``env`` is the child's whole environment, as ``subprocess.run``'s (default: this process's).
    """
    import streams.cli  # imported once, in this process: the child starts with it

    for module in PRELOADED:
        import_module(module)

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # the child: `tracker *args`, exiting with its code whatever happens
            code = 70
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
                sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
                if env is not None:
                    os.environ.clear()
                    os.environ.update(env)
                sys.argv = ["tracker", *args]
                try:
                    code = int(streams.cli.main(list(args)) or 0)
                except SystemExit as exc:  # argparse's errors and --help
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # an uncaught error: a traceback on stderr, as the real command would print
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:  # noqa: S110 - the child is going: nothing more to report to
                        pass
                os._exit(code)
        code = _wait(pid, timeout, args)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(["tracker", *args], code, out.read().decode(), err.read().decode())


def _wait(pid: int, timeout: float, args: tuple[str, ...]) -> int:
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise subprocess.TimeoutExpired(["tracker", *args], timeout)
        time.sleep(delay)
        delay = min(delay * 2, 0.1)
