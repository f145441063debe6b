"""The WSGI entry point freezes the collector's view of the heap once its worker has warmed up (tracker/wsgi.py)."""

import gc

from tracker import wsgi


def test_the_heap_is_frozen_once_after_the_warm_up_requests(monkeypatch):
    frozen = []
    monkeypatch.setattr(wsgi, "freeze", lambda: frozen.append(True))
    served = []
    application = wsgi.FreezeAfterWarmUp(lambda environ, start_response: served.append(environ) or [b"ok"], after=3)
    for expected in ([], [], [True], [True], [True]):
        assert application({}, None) == [b"ok"]
        assert frozen == expected
    assert len(served) == 5


def test_loading_the_application_freezes_what_it_loaded():
    assert isinstance(wsgi.application, wsgi.FreezeAfterWarmUp)
    assert gc.get_freeze_count() > 0
