"""The financial statements of issue 6, computed in the database: one function per report, each
returning a frozen dataclass that the page, the CSV, the JSON and the PDF are all rendered from.

==================== ================================== ===========================================
report               function                           figures come from
==================== ================================== ===========================================
trial-balance        :func:`trial_balance`              running balances / daily totals
general-journal      :func:`general_journal`            entries and postings in the period (streamed)
account-ledger       :func:`account_ledger`             daily totals (opening) + the account's postings
fund-statement       :func:`fund_statement`             daily totals (opening, closing) + postings
activities           :func:`activities`                 daily totals in the period (less closing entries)
financial-position   :func:`financial_position`         daily totals up to the date and to the year start
cash-flow            :func:`cash_flow`                  postings of entries that moved cash, netted per entry
                                                        and class of counter-account; daily totals (cash)
donor-list           :func:`donor_list`                 donations, grouped by donor
grant-register       :func:`grant_register`             disbursement requests and their events
spending-ratio       :func:`spending_ratio`             daily totals of last year and this year
notes                :func:`notes`                      the statements above, per fund and whole; gifts;
                                                        disbursements; the related-party register; the texts
==================== ================================== ===========================================

Sums are SQL aggregates (``GROUP BY`` account and fund), never Python loops over postings, except in
the two reports that list postings (journal, account ledger), which stream them. The arithmetic of
the statements lives in :mod:`fund_ledger.ledger.statements` (pure). Each report carries the ledger
digest (entries, head hash) read in the same snapshot, so a printed statement names the books it
was built from.

One module per kind of statement: :mod:`.books` (trial balance, journal, account ledger), :mod:`.financial`
(fund statement, 业务活动表, 资产负债表), :mod:`.cash_flow` (现金流量表), :mod:`.registers` (donors, grants, spending ratio); what they share
(the digest, fund and date checks, per-day totals) in :mod:`.common`; the notes to the statements (会计报表附注),
read through the statements, in :mod:`.notes`.
"""
from __future__ import annotations

from .books import (AccountLedger, GeneralJournal, JournalEntry, JournalLine, LedgerLine, account_ledger,
                    general_journal, iter_journal, journal_line_count, trial_balance)
from .cash_flow import CashFlow, CashFlowPeriod, cash_flow
from .common import (EARLIEST, LATEST, Digest, FundRef, ReportTooLarge, check_as_of, check_period, digest,
                     find_fund_ref)
from .financial import (Activities, FinancialPosition, FundStatement, PositionLine, activities, financial_position,
                        fund_statement)
from .notes import Notes, notes
from .registers import (DonorList, DonorRow, GrantRegister, GrantRow, SpendingRatio, donor_list, grant_register,
                        spending_ratio, spending_thresholds)

__all__ = [
    "Digest", "FundRef", "ReportTooLarge", "trial_balance", "general_journal", "iter_journal", "journal_line_count",
    "GeneralJournal", "JournalEntry", "JournalLine", "account_ledger", "AccountLedger", "LedgerLine",
    "fund_statement", "FundStatement", "activities", "Activities", "financial_position", "FinancialPosition",
    "PositionLine", "donor_list", "DonorList", "DonorRow", "grant_register", "GrantRegister", "GrantRow",
    "spending_ratio", "SpendingRatio", "spending_thresholds", "find_fund_ref", "check_period", "check_as_of", "digest",
    "EARLIEST", "LATEST", "cash_flow", "CashFlow", "CashFlowPeriod", "notes", "Notes",
]
