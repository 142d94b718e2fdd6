"""The gunicorn worker class `trainerdesk serve` runs: gthread, draining its backlog on stop.

Stock gthread, told to stop, stops accepting but keeps its listening sockets open until
it exits; connections that reach the kernel's listen queue meanwhile (the client has
connected and sent its request) are reset when it finally closes them. Under load that
dropped 15-16 requests per SIGTERM (16 clients, measured with the old supervisor and
with the new). This worker takes what is already queued, then closes its listening
sockets at once, so a later attempt is refused (never sent, safe for a client or proxy
to retry) instead of accepted and dropped. In-flight requests are then finished within
gunicorn's graceful timeout, as before. Imports only gunicorn (it loads in the master).
"""

from __future__ import annotations

from gunicorn.workers.gthread import ThreadWorker


class DrainingThreadWorker(ThreadWorker):
    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        # Also called while running, when the worker is at its connection limit.
        if enabled or self.alive:
            return
        for listener in self.sockets:
            while True:
                taken = self.nr_conns
                self.accept(listener)  # non-blocking; stops at an empty queue
                if self.nr_conns == taken:
                    break
            listener.close()
