"""The double-entry ledger (accounts, immutable transactions whose legs sum to zero)
and the members' commissions it pays out."""
