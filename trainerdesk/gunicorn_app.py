"""`python -m trainerdesk.gunicorn_app [--task-worker] [gunicorn options]`: gunicorn as
`trainerdesk serve` runs it, with the background worker as a child of gunicorn's master.

The master preloads the app (gunicorn_conf.py) and forks the web workers from it; with
--task-worker it forks the background worker (`trainerdesk worker`) from it as well, so
that worker shares the master's Django, models and services copy-on-write instead of
being an interpreter of its own (the tree's idle PSS 152 -> 124-126 MB: docs/benchmarks.md,
"Issue 9's last two targets"). The master restarts it
when it dies (restarts.py: 1 s, 2 s, 4 s ... up to a minute; given up after ten quick
crashes in a row, the web server still serving), stops it with the web workers (SIGTERM:
it finishes its current task within the graceful timeout, else it is killed), and on
SIGHUP restarts it after its current task, like the web workers, from the code the master
loaded at start.

The worker is named "td-worker" (/proc/PID/comm, what `ps -o comm`, top and the tests
show): a forked child keeps its parent's command line. `trainerdesk worker` on its own
is unchanged and still loads no web stack (test_footprint.py).
"""

from __future__ import annotations

import os
import signal
import sys
import time
import traceback

from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.arbiter import Arbiter

from trainerdesk.restarts import ForkedChild, RestartingWorker, prctl

TASK_WORKER_NAME = b"td-worker"
TASK_WORKER_FLAG = "--task-worker"


class TaskWorkerArbiter(Arbiter):
    """gunicorn's master, also forking and minding one background worker."""

    task_worker: RestartingWorker | None = None
    stopping = False

    def manage_workers(self) -> None:
        if not self.stopping:
            now = time.monotonic()
            if self.task_worker is None:
                # The first call comes after when_ready() loaded and froze the app; the
                # background worker is forked before the web workers, so it is there
                # once the server answers.
                self.task_worker = RestartingWorker(self.spawn_task_worker, now)
            else:
                self.task_worker.check(now)
        super().manage_workers()

    def reap_workers(self) -> None:
        # Claim the background worker's exit status with a waitpid on its pid before
        # gunicorn's waitpid(-1) reaps it as an unknown child.
        if self.task_worker is not None and self.task_worker.process is not None:
            self.task_worker.process.poll()
        super().reap_workers()

    def reload(self) -> None:
        super().reload()
        if self.task_worker is not None:
            self.task_worker.restart_gracefully()

    def stop(self, graceful: bool = True) -> None:
        self.stopping = True
        limit = time.monotonic() + self.cfg.graceful_timeout
        worker = self.task_worker.process if self.task_worker is not None else None
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
        super().stop(graceful)
        if worker is None:
            return
        while worker.poll() is None and time.monotonic() < limit:
            time.sleep(0.1)
        if worker.poll() is None:
            self.log.warning("The background worker did not stop in time; killing it.")
            worker.send_signal(signal.SIGKILL)
            os.waitpid(worker.pid, 0)

    def spawn_task_worker(self) -> ForkedChild:
        from trainerdesk.lib.gcpause import freeze_for_fork

        freeze_for_fork()  # what the master holds stays shared (gunicorn_conf.py)
        pid = os.fork()
        if pid:
            self.log.info("Booting background worker with pid: %s", pid)
            return ForkedChild(pid)
        self._become_task_worker()
        raise AssertionError("unreachable")  # _become_task_worker always exits

    def _become_task_worker(self) -> None:
        """In the forked child: drop what is the master's, then run `trainerdesk worker`."""
        code = 1
        try:
            for sig in (*self.SIGNALS, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            for listener in self.LISTENERS:
                listener.close()  # never accepts a connection; don't hold the port
            for web_worker in self.WORKERS.values():
                web_worker.tmp.close()
            prctl(15, TASK_WORKER_NAME)  # PR_SET_NAME
            prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: a killed master takes it along
            from trainerdesk.cli import main

            main(["worker", "--verbosity=1"])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - report anything, then leave with code 1
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


class TrainerDeskApplication(WSGIApplication):
    def __init__(self, *, task_worker: bool) -> None:
        self.task_worker = task_worker
        super().__init__("%(prog)s [OPTIONS]", prog="trainerdesk.gunicorn_app")

    def run(self) -> None:
        if not self.task_worker or self.cfg.print_config or self.cfg.check_config:
            super().run()
            return
        # BaseApplication.run with this arbiter; serve sets none of the daemon, spew or
        # pythonpath options Application.run also handles.
        try:
            TaskWorkerArbiter(self).run()
        except RuntimeError as exc:
            sys.stderr.write(f"\nError: {exc}\n")
            sys.exit(1)


def main() -> None:
    task_worker = TASK_WORKER_FLAG in sys.argv[1:]
    sys.argv = [arg for arg in sys.argv if arg != TASK_WORKER_FLAG]
    TrainerDeskApplication(task_worker=task_worker).run()


if __name__ == "__main__":
    main()
