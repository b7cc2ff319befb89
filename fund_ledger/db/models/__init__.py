"""Tables. Entries, postings and period seals are append-only: the database's own triggers (see the
initial migration) refuse UPDATE and DELETE, refuse an entry that does not balance or does not
continue the hash chain, and keep the balance tables current in the same transaction.

One module per part of the domain: :mod:`.books` (the journal, balances, periods, audit reports),
:mod:`.people` (organisations, users, tokens, the audit log), :mod:`.gifts` (donors, pledges, donations),
:mod:`.disbursements` (disbursements, programmes, use reports, attachments), :mod:`.jobs` (background work), :mod:`.disclosures` (published items); all
on one :class:`.base.Base`.
Everyone imports them from here (``from ..db import models as m``)."""
from __future__ import annotations

from .base import NAMING, Base
from .books import Account, AccountBalance, AuditReport, DailyTotal, Entry, Fund, Period, Posting
from .gifts import Donation, Donor, ImportBatch, Pledge, PledgeInstalment
from .disbursements import (Disbursement, DisbursementAttachment, DisbursementEvent, DisbursementReport, GrantProgramme,
                     ProgrammeOrganisation)
from .disclosures import AnnualReport, PublishedItem, RelatedParty, ReportText, Setting
from .jobs import Job
from .people import ApiToken, AuditLog, IdempotencyKey, LoginFailure, Organisation, RateCount, User

__all__ = [
    "NAMING", "Base", "Account", "Fund", "Entry", "Posting", "AccountBalance", "DailyTotal", "Period",
    "AuditReport", "Organisation", "User", "ApiToken", "AuditLog", "IdempotencyKey", "LoginFailure", "RateCount", "Donor", "Pledge",
    "PledgeInstalment", "ImportBatch", "Donation", "Disbursement", "DisbursementEvent", "GrantProgramme",
    "ProgrammeOrganisation", "DisbursementReport", "DisbursementAttachment", "Job", "PublishedItem",
    "RelatedParty", "ReportText", "AnnualReport", "Setting",
]
