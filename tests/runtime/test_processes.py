"""The local-stack supervisor: readiness, clear failures, and nothing left running."""

from __future__ import annotations

import socket
import sys

import pytest

from runtime.processes import StackError, Supervisor, port_in_use, require_free_ports


def test_busy_ports_are_named_in_the_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert port_in_use(port)
        with pytest.raises(StackError, match=rf"{port} \(relay\)"):
            require_free_ports({"relay": port, "other": 1})
    assert not port_in_use(port)


def test_children_are_stopped_on_exit(tmp_path):
    with Supervisor(tmp_path) as sup:
        child = sup.start("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
        assert child.alive()
    assert not child.alive()


def test_a_child_that_ignores_sigterm_is_killed(tmp_path):
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    sup = Supervisor(tmp_path)
    child = sup.start("stubborn", [sys.executable, "-c", code], ready=lambda: "up" in (tmp_path / "stubborn.log").read_text())
    sup.stop_all(timeout=0.5)
    assert not child.alive()


def test_a_child_that_dies_before_ready_reports_its_log(tmp_path):
    with Supervisor(tmp_path) as sup, pytest.raises(StackError, match="crasher exited with code 3:\nboom"):
        sup.start("crasher", [sys.executable, "-c", "print('boom'); raise SystemExit(3)"], ready=lambda: False)


def test_a_child_never_ready_times_out(tmp_path):
    with Supervisor(tmp_path) as sup, pytest.raises(StackError, match="was not ready after"):
        sup.start("slow", [sys.executable, "-c", "import time; time.sleep(60)"], ready=lambda: False, timeout=0.3)
