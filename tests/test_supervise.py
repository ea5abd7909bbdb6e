"""scripts/supervise.py: a dying process comes back with back-off; stopping the supervisor stops it."""

import signal
import subprocess
import sys
import time
from pathlib import Path

SUPERVISE = Path(__file__).resolve().parent.parent / "scripts" / "supervise.py"


def _start(tmp_path: Path, child: str) -> subprocess.Popen:
    command = [sys.executable, SUPERVISE, "svc", tmp_path / "svc.log", "--", sys.executable, "-c", child]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_crashing_child_is_restarted_with_growing_delays(tmp_path):
    starts = tmp_path / "starts"
    supervisor = _start(tmp_path, f"open({str(starts)!r}, 'a').write('x'); raise SystemExit(3)")
    try:
        assert _wait_for(lambda: starts.exists() and len(starts.read_text()) >= 3, 10)  # 1 s, then 2 s
    finally:
        supervisor.send_signal(signal.SIGTERM)
        _, stderr = supervisor.communicate(timeout=15)
    assert supervisor.returncode == 0
    restarts = [line for line in stderr.splitlines() if "exited with code 3" in line]
    assert "restarting in 1 s" in restarts[0] and "restarting in 2 s" in restarts[1]
    assert restarts[0] in (tmp_path / "svc.log").read_text()


def test_stopping_the_supervisor_stops_a_running_child(tmp_path):
    pid_file = tmp_path / "pid"
    child_code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    supervisor = _start(tmp_path, child_code)
    assert _wait_for(lambda: pid_file.exists() and pid_file.read_text(), 10)
    child = int(pid_file.read_text())
    supervisor.send_signal(signal.SIGTERM)
    supervisor.wait(timeout=15)
    assert supervisor.returncode == 0
    assert _wait_for(lambda: not Path(f"/proc/{child}").exists(), 5)
