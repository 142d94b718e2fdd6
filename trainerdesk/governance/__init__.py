"""Governance: dataset versions and their diffs, bias audits, and datasheets, model cards
and EU AI Act Annex IV documents drawn from real lineage."""
