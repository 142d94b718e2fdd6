"""Quality records: what was computed (gold accuracy, agreement, review decisions,
scorecards, label-error runs), when, and over which items."""
