"""gunicorn's configuration for `trainerdesk serve` (supervisor.py passes bind, workers, threads
to trainerdesk/gunicorn_app.py, whose master also forks the background worker).

The app is loaded once, in the master, before the web workers are forked (`preload_app`),
so the workers share its memory copy-on-write instead of each importing Django, the URL
conf, the views and the API on its own (~60 MB a worker, docs/benchmarks.md). Two things
would quietly unshare those pages again: the cyclic garbage collector, which writes into
the header of every object it examines, and database connections opened in the master,
which every worker would then share. So the master loads with the collector off, warms up
what each request would load anyway, closes its connections and freezes what it holds
(lib/gcpause.freeze_for_fork), then forks.

The price: SIGHUP starts fresh workers from the master's already-loaded code and settings,
so changed Python files (or environment) need `serve` restarted (README). Imports only
the standard library at module level: gunicorn reads it before the app loads (and once:
`python:` config modules are imported, not re-run, on SIGHUP).
"""

from __future__ import annotations

import gc

wsgi_app = "trainerdesk.wsgi:application"
preload_app = True
worker_class = "trainerdesk.gunicorn_worker.DrainingThreadWorker"
graceful_timeout = 15  # supervisor.STOP_TIMEOUT is above it, so requests can finish
accesslog = "-"
# One fixed control-socket path per user would clash between several serve processes on
# one machine; nothing here uses it.
control_socket_disable = True

WARM_TEMPLATES = ("accounts/login.html", "workbench/home.html", "workbench/project_detail.html")

# Off while the app loads, so the objects it creates are not scattered between the holes
# that collections would leave; freeze_for_fork turns it on again.
gc.disable()


def when_ready(server) -> None:
    """In the master, once the app is loaded and the socket is open, before any fork."""
    from django.db import connections
    from django.template.loader import get_template
    from django.urls import reverse

    from trainerdesk.lib.gcpause import freeze_for_fork

    # Import the URL conf (every view, the API and its schemas) and build the resolver's
    # lookup tables here, once, rather than in each worker on its first request.
    reverse("accounts:login")
    # And the template engine with the pages every visitor sees (base.html under all).
    for name in WARM_TEMPLATES:
        get_template(name)
    connections.close_all()
    freeze_for_fork()


def pre_fork(server, worker) -> None:
    # A worker restarted later (a crash, SIGHUP) shares whatever the master holds by then.
    from trainerdesk.lib.gcpause import freeze_for_fork

    freeze_for_fork()
