"""The background worker's restart bookkeeping (trainerdesk/restarts.py), which gunicorn's
master runs for `trainerdesk serve`; test_cli.py kills a real one."""

import os
import signal
import time

from trainerdesk import restarts
from trainerdesk.restarts import ForkedChild, RestartingWorker


class FakeChild:
    def __init__(self):
        self.returncode = None
        self.signals = []

    def poll(self):
        return self.returncode

    def send_signal(self, sig):
        self.signals.append(sig)


class Spawner:
    def __init__(self):
        self.children = []

    def __call__(self):
        self.children.append(FakeChild())
        return self.children[-1]


def test_a_dead_worker_restarts_after_a_pause_that_doubles_with_each_quick_crash(capsys):
    spawn = Spawner()
    worker = RestartingWorker(spawn, now=0.0)
    now = 0.0
    for delay in (1, 2, 4, 8):
        spawn.children[-1].returncode = 1
        worker.check(now)  # notices the death, schedules the restart
        assert len(spawn.children) == 1 + [1, 2, 4, 8].index(delay)
        worker.check(now + delay - 0.01)
        assert worker.process is None  # not before the pause is over
        now += delay
        worker.check(now)
        assert worker.process is spawn.children[-1]
        assert f"exited with code 1; restarting it in {delay} s." in capsys.readouterr().err


def test_a_worker_that_ran_long_enough_starts_the_count_again():
    spawn = Spawner()
    worker = RestartingWorker(spawn, now=0.0)
    spawn.children[-1].returncode = 1
    worker.check(1.0)
    worker.check(3.0)
    spawn.children[-1].returncode = -9
    worker.check(3.0 + restarts.STABLE_AFTER)
    assert worker.crashes == 1  # a one-second pause again, not two


def test_it_gives_up_loudly_after_too_many_quick_crashes(capsys):
    spawn = Spawner()
    worker = RestartingWorker(spawn, now=0.0)
    now = 0.0
    for _ in range(restarts.MAX_QUICK_CRASHES + 1):
        spawn.children[-1].returncode = 3
        worker.check(now)
        now += restarts.MAX_RESTART_DELAY
        worker.check(now)
    assert worker.given_up and worker.process is None
    assert len(spawn.children) == restarts.MAX_QUICK_CRASHES + 1
    assert "not restarting it again" in capsys.readouterr().err


def test_a_graceful_restart_stops_the_worker_and_starts_a_new_one_at_once():
    spawn = Spawner()
    worker = RestartingWorker(spawn, now=0.0)
    worker.restart_gracefully()
    assert spawn.children[0].signals == [signal.SIGTERM]
    spawn.children[0].returncode = 0
    worker.check(0.5)
    assert len(spawn.children) == 2 and worker.crashes == 0


def test_a_forked_child_reports_its_exit_code_or_signal():
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    child = ForkedChild(pid)
    deadline = time.monotonic() + 10
    while child.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert child.returncode == 7
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    child = ForkedChild(pid)
    child.send_signal(signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    assert child.poll() == -signal.SIGKILL


def test_a_child_reaped_by_someone_else_counts_as_exited():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # gunicorn's waitpid(-1) got there first
    assert ForkedChild(pid).poll() == -255
