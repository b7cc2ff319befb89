"""Journal entries: read them with their postings, and correct one by reversing it (idempotent)."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import exists, func, or_, select

from ..http.db import db_session
from ..db import models as m
from ..db import repository as repo
from ..ledger.entries import Entry, format_number
from ..ledger.money import fen_to_str
from ..http.security import access, current_actor
from ..services.ledger import find_entry, reverse_entry as reverse_service
from . import blp
from ..schemas.fields import Id, StrictDate
from ..schemas.ledger import ReversalIn as ReverseIn
from .schemas import IDEMPOTENCY_HEADER, PageQuery, idempotent, page_schema

BOOK_READERS = ("manager", "auditor")


class EntryQuery(PageQuery):
    from_ = StrictDate(data_key="from")
    to = StrictDate()
    fund_id = Id(strict=False)
    account = fields.String(validate=validate.Regexp(r"^[0-9][0-9.]{0,15}$", error="an account code such as 1002"))

    @validates_schema
    def _dates_in_order(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("to is before from", "to")


class PostingOut(Schema):
    line = fields.Integer()
    account = fields.String()
    account_name = fields.String()
    fund = fields.String()
    fund_id = fields.Integer(allow_none=True)
    fund_name = fields.String()
    debit = fields.String(metadata={"example": "100000.00"})
    credit = fields.String(metadata={"example": "0.00"})


class EntryOut(Schema):
    number = fields.String(metadata={"example": "2026-000001"})
    seq = fields.Integer(metadata={"description": "position in the hash chain"})
    accounting_date = fields.String()
    recorded_at = fields.String()
    code = fields.String()
    memo = fields.String()
    actor = fields.String()
    source = fields.String(allow_none=True)
    reverses = fields.String(allow_none=True, metadata={"description": "number of the entry this one reverses"})
    reversed_by = fields.String(allow_none=True, metadata={"description": "number of the entry reversing this one"})
    total = fields.String()
    prev_hash = fields.String()
    hash = fields.String()
    hash_version = fields.Integer()
    postings = fields.List(fields.Nested(PostingOut))


class _Names:
    """Account and fund names and fund ids, read once per request."""

    def __init__(self, session):
        self.accounts = {c: a.name for c, a in repo.load_accounts(session).items()}
        self.funds = dict(session.execute(select(m.Fund.code, m.Fund.name)).all())
        self.fund_ids = dict(session.execute(select(m.Fund.code, m.Fund.id)).all())
        self._session = session
        self._numbers: dict[int, str] = {}

    def number(self, seq: int | None) -> str | None:
        if seq is None:
            return None
        if seq not in self._numbers:
            row = self._session.execute(select(m.Entry.year, m.Entry.year_seq).where(m.Entry.id == seq)).first()
            self._numbers[seq] = format_number(row.year, row.year_seq) if row else None
        return self._numbers[seq]


def entry_json(session, entry: Entry, names: _Names | None = None, reversed_by: int | None = None) -> dict:
    names = names or _Names(session)
    return {
        "number": entry.number, "seq": entry.seq, "accounting_date": entry.accounting_date.isoformat(),
        "recorded_at": entry.recorded_at, "code": getattr(entry.code, "value", entry.code), "memo": entry.memo,
        "actor": entry.actor, "source": entry.source, "reverses": names.number(entry.reverses),
        "reversed_by": names.number(reversed_by), "total": fen_to_str(entry.total),
        "prev_hash": entry.prev_hash, "hash": entry.hash, "hash_version": entry.hash_version,
        "postings": [{"line": i, "account": p.account, "account_name": names.accounts.get(p.account, ""),
                      "fund": p.fund, "fund_id": names.fund_ids.get(p.fund), "fund_name": names.funds.get(p.fund, ""),
                      "debit": fen_to_str(p.debit), "credit": fen_to_str(p.credit)}
                     for i, p in enumerate(entry.postings, start=1)],
    }


def _filters(args: dict):
    conditions = []
    if args.get("from_"):
        conditions.append(m.Entry.accounting_date >= args["from_"])
    if args.get("to"):
        conditions.append(m.Entry.accounting_date <= args["to"])
    posting = select(m.Posting.entry_id).where(m.Posting.entry_id == m.Entry.id)
    if args.get("fund_id") is not None:
        posting = posting.join(m.Fund, m.Fund.code == m.Posting.fund_code).where(m.Fund.id == args["fund_id"])
    if args.get("account"):
        code = args["account"]  # the account itself or any of its sub-accounts (1002 takes 1002.01)
        posting = posting.where(or_(m.Posting.account_code == code,
                                    m.Posting.account_code.like(f"{code}.%", escape="\\")))
    if args.get("fund_id") is not None or args.get("account"):
        conditions.append(exists(posting))
    return conditions


@blp.route("/entries", methods=["GET"])
@blp.arguments(EntryQuery, location="query")
@blp.response(200, page_schema(EntryOut, "EntryPage"))
@access(*BOOK_READERS)
def list_entries(args):
    """Entries in chain order with their postings, filtered by accounting date (``from``, ``to``, inclusive),
    fund and account (an account takes its sub-accounts). Money is a string of yuan."""
    session = db_session()
    conditions = _filters(args)
    total = session.scalar(select(func.count()).select_from(m.Entry).where(*conditions)) or 0
    seqs = list(session.scalars(select(m.Entry.id).where(*conditions).order_by(m.Entry.id)
                                .limit(args["per_page"]).offset((args["page"] - 1) * args["per_page"])))
    items = []
    if seqs:
        names = _Names(session)
        reversals = dict(session.execute(select(m.Entry.reverses_id, m.Entry.id)
                                         .where(m.Entry.reverses_id.in_(seqs))).all())
        entries = repo.iter_entries(session, where=m.Entry.id.in_(seqs), chunk=None)
        items = [entry_json(session, e, names, reversals.get(e.seq)) for e in entries]
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"]}


@blp.route("/entries/<number>", methods=["GET"])
@blp.response(200, EntryOut)
@access(*BOOK_READERS)
def get_entry(number: str):
    """One entry by its number (``2026-000001``), with its postings and what reverses it, if anything."""
    session = db_session()
    entry = find_entry(session, number)
    return entry_json(session, entry, reversed_by=repo.reversed_by(session, entry.seq))


@blp.route("/entries/<number>/reverse", methods=["POST"])
@blp.arguments(ReverseIn)
@blp.response(201, EntryOut)
@blp.doc(parameters=IDEMPOTENCY_HEADER)
@access("manager")
def reverse_entry(body, number: str):
    """Correct an entry by posting its reversal (the same lines, sides swapped), with the reason shown in the
    books. Answers with the reversing entry. Send an Idempotency-Key."""
    session = db_session()

    def run():
        entry = reverse_service(session, current_actor(), number, body["reason"], accounting_date=body["on"])
        return 201, entry_json(session, entry)
    return idempotent(run)
