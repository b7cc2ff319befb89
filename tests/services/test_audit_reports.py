"""Audit reports, as issue 6 asks, on both databases: issued for a closed month, stored as bytes that every
download returns unchanged, recognised when uploaded back, and the ledger checked against the digest they
print: a posting altered behind the triggers' back makes the report 'not matching' and names the entry."""
from __future__ import annotations

from datetime import timedelta

import hashlib
import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fund_ledger.db import repository as repo
from fund_ledger.db.engine import write_session
from fund_ledger.ledger.chain import entry_hash
from fund_ledger.ledger.merkle import EMPTY_ROOT, gift_leaf, verify_inclusion
from fund_ledger.reports.audit_bundle import read_marker, trial_balance_at_head
from fund_ledger.reports.audit_reports import issue_report
from fund_ledger.reports.pdf import trial_balance_pdf
from fund_ledger.reports.trial_balance import build_trial_balance
from fund_ledger.services import audit_reports as svc
from fund_ledger.services.actor import Actor
from fund_ledger.services import donations as donations_svc
from fund_ledger.services.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleBroken
from fund_ledger.services.periods import close_period
from fund_ledger.services.verify import period_seal, verify_ledger
from tests.api.test_donations_api import Api, assert_problem, sql
from tests.db.tamper import disable_guards
from tests.factories import MANAGER, TODAY, gift_draft, make_fund, post


@pytest.fixture
def api(client, api_token):
    return Api(client, api_token("manager"))


@pytest.fixture
def auditor(client, api_token):
    return Api(client, api_token("auditor"))


BOUNDARY = "----fund-ledger-test-boundary"


def multipart(data: bytes, name: str = "report.pdf", fields: dict | None = None) -> bytes:
    """A multipart body built by hand: Werkzeug's test builder spools big uploads to a temporary file it
    never closes (a ResourceWarning, an error under filterwarnings)."""
    parts = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in (fields or {}).items()]
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f'Content-Type: application/pdf\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def upload(client, data: bytes, name: str = "report.pdf", headers=None, path="/api/v1/audit-reports/verify",
           fields=None):
    return client.post(path, data=multipart(data, name, fields), headers=headers or {},
                       content_type=f"multipart/form-data; boundary={BOUNDARY}")


def issued_report(api) -> dict:
    assert api.post("/periods/2026-09/close").status_code == 201
    response = api.post("/audit-reports", {"period": "2026-09"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------------------------------------- done when

def test_issue_download_verify_then_tamper(app, api, auditor, client):
    report = issued_report(api)
    assert report["id"] == 1 and report["period"] == "2026-09" and report["entry_count"] == 4
    assert report["head_seq"] == 12 and report["sections"] == ["financial-position", "activities", "cash-flow",
                                                         "trial-balance", "general-journal"]

    first = auditor.client.get("/api/v1/audit-reports/1.pdf", headers=auditor.headers)
    second = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers)
    assert first.status_code == second.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data and hashlib.sha256(first.data).hexdigest() == report["sha256"]
    assert first.headers["X-Content-SHA256"] == report["sha256"]
    marker = read_marker(first.data)
    assert {k: marker[k] for k in ("report_id", "period", "head_seq", "head_hash", "seal")} == {
        "report_id": 1, "period": "2026-09", "head_seq": 12, "head_hash": report["head_hash"], "seal": report["seal"]}

    for who in ({}, auditor.headers):  # anyone may verify: nobody, or an auditor with a token
        answer = upload(client, first.data, headers=who)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert body["genuine"] is True and body["report_id"] == 1 and body["ledger_matches"] is True
        assert body["first_bad_entry"] is None and body["head_hash"] == report["head_hash"]

    # An attacker with database access changes the amount of a September posting, behind the triggers' back.
    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        disable_guards(s)
        s.execute(text("UPDATE postings SET debit = 500100 WHERE entry_id = 2 AND line_no = 1"))
    body = upload(client, first.data).get_json()
    assert body["genuine"] is True and body["ledger_matches"] is False
    assert body["first_bad_entry"] == "2026-000002"
    assert body["ledger_verifies"] is False
    assert any("2026-000002" in p for p in body["problems"])
    # the stored report itself is untouched: still the same bytes
    assert api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data == first.data


def test_the_bundle_numbers_its_pages_as_one_file(api, tmp_path):
    """An auditor cites "page X of Y" of the report: the numbers run on through every statement."""
    import subprocess

    issued_report(api)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) >= 5
    for number, text in enumerate(pages, start=1):
        assert f"第{number}页/共{len(pages)}页" in "".join(text.split()), (number, text[-300:])


def test_an_anonymous_visitor_cannot_keep_the_ledger_verifying(app, api, client):
    """Each check re-reads the whole ledger: a few per address in ten minutes, then 429, and nothing else."""
    issued_report(api)
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    app.config["VERIFY_PER_ADDRESS"] = 2
    assert [upload(client, pdf).status_code for _ in range(2)] == [200, 200]
    assert_problem(upload(client, pdf), 429)


def test_the_limit_per_address_holds_across_app_processes(app, api, client, demo_db, set_today):
    """Issue 11: the limit lived in each process's memory, so with 4 workers an address got 4 times as many
    checks. Two app instances on one database (as two gunicorn workers are) now share one count; when the
    window has passed the address is let in again."""
    from datetime import date, time

    from fund_ledger import create_app

    issued_report(api)
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    other = create_app({"TESTING": True, "DATABASE_URL": demo_db, "VERIFY_PER_ADDRESS": 2})
    app.config["VERIFY_PER_ADDRESS"] = 2
    set_today(date(2026, 11, 27), time(10, 0))  # the window starts now, however long the report took to issue
    try:
        assert upload(client, pdf).status_code == 200
        assert upload(other.test_client(), pdf).status_code == 200
        assert_problem(upload(other.test_client(), pdf), 429)
        assert_problem(upload(client, pdf), 429)
        another = client.post("/api/v1/audit-reports/verify", data=multipart(pdf, "report.pdf", None),
                              content_type=f"multipart/form-data; boundary={BOUNDARY}",
                              environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert another.status_code == 200  # another address has its own count
        set_today(date(2026, 11, 27), time(10, 30))  # the ten-minute window has passed
        assert upload(other.test_client(), pdf).status_code == 200
    finally:
        other.extensions["fund_ledger.engine"].dispose()


def test_a_check_waits_for_one_running_in_another_process_and_a_killed_ones_slot_lapses(app, api, client, engine,
                                                                                      monkeypatch, set_today):
    """One check at a time over every process: while another process holds the slot (taken here directly, as
    that process would), a check waits and then is told to come back (429); a slot whose holder died is free
    again once its lease has passed."""
    from datetime import date, time

    from fund_ledger.db.engine import write_session
    from fund_ledger.http import throttle
    from fund_ledger.services import throttles

    issued_report(api)
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    set_today(date(2026, 11, 27), time(10, 0))
    with write_session(engine) as s, s.begin():
        assert throttles.take_slot(s, throttle.SCOPE, 1, timedelta(seconds=throttle.LEASE_SECONDS))
    monkeypatch.setattr(throttle, "WAIT_SECONDS", 0.5)
    busy = upload(client, pdf)
    assert_problem(busy, 429)
    assert "another check is running" in busy.get_json()["detail"]
    set_today(date(2026, 11, 27), time(10, 30))  # the holder never gave it back: its lease has lapsed
    assert upload(client, pdf).status_code == 200
    assert upload(client, pdf).status_code == 200  # and each check gives its slot back


def test_a_rewritten_chain_is_caught_by_the_printed_head(app, api, client):
    """An attacker who also recomputes the hashes after the change, and the period's stored seal, fools
    verify, but not the digest printed in the report: the head no longer has the printed hash."""
    report = issued_report(api)
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        disable_guards(s)
        s.execute(text("UPDATE entries SET memo = 'rewritten' WHERE id = 12"))
        chart = repo.current_chart(s)
        forged = entry_hash(repo.get_entry(s, 12), chart.account_names, chart.fund_names)
        september = list(s.scalars(text("SELECT hash FROM entries WHERE id <= 4 ORDER BY id")))
        s.execute(text("UPDATE entries SET hash = :h WHERE id = 12"), {"h": forged})
        s.execute(text("UPDATE periods SET head_hash = :h, seal = :s WHERE period = '2026-09'"),
                  {"h": forged, "s": period_seal(september, forged)})
        assert verify_ledger(s).ok  # the ledger, on its own, looks sound
    body = upload(client, pdf).get_json()
    assert body["genuine"] is True and body["ledger_verifies"] is True and body["ledger_matches"] is False
    assert body["head_matches"] is False
    assert body["seal_matches"] is True  # September's own entries are intact: what changed came after them
    assert body["first_bad_entry"] == "2026-000012"


def test_what_is_not_ours_is_not_genuine_and_bad_uploads_are_400(app, api, client):
    issued_report(api)
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    changed = upload(client, pdf + b"\n%").get_json()
    assert changed["genuine"] is False and changed["report_id"] is None and changed["ledger_matches"] is False
    assert changed["claimed"]["report_id"] == 1  # it says it is No. 1, but it is not the bytes issued
    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        foreign = trial_balance_pdf(build_trial_balance(s, today=TODAY))
    body = upload(client, foreign).get_json()
    assert body == {**body, "genuine": False, "report_id": None, "ledger_matches": False, "claimed": None}
    assert_problem(upload(client, b"hello, not a pdf", "x.pdf"), 400, "file")
    assert_problem(upload(client, b"", "x.pdf"), 400, "file")
    assert_problem(client.post("/api/v1/audit-reports/verify", data={}), 400, "file")
    assert_problem(client.post("/api/v1/audit-reports/verify", json={"file": "x"}), 400, "file")
    assert_problem(upload(client, b"%PDF-1.7\n" + b"0" * (svc.MAX_UPLOAD + 1)), 413, "file")


def test_issue_rules_reissue_and_the_list(app, api, auditor):
    assert_problem(api.post("/audit-reports", {"period": "2026-10"}), 422, "period")  # not closed
    for bad in ({}, {"period": "2026-9"}, {"period": 202609}, {"period": "2026-09", "replaces": "1"}):
        assert_problem(api.post("/audit-reports", bad), 400)
    issued_report(api)
    assert_problem(api.post("/audit-reports", {"period": "2026-09"}), 409, "replaces")
    assert_problem(api.post("/audit-reports", {"period": "2026-09", "replaces": 1}), 400, "reason")
    assert_problem(api.post("/audit-reports", {"period": "2026-09", "replaces": 7, "reason": "x"}), 422, "replaces")
    response = api.post("/audit-reports", {"period": "2026-09", "replaces": 1, "reason": "补充序时账哈希"})
    assert response.status_code == 201, response.get_json()
    second = response.get_json()
    assert second["id"] == 2 and second["replaces"] == 1 and second["reason"] == "补充序时账哈希"
    assert_problem(api.post("/audit-reports", {"period": "2026-09", "replaces": 1, "reason": "again"}), 409, "replaces")
    listed = auditor.get("/audit-reports").get_json()
    assert listed["total"] == 2 and [r["id"] for r in listed["items"]] == [2, 1]
    assert listed["items"][1]["replaced_by"] == 2 and listed["items"][0]["replaced_by"] is None
    assert auditor.get("/audit-reports/1").get_json()["replaced_by"] == 2
    assert_problem(auditor.get("/audit-reports/3"), 404)
    assert auditor.post("/audit-reports", {"period": "2026-09"}).status_code == 403
    actions = sql(app, "SELECT action, object_id FROM audit_log WHERE action = 'audit_report.issue' ORDER BY id")
    assert [tuple(r) for r in actions] == [("audit_report.issue", "1"), ("audit_report.issue", "2")]


# ---------------------------------------------------------------------------------------------- the database guards

def test_issued_reports_are_append_only_in_the_database(session):
    make_fund(session)
    post(session, gift_draft("AILILIANG", 500_00, date(2026, 9, 8)))
    close_period(session, MANAGER, "2026-09", today=TODAY)
    row = issue_report(session, MANAGER, "2026-09")
    session.commit()
    for statement in ("UPDATE audit_reports SET pdf = :b WHERE id = 1", "UPDATE audit_reports SET reason = 'x'",
                      "DELETE FROM audit_reports"):
        session.begin()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement), {"b": b"%PDF-forged"})
        session.rollback()
    session.begin()
    assert session.execute(text("SELECT sha256 FROM audit_reports")).scalar_one() == row.sha256


def test_the_service_checks_who_and_what(session):
    with pytest.raises(Forbidden):
        issue_report(session, Actor("auditor", "auditor"), "2026-09")
    with pytest.raises(InvalidInput):
        issue_report(session, MANAGER, "2026-9")
    with pytest.raises(RuleBroken, match="not closed"):
        issue_report(session, MANAGER, "2026-09")
    close_period(session, MANAGER, "2026-09", today=TODAY)
    issue_report(session, MANAGER, "2026-09")
    with pytest.raises(Conflict):
        issue_report(session, MANAGER, "2026-09")


def test_figures_come_from_the_sealed_entries_only(session):
    """An entry recorded after the closing but dated earlier (in a month left open) is not in the report: the
    trial balance is built from the sealed entries, and the statements summed by date are left out, as the
    cover says."""
    make_fund(session)
    post(session, gift_draft("AILILIANG", 500_00, date(2026, 9, 8)))
    post(session, gift_draft("AILILIANG", 700_00, date(2026, 10, 8)))
    close_period(session, MANAGER, "2026-10", today=TODAY)
    late = post(session, gift_draft("AILILIANG", 300_00, date(2026, 9, 20)))  # September is still open
    row = issue_report(session, MANAGER, "2026-10")
    assert json.loads(row.sections) == ["trial-balance", "general-journal"]
    tb = trial_balance_at_head(session, date(2026, 10, 31), row.head_seq, row.head_hash)
    assert {r.code: r.balance for r in tb.accounts} == {"1002": 1200_00, "4101": 1200_00}
    assert late.seq > row.head_seq
    text_ = pdf_text(row.pdf)
    assert "未附：资产负债表、业务活动表" in text_ and "2026-09" in text_  # the open month is named as a caution
    assert svc.verify_upload(session, row.pdf)["ledger_matches"] is True


def pdf_text(pdf: bytes) -> str:
    import subprocess

    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


# ---------------------------------------------------------------------------------------------- Merkle proofs of gifts

def september_gifts(app) -> list[tuple]:
    """(donation id, code, amount, fund, received_on, entry hash) of the demo's gifts dated in September."""
    return [tuple(r) for r in sql(app, "SELECT d.id, d.verification_code, d.amount, d.fund_code, d.received_on, e.hash "
                                       "FROM donations d JOIN entries e ON e.id = d.entry_id "
                                       "WHERE e.accounting_date BETWEEN '2026-09-01' AND '2026-09-30' ORDER BY e.id")]


def proof_of(client, code: str, report_id: int = 1):
    return client.get(f"/api/v1/audit-reports/{report_id}/proof", query_string={"code": code})


def _checks(body: dict, root: str, size: int, leaf: bytes | None = None, path: list[str] | None = None) -> bool:
    return verify_inclusion(leaf if leaf is not None else body["leaf"].encode(), body["leaf_index"], size,
                            [bytes.fromhex(h) for h in (body["path"] if path is None else path)], bytes.fromhex(root))


def test_every_gift_of_the_month_is_proven_against_the_root_in_the_pdf(app, api, client):
    """A donor with nothing but the report's PDF and their gift's proof (asked for without logging in, by the
    code on the acknowledgement) recomputes the root the PDF embeds; a changed amount or another gift's leaf
    does not."""
    report = issued_report(api)
    gifts = september_gifts(app)
    assert len(gifts) == 4 and report["gifts_tree_size"] == 4 and len(report["gifts_root"]) == 64
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    marker = read_marker(pdf)
    root, size = marker["gifts_root"], marker["gifts_tree_size"]
    assert (root, size) == (report["gifts_root"], 4) and marker["gift_leaf_version"] == 1
    cover = pdf_text(pdf)
    assert root in cover.replace("\n", "") and "捐赠默克尔根" in cover and '"entry_hash":' in cover  # the formula

    bodies = {}
    for donation_id, code, amount, fund, received_on, entry_hash_ in gifts:
        response = proof_of(client, code)
        assert response.status_code == 200, response.get_json()
        body = bodies[donation_id] = response.get_json()
        assert body["matches"] is True and body["proof_verifies"] is True and body["entry_intact"] is True
        assert body["problems"] == [] and body["root"] == root and body["tree_size"] == 4
        assert _checks(body, root, size)
        # the leaf is the canonical JSON of what the donor knows, rebuilt without our code
        assert body["leaf"].encode() == gift_leaf(donation=donation_id, amount=amount, code=code, entry_hash=entry_hash_,
                                                  fund=fund, received_on=str(received_on)[:10])
        assert json.loads(body["leaf"])["amount"] == amount == body["gift"]["amount"]
        assert body["leaf_hash"] == hashlib.sha256(b"\x00" + body["leaf"].encode()).hexdigest()
        # nothing of any other gift but hashes: no other code, amount or entry hash appears in the answer
        others = [g for g in gifts if g[0] != donation_id]
        assert not any(o[1] in json.dumps(body) or o[5] in json.dumps(body) for o in others)
    assert sorted(b["leaf_index"] for b in bodies.values()) == [0, 1, 2, 3]

    first, second = bodies[gifts[0][0]], bodies[gifts[1][0]]
    leaf = json.loads(first["leaf"])
    for forged in ({**leaf, "amount": leaf["amount"] + 1}, {**leaf, "code": gifts[1][1]}, {**leaf, "fund": "X"}):
        assert not _checks(first, root, size, leaf=json.dumps(forged, sort_keys=True, separators=(",", ":")).encode())
    assert not _checks(first, root, size, leaf=second["leaf"].encode())  # another gift's leaf on this path
    assert not _checks({**first, "leaf_index": second["leaf_index"]}, root, size)
    assert not _checks(first, root, size + 1)

    code = gifts[2][1]
    grouped = proof_of(client, f"{code[:5].lower()}-{code[5:].lower()}")  # typed as printed, in any case
    assert grouped.status_code == 200 and grouped.get_json()["leaf"] == bodies[gifts[2][0]]["leaf"]


def test_a_wrong_code_or_a_gift_of_another_month_has_no_proof_and_learns_nothing(app, api, client):
    issued_report(api)
    october = sql(app, "SELECT verification_code FROM donations WHERE received_on >= '2026-10-01' ORDER BY id")[0][0]
    september = september_gifts(app)[0][1]
    answers = [assert_problem(proof_of(client, code, report_id), 404)
               for code, report_id in (("ABCDE23456", 1), (october, 1), (september, 2), (september, 99999))]
    assert len({a["detail"] for a in answers}) == 1  # one answer: nothing about whether the code or report exists
    assert svc.NO_PROOF in answers[0]["detail"]
    assert_problem(client.get("/api/v1/audit-reports/1/proof"), 400, "code")
    assert_problem(proof_of(client, "A" * 41), 400, "code")
    assert proof_of(client, september).status_code == 200


def test_a_gift_altered_behind_the_triggers_back_no_longer_matches(app, api, client):
    issued_report(api)
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    gifts = september_gifts(app)
    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        disable_guards(s)
        s.execute(text("UPDATE postings SET debit = 500100 WHERE entry_id = 2 AND line_no = 1"))
    body = proof_of(client, gifts[1][1]).get_json()  # the gift of entry 2026-000002
    assert body["matches"] is False and body["entry_intact"] is False
    assert any("2026-000002" in p for p in body["problems"])
    assert proof_of(client, gifts[0][1]).get_json()["matches"] is True  # the other gifts stand as issued

    # the gift's own row changed: its leaf, and so the root, no longer what the report printed
    with write_session(app.extensions["fund_ledger.engine"]) as s, s.begin():
        disable_guards(s)
        s.execute(text("UPDATE donations SET amount = amount + 1 WHERE id = :id"), {"id": gifts[2][0]})
    changed = proof_of(client, gifts[2][1]).get_json()
    assert changed["matches"] is False and changed["proof_verifies"] is False and changed["entry_intact"] is True
    assert changed["computed_root"] != changed["root"]
    assert any("no longer give the root" in p for p in changed["problems"])
    assert proof_of(client, gifts[3][1]).get_json()["proof_verifies"] is False  # its path holds the changed leaf
    verified = upload(client, pdf).get_json()
    assert verified["genuine"] is True and verified["gifts_match"] is False and verified["ledger_matches"] is False


def test_every_issued_report_of_the_period_proves_the_gift_and_an_empty_month_has_an_empty_tree(session):
    make_fund(session)
    donor = donations_svc.create_donor(session, MANAGER, name="张女士", kind="person")
    gifts = donations_svc.record_donations(session, MANAGER, [
        donations_svc.Gift(donor_id=donor.id, fund="AILILIANG", amount=fen, received_on=day, channel="bank")
        for fen, day in ((500_00, date(2026, 9, 8)), (700_00, date(2026, 9, 9)), (300_00, date(2026, 9, 30)),
                         (900_00, date(2026, 10, 8)))], today=TODAY)
    post(session, gift_draft("AILILIANG", 100_00, date(2026, 9, 10)))  # an entry that is not a gift: no leaf
    close_period(session, MANAGER, "2026-08", today=TODAY)
    empty = issue_report(session, MANAGER, "2026-08")
    assert empty.gifts_tree_size == 0 and empty.gifts_root == EMPTY_ROOT.hex()
    close_period(session, MANAGER, "2026-09", today=TODAY)
    first = issue_report(session, MANAGER, "2026-09")
    second = issue_report(session, MANAGER, "2026-09", replaces=first.id, reason="重新出具")
    assert first.gifts_tree_size == second.gifts_tree_size == 3 and first.gifts_root == second.gifts_root
    assert read_marker(second.pdf)["gifts_root"] == second.gifts_root

    donation, proofs = svc.gift_proofs(session, gifts[2].verification_code)
    assert donation.id == gifts[2].id and [p["report_id"] for p in proofs] == [first.id, second.id]
    assert proofs[0]["replaced_by"] == second.id and proofs[1]["replaced_by"] is None
    assert all(p["matches"] and p["leaf_index"] == 2 and p["tree_size"] == 3 for p in proofs)
    assert svc.gift_proofs(session, gifts[3].verification_code) == (gifts[3], [])  # October: no report yet
    assert svc.gift_proofs(session, "NOSUCHCODE") == (None, [])
    for report_id, code in ((first.id, "NOSUCHCODE"), (first.id, gifts[3].verification_code),
                            (empty.id, gifts[0].verification_code), (0, gifts[0].verification_code)):
        with pytest.raises(NotFound, match=svc.NO_PROOF):
            svc.gift_proof(session, report_id, code)


# ---------------------------------------------------------------------------------------------- outside the lock

@pytest.mark.both_databases
def test_gifts_go_on_while_an_audit_report_is_laid_out(app, api, monkeypatch):
    """Issuing lays the PDF out on a read snapshot, outside the ledger's write lock: a gift posted meanwhile (from
    the same thread, so a held lock would deadlock it) goes through, and the report is issued with its number."""
    import fund_ledger.reports.audit_reports as issuing

    assert api.post("/periods/2026-09/close").status_code == 201
    engine = app.extensions["fund_ledger.engine"]
    real_render, posted = issuing.render_bundle, []

    def render_while_posting(facts):
        with write_session(engine) as other, other.begin():
            posted.append(post(other, gift_draft(fen=123_45)).seq)
        return real_render(facts)

    monkeypatch.setattr(issuing, "render_bundle", render_while_posting)
    response = api.post("/audit-reports", {"period": "2026-09"})
    assert response.status_code == 201, response.get_json()
    assert posted and response.get_json()["head_seq"] == 12  # the sealed period's head, not the gift's
    again = api.post("/audit-reports", {"period": "2026-09"})
    assert again.status_code == 409  # and the re-check under the lock still refuses a second one


def test_two_managers_issuing_at_once_get_one_report_each_number_once(app, monkeypatch):
    """If another report takes the number while this one is laid out, it is laid out again with the next one."""
    import fund_ledger.reports.audit_reports as issuing

    engine = app.extensions["fund_ledger.engine"]
    with write_session(engine) as s, s.begin():
        close_period(s, MANAGER, "2026-09", today=TODAY)
        close_period(s, MANAGER, "2026-10", today=TODAY)
    real_render, calls = issuing.render_bundle, []

    def render_and_race(facts):
        calls.append(facts.report_id)
        if len(calls) == 1:  # the other manager issues October's report meanwhile, taking number 1
            with write_session(engine) as other, other.begin():
                issuing.issue_report(other, MANAGER, "2026-10")
        return real_render(facts)

    monkeypatch.setattr(issuing, "render_bundle", render_and_race)
    row = issuing.issue_report_apart(engine, MANAGER, "2026-09")
    assert calls == [1, 1, 2] and row.id == 2  # laid out with 1, lost it, laid out again with 2
    assert read_marker(row.pdf)["report_id"] == 2


def test_a_report_issued_before_the_cash_flow_section_still_verifies(api, client, monkeypatch):
    """Sections added later (现金流量表) go into new reports only: one issued with the old list keeps its bytes,
    its sections and its verification, and the next report binds the new section."""
    from fund_ledger.reports import audit_bundle

    old = [s for s in audit_bundle.SECTIONS if s.key != "cash-flow"]
    with monkeypatch.context() as patch:
        patch.setattr(audit_bundle, "SECTIONS", old)
        before = issued_report(api)
    assert "cash-flow" not in before["sections"]
    pdf = api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data
    assert hashlib.sha256(pdf).hexdigest() == before["sha256"]
    body = upload(client, pdf).get_json()
    assert body["genuine"] is True and body["report_id"] == 1 and body["ledger_matches"] is True
    again = api.post("/audit-reports", {"period": "2026-09", "replaces": 1, "reason": "adds the cash-flow statement"})
    assert again.status_code == 201, again.get_json()
    assert "cash-flow" in again.get_json()["sections"]
    assert api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data == pdf
    assert upload(client, pdf).get_json()["genuine"] is True


def test_the_public_report_names_no_donor_only_each_gifts_acknowledgement_number(app, api):
    """An issued report is public (the front door and /disclosures serve it), and the public sees no personal data
    (DOMAIN.md): the 序时账 inside it names each gift by its acknowledgement number, never its donor or memo."""
    issued_report(api)
    text = "".join(pdf_text(api.client.get("/api/v1/audit-reports/1.pdf", headers=api.headers).data).split())
    gifts = sql(app, "SELECT dn.name, d.receipt_year, d.receipt_seq, d.memo FROM donations d "
                     "JOIN donors dn ON dn.id = d.donor_id JOIN entries e ON e.id = d.entry_id "
                     "WHERE e.accounting_date BETWEEN '2026-09-01' AND '2026-09-30'")
    assert gifts
    for name, year, seq, memo in gifts:
        assert f"收到捐赠JZ{year}-{seq:06d}" in text
        assert "".join(name.split()) not in text, name
        if memo:
            assert "".join(memo.split()) not in text, memo
