import hashlib

from trainerdesk.lib.digest import LineDigest, lines_digest


def test_canonical_lines_are_tab_separated_and_each_ended_by_a_newline():
    assert lines_digest([(1, "a"), (2, "b")]) == hashlib.sha256(b"1\ta\n2\tb\n").hexdigest()


def test_unterminated_form_reproduces_the_stored_gold_digests():
    pairs = [(3, 9), (1, 4)]
    old = hashlib.sha256("\n".join(f"{i}\t{a}" for i, a in sorted(pairs)).encode()).hexdigest()
    assert lines_digest(sorted(pairs), terminated=False) == old
    assert lines_digest([], terminated=False) == hashlib.sha256(b"").hexdigest()


def test_incremental_and_whole_forms_agree():
    digest = LineDigest()
    digest.add(1, "2026-01-01T00:00:00+00:00")
    assert digest.hexdigest() == lines_digest([(1, "2026-01-01T00:00:00+00:00")])
