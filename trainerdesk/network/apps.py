from django.apps import AppConfig


class NetworkConfig(AppConfig):
    """The placement network's parties: members (recruiters) and their memberships,
    clients and their contacts, candidates with consent, clients' openings, matching."""

    name = "trainerdesk.network"
    label = "network"
