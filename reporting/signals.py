"""What reporting announces. Sent inside the transaction that records the
work, so receivers (notifications' outbox) write their rows in it too."""

from django.dispatch import Signal

# The monthly statistics mail to one coordinator, written whole here because
# its report is built from the statistics: sent with `coordinator`, `region`,
# `month` ("YYYY-MM"), `subject`, `body` (plain text, in the coordinator's
# language) and `attachment` (filename, content, content type), inside the
# transaction that records the mail in the ledger (reporting.models.MonthlyReportMail).
statistics_report_ready = Signal()
