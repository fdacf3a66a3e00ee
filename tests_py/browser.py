"""A real browser for the tests: the machine's Chromium driven by Playwright (no browser download).

.ci/setup-browser installs Debian's `chromium` where it is missing; the tests that
need it skip, saying so, only when none is on the machine. Screenshots go to
test-artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from warehouse import REPO_ROOT, VENV_BIN

ARTIFACTS = REPO_ROOT / "test-artifacts"
# Headless, and nothing that reaches the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("ORCHARD_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium (a playwright Browser); skips the test when the machine has none."""
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "no Chromium on this machine: run .ci/setup-browser (apt-get install chromium) "
            "or set ORCHARD_CHROMIUM to a Chromium binary"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(duckdb_path: Path, timeout_s: float = 90.0) -> Iterator[str]:
    """`streamlit run dashboard/app.py` on a free localhost port over duckdb_path; yields its URL."""
    port = free_port()
    env = {**os.environ, "ORCHARD_DUCKDB_PATH": str(duckdb_path)}
    log = ARTIFACTS / "streamlit.log"
    ARTIFACTS.mkdir(exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                str(VENV_BIN / "streamlit"),
                "run",
                "dashboard/app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, server, timeout_s, log)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_healthy(url: str, server: subprocess.Popen, timeout_s: float, log: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"streamlit did not answer on {url} within {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")
