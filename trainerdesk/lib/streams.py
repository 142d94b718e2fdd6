"""Long downloads must leave web threads for the pages (no Django imports).

A streamed export holds its gunicorn thread until the client has read the last byte: a
few big exports to slow clients took every thread of `trainerdesk serve` (2 processes x 4
threads), and the next page request waited in the queue for the first of them to end
(measured: /projects/1/members/ 0.02 s idle, 53 s with 8 exports of 350 MB streaming).
So each process lets at most `limit` downloads stream at once and refuses the next with
a message; the other threads stay free for everyone else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

_lock = threading.Lock()
_active = 0


class DownloadsBusy(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"{limit} download{'s are' if limit != 1 else ' is'} already streaming from this "
            "server process; try again when one has finished (or raise "
            "TRAINERDESK_MAX_DOWNLOADS together with `trainerdesk serve --threads`)"
        )


class _Held(Iterator[bytes]):
    """The chunks, holding one download slot until they are used up or the response is
    closed (the WSGI server closes it also when the client goes away)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._held = True

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        global _active
        if not self._held:
            return
        self._held = False
        with _lock:
            _active -= 1
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()

    # A response dropped without being closed (never sent) must not keep its slot.
    def __del__(self) -> None:
        self.close()


def hold_download_slot(chunks: Iterable[bytes], *, limit: int) -> Iterator[bytes]:
    """`chunks` with a slot taken, or DownloadsBusy when `limit` downloads stream already."""
    global _active
    with _lock:
        if _active >= limit:
            raise DownloadsBusy(limit)
        _active += 1
    return _Held(chunks)


def active_downloads() -> int:
    return _active
