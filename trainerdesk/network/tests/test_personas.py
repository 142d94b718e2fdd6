def test_personas(staff, member, other_member, client_user, candidate):
    assert candidate.candidate.representations.get().member.user == member
    assert member.network_member.memberships.get().status == "active"
