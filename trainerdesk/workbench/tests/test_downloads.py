"""Streamed exports leave web threads for the pages: at most TRAINERDESK_MAX_DOWNLOADS
stream at once per process (lib/streams.py), the next one is told to try again, and a
slot comes back when a download ends, is closed or is dropped."""

import pytest
from django.urls import reverse

from trainerdesk.lib import streams

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_slot_left_behind():
    assert streams.active_downloads() == 0
    yield
    assert streams.active_downloads() == 0


def test_slots_are_limited_and_come_back_when_used_up_or_closed():
    a = streams.hold_download_slot(iter([b"a", b"b"]), limit=2)
    b = streams.hold_download_slot(iter([b"c"]), limit=2)
    with pytest.raises(streams.DownloadsBusy, match="2 downloads are already streaming"):
        streams.hold_download_slot(iter([]), limit=2)
    assert b"".join(a) == b"ab"  # used up: its slot is free again
    c = streams.hold_download_slot(iter([]), limit=2)
    b.close()
    b.close()  # closing twice frees one slot, not two
    assert streams.active_downloads() == 1
    del c  # dropped unsent (CPython frees it at once)
    assert streams.active_downloads() == 0


def test_an_export_beyond_the_limit_is_refused_with_a_message(client_for, owner, project, settings):
    settings.MAX_DOWNLOADS = 1
    busy = streams.hold_download_slot(iter([b""]), limit=1)  # another download streaming
    client = client_for(owner)
    url = reverse("workbench:project_export", args=[project.pk]) + "?format=jsonl"
    refused = client.get(url)
    assert refused.status_code == 503
    assert refused["Retry-After"] == "30"
    assert "1 download is already streaming" in refused.content.decode()
    busy.close()
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).count(b"\n") == 3


def test_the_api_export_beyond_the_limit_is_a_503(client_for, owner, project, settings):
    settings.MAX_DOWNLOADS = 1
    busy = streams.hold_download_slot(iter([b""]), limit=1)
    url = f"/api/v1/projects/{project.pk}/export?format=jsonl"
    refused = client_for(owner).get(url)
    assert refused.status_code == 503
    assert "already streaming" in refused.json()["message"]
    busy.close()
    response = client_for(owner).get(url)
    assert response.status_code == 200
    b"".join(response.streaming_content)


def test_a_selection_export_beyond_the_limit_goes_back_with_a_message(client_for, owner, project,
                                                                      settings):  # fmt: skip
    settings.MAX_DOWNLOADS = 1
    busy = streams.hold_download_slot(iter([b""]), limit=1)
    ids = list(project.items.values_list("pk", flat=True))
    client = client_for(owner)
    url = reverse("workbench:data_manager_action", args=[project.pk])
    response = client.post(url, {"action": "export", "item": ids}, follow=True)
    assert "already streaming" in response.content.decode()
    busy.close()
