"""`python -m trainerdesk ...` is the `trainerdesk` command without installing it."""

from trainerdesk.cli import main

main()
