from django.urls import path

from trainerdesk.payouts import views, views_refunds

app_name = "payouts"

urlpatterns = [
    path("payouts/", views.batches, name="batches"),
    path("payouts/batches/new/", views.create_batch, name="create_batch"),
    path("payouts/batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("payouts/batches/<int:batch_id>/submit/", views.submit_batch, name="submit_batch"),
    path("payouts/batches/<int:batch_id>/file/", views.batch_file, name="batch_file"),
    path("payouts/payouts/<int:payout_id>/", views.payout_detail, name="payout"),
    path("payouts/payouts/<int:payout_id>/retry/", views.retry, name="retry"),
    path("payouts/payouts/<int:payout_id>/cancel/", views.cancel, name="cancel"),
    path(
        "payouts/payouts/<int:payout_id>/attempts/<int:number>/file/",
        views.attempt_file,
        name="attempt_file",
    ),
    path("payouts/statements/import/", views.import_statement, name="import_statement"),
    path("payouts/statements/<int:statement_id>/", views.statement_detail, name="statement"),
    path("payouts/cases/<int:case_id>/resolve/", views.resolve_case, name="resolve_case"),
    path("payouts/bank-accounts/<int:account_id>/verify/", views.verify_account, name="verify"),
    path("payouts/refunds/", views_refunds.refund_list, name="refunds"),
    path("payouts/refunds/send/", views_refunds.send_refund, name="send_refund"),
    path("payouts/refunds/record/", views_refunds.record_refund, name="record_refund"),
    path("payouts/refunds/<int:transfer_id>/file/", views_refunds.refund_file, name="refund_file"),
    path(
        "payouts/refunds/<int:transfer_id>/not-sent/",
        views_refunds.refund_not_sent,
        name="refund_not_sent",
    ),
    path("payouts/earnings/", views.earnings, name="earnings"),
    path("payouts/earnings/bank-account/", views.set_account, name="set_account"),
]
