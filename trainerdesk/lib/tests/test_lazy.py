"""lib/lazy: nothing in sys.modules before first use, and a first use from many threads
at once gets the whole module in every one of them."""

import sys
import threading

from trainerdesk.lib.lazy import lazy_module

SLOW_MODULE = """
import time
time.sleep(0.3)  # a module that takes a while to execute, as NumPy does
VALUE = 42
"""


def test_first_use_from_many_threads_sees_the_whole_module(tmp_path, monkeypatch):
    (tmp_path / "td_slow_module.py").write_text(SLOW_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "td_slow_module", raising=False)

    module = lazy_module("td_slow_module")
    # Other libraries look into sys.modules (psycopg for numpy): no stand-in there.
    assert "td_slow_module" not in sys.modules

    seen, errors = [], []
    start = threading.Barrier(8)

    def use():
        start.wait()
        try:
            seen.append(module.VALUE)
        except AttributeError as exc:  # what the stdlib LazyLoader gave on Python 3.11
            errors.append(exc)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and seen == [42] * 8
    assert sys.modules["td_slow_module"].VALUE == 42
