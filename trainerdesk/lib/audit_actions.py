"""Every action the audit log knows, in one reviewed list (no Django imports).

An action is `app.entity.verb`. `lib.audit.record()` refuses any name that is not here,
so a typo fails in the first test that reaches it instead of writing a row nobody can
filter for. Like Zulip's `AuditLogEventType`, the list is closed on purpose: adding an
action is a one-line change here, reviewed with the service that writes it.

Names are stored in every event and hashed into the chain: never rename or remove one
that has been written; add a new name instead and stop writing the old one.
"""

from __future__ import annotations

# action -> what happened, as shown on the audit page.
ACTIONS: dict[str, str] = {
    # accounts
    "accounts.organization.create": "Organization created",
    "accounts.membership.create": "Member added to the organization",
    "accounts.membership.update": "Organization role changed",
    "accounts.membership.delete": "Member removed from the organization",
    "accounts.user.create": "User created",
    "accounts.user.login": "Signed in",
    "accounts.user.login_failed": "Failed sign-in",
    "accounts.user.password_change": "Password changed",
    "accounts.apitoken.create": "API token created",
    "accounts.apitoken.revoke": "API token revoked",
    # workbench
    "workbench.project.create": "Project created",
    "workbench.project.update": "Project settings changed",
    "workbench.project.delete": "Project deleted",
    "workbench.project.schema_change": "Label schema changed",
    "workbench.guideline.create": "Guideline version published",
    "workbench.projectmember.create": "Project member added",
    "workbench.projectmember.update": "Project role changed",
    "workbench.projectmember.delete": "Project member removed",
    "workbench.item.bulk_create": "Items added",
    "workbench.item.bulk_delete": "Items deleted",
    "workbench.item.gold_mark": "Items marked or unmarked as gold",
    "workbench.item.bulk_assign": "Items assigned",
    "workbench.queue.share": "Queue shares assigned to annotators",
    "workbench.item.bulk_requeue": "Items put back in the queue (leases dropped)",
    "workbench.item.bulk_priority": "Item priority changed",
    "workbench.import.create": "Import started",
    "workbench.import.finish": "Import finished",
    "workbench.image.bulk_create": "Images uploaded",
    "workbench.export.create": "Project exported",
    "workbench.prediction.create": "Prediction added",
    "workbench.annotation.delete": "Annotation withdrawn",
    "workbench.comment.delete": "Comment deleted",
    "workbench.webhook.create": "Webhook created",
    "workbench.webhook.update": "Webhook changed",
    "workbench.webhook.delete": "Webhook deleted",
    "workbench.webhook.test": "Webhook test delivery sent",
    # quality
    "quality.review.accept": "Annotation accepted",
    "quality.review.reject": "Annotation rejected",
    "quality.review.fix": "Annotation fixed by a reviewer",
    "quality.review.send_back": "Annotation sent back",
    "quality.label_error_run.create": "Label-error run started",
    "quality.label_error_run.finish": "Label-error run finished (done or failed)",
    # governance: dataset versions
    "governance.dataset_version.create": "Dataset version requested",
    "governance.dataset_version.finish": "Dataset version built (done or failed)",
    "governance.dataset_version.update": "Dataset version tags or notes changed",
    "governance.dataset_version.export": "Dataset version exported",
    "quality.label_error.decide": "Label-error finding decided",
    "quality.gold_snapshot.create": "Gold accuracy snapshot recorded",
    "quality.agreement_report.create": "Agreement report started",
    "quality.agreement_report.finish": "Agreement report finished (done or failed)",
    "quality.scorecard.create": "Scorecard snapshot recorded",
    "quality.settings.update": "Quality settings changed (final label rule, gold pass rule)",
    # careers (public: a visitor with no account, recorded as system "public")
    "careers.assessment.record": "Career self-assessment kept with the visitor's consent",
    # vetting
    "vetting.assessment.create": "Assessment created",
    "vetting.assessment.update": "Assessment changed",
    "vetting.assessment.activate": "Assessment opened to candidates",
    "vetting.assessment.retire": "Assessment retired",
    "vetting.attempt.start": "Assessment attempt started",
    "vetting.attempt.score": "Assessment attempt scored",
    "vetting.attempt.abandon": "Assessment attempt abandoned",
    "vetting.evidence.create": "Evidence recorded",
    # placements
    "placements.policy.create": "Fair-play policy version created",
    "placements.submission.create": "Candidate submitted (or sourced) for an opening",
    "placements.submission.move": "Submission moved to another stage",
    "placements.ownership.create": "Candidate ownership at a client started",
    "placements.ownership.reassign": "Candidate ownership reassigned by staff",
    "placements.dispute.create": "Ownership dispute raised",
    "placements.dispute.resolve": "Ownership dispute resolved",
    "placements.interview.create": "Interview scheduled",
    "placements.interview.feedback": "Interview feedback recorded",
    "placements.offer.create": "Offer made",
    "placements.offer.answer": "Offer accepted or declined",
    "placements.placement.create": "Placement made (fee and commission fixed)",
    "placements.placement.start": "Placement started",
    "placements.placement.sweep": "Placements moved on by the guarantee sweep",
    "placements.placement.fall_off": "Placement fell off",
    # network
    "network.member.apply": "Applied for network membership",
    "network.member.approve": "Network member approved",
    "network.member.reject": "Network member application rejected",
    "network.membership.create": "Membership period opened (waiting for payment)",
    "network.membership.activate": "Membership payment received, period active",
    "network.membership.grace": "Membership period ended, grace period started",
    "network.membership.expire": "Membership expired",
    "network.membership.cancel": "Membership cancelled",
    "network.guide.complete": "Onboarding guide completed",
    "network.client.create": "Client created",
    "network.client.update": "Client changed",
    "network.client.approve": "Client approved",
    "network.client.reject": "Client rejected",
    "network.clientcontact.create": "Client contact added",
    "network.candidate.create": "Candidate added",
    "network.candidate.update": "Candidate profile changed",
    "network.candidate.merge": "Duplicate candidate merged",
    "network.candidate.invite": "Candidate invited to make their login",
    "network.representation.request": "Member asked to represent a candidate",
    "network.representation.grant": "Candidate let a member represent them",
    "network.representation.decline": "Candidate declined a member's request",
    "network.consent.grant": "Consent given",
    "network.consent.withdraw": "Consent withdrawn",
    "network.opening.create": "Role created",
    "network.opening.update": "Role changed",
    "network.opening.transition": "Role status changed",
    # matching (network)
    "network.ranking.create": "Candidates ranked for an opening",
    # contracts
    "contracts.version.publish": "Contract template version published",
    "contracts.contract.draft": "Contract drafted from a template version",
    "contracts.contract.send": "Contract sent to its party for signature",
    "contracts.contract.accept": "Contract accepted (signed) by its party",
    "contracts.contract.activate": "Signed contract made active",
    "contracts.contract.terminate": "Contract terminated",
    "contracts.contract.expire": "Contract expired at its end date",
    # privacy (GDPR)
    "privacy.audit.pseudonymise": "Personal data in audit events pseudonymised",
    "privacy.request.create": "Data-subject request logged",
    "privacy.request.verify": "Data-subject request: identity checked",
    "privacy.request.export": "Data-subject request: data bundle produced",
    "privacy.request.erase": "Data-subject request: personal data erased",
    "privacy.request.close": "Data-subject request closed",
    "privacy.subject.erase": "Person's personal data anonymised",
    "privacy.retention.run": "Retention run anonymised what was due",
    "privacy.retention.rule": "Retention rule set",
    # invoicing
    "invoicing.invoice.draft": "Invoice drafted (no number yet)",
    "invoicing.invoice.update": "Draft invoice changed",
    "invoicing.invoice.issue": "Invoice issued (numbered, PDF stored with its hash)",
    "invoicing.payment.record": "Payment recorded against an invoice",
    "invoicing.credit_note.issue": "Invoice credited by a credit note",
    "invoicing.vat.confirm": "Customer VAT id checked in VIES by staff",
    "invoicing.reminder.send": "Membership renewal reminder sent (renewal invoiced)",
    # billing (ledger and commissions)
    "billing.account.create": "Ledger account opened",
    "billing.transaction.post": "Ledger transaction posted",
    "billing.transaction.reverse": "Ledger transaction reversed",
    "billing.commission.open": "Commission opened for a placement",
    "billing.commission.client_paid": "Client payment recorded on a commission",
    "billing.commission.payable": "Commissions became payable (sweep)",
    "billing.commission.release_early": "Commission released before the guarantee ended",
    "billing.commission.in_payout": "Commission put into a payout",
    "billing.commission.out_of_payout": "Commission taken out of a failed payout",
    "billing.commission.paid": "Commission paid out",
    "billing.commission.claw_back": "Commission clawed back after a fall-off",
    "billing.commission.cancel": "Commission cancelled (placement fell off before release)",
}

# Actions that may have no actor at all: nobody is signed in when a sign-in fails.
ANONYMOUS_ACTIONS = frozenset({"accounts.user.login_failed"})

# Only these actions carry the client's IP address (personal data, kept where it is the
# point of the event: telling whose sign-ins came from where).
IP_ACTIONS = frozenset({"accounts.user.login", "accounts.user.login_failed"})
