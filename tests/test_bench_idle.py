"""The throughput bench offers a load only once the worker is done with the backlog's work."""

import asyncio
import subprocess
import sys

from streams.bench.watch import until_idle

_BUSY_THEN_QUIET = "import time\nt = time.process_time()\nwhile time.process_time() - t < {busy}: pass\ntime.sleep(30)"


def _child(busy: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _BUSY_THEN_QUIET.format(busy=busy)])


def test_a_quiet_process_is_idle_at_once() -> None:
    child = _child(0.0)
    try:
        asyncio.run(asyncio.sleep(0.3))  # past the interpreter's start
        assert asyncio.run(until_idle(child.pid, timeout=20)) < 1.0
    finally:
        child.kill()


def test_the_time_a_process_still_works_is_how_long_it_used_the_processor() -> None:
    child = _child(1.5)  # 1.5 s of CPU time, then asleep
    try:
        asyncio.run(asyncio.sleep(0.3))
        assert 0.8 < asyncio.run(until_idle(child.pid, timeout=30)) < 25
    finally:
        child.kill()
