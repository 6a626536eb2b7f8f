"""The monthly money report as spreadsheet rows (nursery_ops.spreadsheet writes the CSV): yuan with two decimals."""

from collections.abc import Callable

from nursery_ops.billing.forms import KIND_LABELS, METHOD_LABELS
from nursery_ops.billing.rules import fen_text
from nursery_ops.billing.service import MoneyReport
from nursery_ops.i18n import N_
from nursery_ops.spreadsheet import cell

CSV_REPORTS = ("income", "payments", "balances", "refunds")


def csv_rows(report: MoneyReport, which: str, _: Callable[..., str]) -> list[list[str]]:
    if which == "income":
        rows = [[_(N_("Item")), _(N_("Amount (yuan)"))]]
        rows += [[_(KIND_LABELS[row.kind]), fen_text(row.amount_fen)] for row in report.income]
        rows.append([_(N_("Total")), fen_text(report.income_fen)])
    elif which == "payments":
        rows = [[_(N_("Receipt")), _(N_("Paid on")), _(N_("Child")), _(N_("Method")), _(N_("Reference")),
                 _(N_("Received by")), _(N_("Amount (yuan)"))]]
        rows += [[row.payment.receipt_number, row.payment.paid_on.isoformat(), cell(row.child.full_name),
                  _(METHOD_LABELS[row.payment.method]), cell(row.payment.reference), cell(row.received_by),
                  fen_text(row.payment.amount_fen)] for row in report.payments]
        rows.append([_(N_("Total")), "", "", "", "", "", fen_text(report.received_fen)])
    elif which == "balances":
        rows = [[_(N_("Contract")), _(N_("Child")), _(N_("Billed (yuan)")), _(N_("Paid (yuan)")),
                 _(N_("Refunds (yuan)")), _(N_("Refunds paid out (yuan)")), _(N_("Balance (yuan)"))]]
        rows += [[str(row.contract.id), cell(row.child.full_name), fen_text(row.billed_fen), fen_text(row.paid_fen),
                  fen_text(row.refunds_fen), fen_text(row.refunds_paid_fen), fen_text(row.balance_fen)]
                 for row in report.balances]
        rows.append([_(N_("Total")), "", "", "", "", "", fen_text(report.outstanding_fen)])
    else:
        rows = [[_(N_("Refund")), _(N_("Child")), _(N_("Requested on")), _(N_("Due on")), _(N_("Amount (yuan)"))]]
        rows += [[f"#{row.refund.id}", cell(row.child.full_name), row.refund.requested_on.isoformat(),
                  row.refund.due_on.isoformat(), fen_text(row.refund.amount_fen)] for row in report.refunds_due]
        rows.append([_(N_("Total")), "", "", "", fen_text(report.refunds_due_fen)])
    return rows

