from django.apps import AppConfig


class NetworkConfig(AppConfig):
    """The placement network's parties: members (recruiters) and their memberships,
    clients and their contacts, candidates with consent, clients' openings, matching."""

    name = "trainerdesk.network"
    label = "network"

    def ready(self) -> None:
        # The person's rows in this app answer GDPR access and erasure requests.
        from trainerdesk.network.personal_data import NetworkHandler
        from trainerdesk.privacy import registry

        registry.register(NetworkHandler())

    def load_demo(self, *, stdout=None, limit: int | None = None) -> dict:
        """Called by `trainerdesk demo` (after the vetting demo): the network's parties and
        roles, printing their logins."""
        from trainerdesk.network.demo import load_network_demo

        summary = load_network_demo(stdout=stdout)
        if stdout is not None:
            stdout.write("Network demo logins (demo credentials only):\n")
            for username, role in summary["logins"].items():
                stdout.write(f"  {username:<15} / {summary['password']}   ({role})\n")
        return summary

    def remove_demo(self, *, stdout=None) -> None:
        from trainerdesk.network.demo import remove_network_demo

        remove_network_demo(stdout=stdout)
