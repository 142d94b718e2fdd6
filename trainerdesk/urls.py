from django.urls import include, path

from trainerdesk.api import api

urlpatterns = [
    path("accounts/", include("trainerdesk.accounts.urls")),
    path("api/v1/", api.urls),
    path("careers/", include("trainerdesk.careers.urls")),
    path("network/", include("trainerdesk.network.urls_matching")),
    path("", include("trainerdesk.accounts.urls_audit")),
    path("", include("trainerdesk.billing.urls")),
    path("", include("trainerdesk.network.urls")),
    path("", include("trainerdesk.quality.urls")),
    path("", include("trainerdesk.evaluation.urls")),
    path("", include("trainerdesk.governance.urls")),
    path("", include("trainerdesk.vetting.urls")),
    path("", include("trainerdesk.placements.urls")),
    path("", include("trainerdesk.contracts.urls")),
    path("", include("trainerdesk.privacy.urls")),
    path("", include("trainerdesk.invoicing.urls")),
    path("", include("trainerdesk.payouts.urls")),
    path("", include("trainerdesk.workbench.urls")),
]
