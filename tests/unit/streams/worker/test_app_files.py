"""A worker leaves nothing behind in the directory it was started from."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from streams.settings import Settings
from streams.worker.app import build


def test_faust_gets_a_scratch_directory_outside_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    worker = build(Settings(), CollectorRegistry())
    app = worker.app
    app._create_directories()  # what Faust does when the worker starts
    datadir = Path(app.conf.datadir)
    assert datadir.is_dir()
    assert not datadir.resolve().is_relative_to(tmp_path.resolve())
    assert list(tmp_path.iterdir()) == []
