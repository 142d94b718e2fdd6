"""The pure manifest core: canonical JSON, record hashes, version ids, diffs."""

import hashlib

import pytest

from trainerdesk.governance import manifest


def _payload(**over):
    base = {
        "content_hash": "c1",
        "final": {"topic": "sport"},
        "annotator_ids": [3, 1, "imported:ann"],
        "guideline_versions": [2, 1, 2, None],
        "reviews": [{"annotation": 9, "decision": "accepted", "reviewer": 4, "extra": "x"}],
    }
    base.update(over)
    return manifest.record_payload(**base)


def test_canonical_json_is_sorted_compact_utf8():
    assert manifest.canonical_json({"b": 1, "a": {"d": "é", "c": [2, 1]}}) == (
        '{"a":{"c":[2,1],"d":"é"},"b":1}'.encode()
    )


def test_record_payload_orders_lists_and_keeps_known_review_keys():
    p = _payload()
    assert p["annotators"] == [1, 3, "imported:ann"]
    assert p["guideline_versions"] == [1, 2]
    assert p["reviews"] == [{"annotation": 9, "decision": "accepted", "reviewer": 4}]
    # The hash is exactly sha256 of the canonical bytes.
    assert manifest.record_hash(p) == hashlib.sha256(manifest.canonical_json(p)).hexdigest()
    # Annotator order does not matter; the answer does.
    assert manifest.record_hash(_payload(annotator_ids=["imported:ann", 1, 3])) == (
        manifest.record_hash(p)
    )
    assert manifest.record_hash(_payload(final={"topic": "tech"})) != manifest.record_hash(p)


def test_version_id_is_the_digest_of_sorted_lines():
    lines = [(10, "bb"), (2, "aa")]
    expected = hashlib.sha256(b"2\taa\n10\tbb\n").hexdigest()
    assert manifest.version_id(lines) == expected
    assert manifest.version_id(reversed(lines)) == expected
    d = manifest.VersionDigest()
    with pytest.raises(ValueError, match="ascend"):
        d.add(5, "x")
        d.add(5, "y")


def test_diff_on_a_constructed_example():
    old = [
        (1, "h1", {"topic": "sport"}),
        (2, "h2", {"topic": "tech"}),
        (3, "h3", {"topic": "business"}),
        (4, "h4", {"topic": "sport"}),
        (5, "h5", {"topic": "tech"}),
    ]
    new = [
        (2, "h2", {"topic": "tech"}),  # unchanged
        (3, "h3x", {"topic": "sport"}),  # relabelled business -> sport
        (4, "h4x", {"topic": "sport"}),  # a new review, same final
        (5, "h5x", {"topic": "sport"}),  # relabelled tech -> sport
        (6, "h6", {"topic": "tech"}),  # added
    ]
    d = manifest.diff_manifests(old, new)
    assert d.added == [6]
    assert d.removed == [1]
    assert d.relabelled == [3, 5]
    assert d.changed == [4]
    assert d.unchanged == 1
    (topic,) = d.fields
    assert dict(topic.transitions) == {
        ("tech", "tech"): 1,
        ("business", "sport"): 1,
        ("sport", "sport"): 1,
        ("tech", "sport"): 1,
    }
    # kappa by hand: 4 items, old = [tech, business, sport, tech], new = [tech, sport,
    # sport, sport]; p_o = 2/4; marginals old (b 1, s 1, t 2), new (s 3, t 1):
    # p_e = (1*3 + 2*1) / 16 = 5/16; kappa = (1/2 - 5/16) / (1 - 5/16) = 3/11.
    assert topic.kappa.value == pytest.approx(3 / 11)
    assert topic.alpha.ok
    out = d.as_dict(limit=1)
    assert out["relabelled"] == 2 and out["relabelled_ids"] == [3]


def test_diff_labels_missing_and_structured_values():
    d = manifest.diff_manifests([(1, "a", None)], [(1, "b", {"tags": ["x", "y"]})])
    assert d.relabelled == [1]
    assert dict(d.fields[0].transitions) == {("(none)", '["x","y"]'): 1}
    assert not d.fields[0].kappa.ok  # no single-label pairs
