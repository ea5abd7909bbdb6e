#!/usr/bin/env python3
"""Keep one process running: restart it with back-off when it dies, stop it when told to.

    supervise.py NAME LOGFILE -- COMMAND [ARGS...]

`scripts/up.sh` runs the broker, the worker and the web server each under one of these, so a
crashed worker or broker comes back by itself (and says so on stderr and in LOGFILE) instead of
taking the whole application down. SIGTERM or SIGINT stops the child (SIGKILL after 10 s) and
then the supervisor. A child that ran for a minute or more counts as healthy again: its next
restart waits 1 s; quick repeated deaths wait twice as long each time, up to 30 s.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import datetime

FIRST_DELAY_S, MAX_DELAY_S, HEALTHY_AFTER_S, STOP_GRACE_S = 1.0, 30.0, 60.0, 10.0


class Supervisor:
    def __init__(self, name: str, log_path: str, command: list[str]):
        self.name, self.log_path, self.command = name, log_path, command
        self.child: subprocess.Popen | None = None
        self.stopping = False

    def say(self, message: str) -> None:
        line = f"{datetime.now():%Y-%m-%d %H:%M:%S} supervise[{self.name}]: {message}"
        print(line, file=sys.stderr, flush=True)
        with open(self.log_path, "a") as log:
            log.write(line + "\n")

    def stop(self, signum, _frame) -> None:
        self.stopping = True
        if self.child and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM if signum != signal.SIGINT else signal.SIGINT)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        delay = FIRST_DELAY_S
        while not self.stopping:
            started = time.monotonic()
            with open(self.log_path, "ab") as log:
                self.child = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
            code = self._wait_for_child()
            if self.stopping:
                break
            ran = time.monotonic() - started
            if ran >= HEALTHY_AFTER_S:
                delay = FIRST_DELAY_S
            self.say(f"exited with code {code} after {ran:.1f} s; restarting in {delay:.0f} s")
            self._sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)
        return 0

    def _wait_for_child(self) -> int:
        while True:
            try:
                return self.child.wait()
            except KeyboardInterrupt:  # a second Ctrl-C while stopping: keep waiting for the child
                continue

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.1)


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    supervisor = Supervisor(argv[0], argv[1], argv[3:])
    try:
        return supervisor.run()
    finally:
        child = supervisor.child
        if child and child.poll() is None:
            try:
                child.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                supervisor.say(f"did not stop within {STOP_GRACE_S:.0f} s; killing it")
                child.kill()
                child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
