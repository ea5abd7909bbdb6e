"""A throw-away PostgreSQL cluster for the tests, from Debian's postgresql package.

`tests/settings_postgres.py` starts one when pytest starts (`pytest --ds tests.settings_postgres …`)
and stops and deletes it when pytest exits. Processes the tests start (workers, web servers)
inherit FER_TEST_POSTGRES_URL and use the same server. As root, the server runs as the
`postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.processes import free_port

ENV = "FER_TEST_POSTGRES_URL"
USER = "fer"


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package (apt-get install postgresql)")
    return str(found[-1])


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def start() -> str:
    """Start a cluster on a free loopback port; returns its URL (database `fer`, user `fer`, no password)."""
    folder = Path(tempfile.mkdtemp(prefix="fer-postgres-"))
    data, log, port = folder / "data", folder / "server.log", free_port()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    run = lambda command: subprocess.run(_as_server_user(command), check=True, capture_output=True)  # noqa: E731
    run([_bin("initdb"), "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"])
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    run([_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"])

    def stop() -> None:
        subprocess.run(_as_server_user([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    run([_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, USER])
    return f"postgres://{USER}@127.0.0.1:{port}/{USER}"
