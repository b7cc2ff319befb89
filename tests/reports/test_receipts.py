"""The acknowledgement (捐赠确认书) and the donor statement as PDF, read back with poppler.

pdftotext must find the title, the serial number, the 大写 amount and the verification code; pdffonts
must show an embedded CJK font; two renders (and two downloads, from the pages and the API) must be the
same bytes. Without poppler or a CJK font these tests skip, and with ``CI=true`` they fail instead.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from datetime import date
from pathlib import Path

import pytest

from fund_ledger.services import donations as svc
from fund_ledger.services.demo import DEMO_MANAGER, load_demo
from fund_ledger.clock import local_today
from tests.conftest import IN_CI, TODAY

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # WeasyPrint warns on import on a machine without fonts: the fixture says so
    from fund_ledger.reports.receipts import donor_statement_pdf, grouped_code, masked_name, receipt_pdf

EMBEDDED_CJK = re.compile(r"^\S*(Noto-Sans-(Mono-)?CJK|Noto-Serif-CJK|NotoSans(Mono)?CJK|NotoSerifCJK|WenQuanYi)", re.I)
ASSOCIATION = "张店区女企业家协会"


@pytest.fixture(scope="module")
def poppler():
    missing = [tool for tool in ("pdftotext", "pdffonts", "fc-list") if shutil.which(tool) is None]
    families = "" if missing else subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                                                 text=True, check=True).stdout
    why = f"missing tools: {', '.join(missing)}" if missing else None if "CJK" in families or "WenQuanYi" in families \
        else "no CJK font (fc-list :lang=zh): install fonts-noto-cjk"
    if why:
        if IN_CI:
            pytest.fail(f"required in CI: {why}")
        pytest.skip(why)


def pdf_text(tmp_path: Path, data: bytes, name: str = "doc.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out


def squeeze(text: str) -> str:
    """pdftotext puts spaces between letter-spaced characters: compare without any whitespace."""
    return re.sub(r"\s+", "", text)


def pdf_fonts(tmp_path: Path, data: bytes) -> list[list[str]]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def pages(tmp_path: Path, data: bytes) -> int:
    path = tmp_path / "pages.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def number(donation) -> str:
    return svc.receipt_number(donation.receipt_year, donation.receipt_seq)


@pytest.fixture
def books(session):
    """The demo story, the association as a donor (with contact details) and its 100,000 yuan gift."""
    load_demo(session, today=TODAY)
    donor = svc.create_donor(session, DEMO_MANAGER, name=ASSOCIATION, kind="organisation", phone="0533-2345678",
                             email="xiehui@example.cn")
    gift = svc.record_donation(session, DEMO_MANAGER, svc.Gift(donor.id, "AILILIANG", 10_000_000, date(2026, 11, 20),
                                                               "bank", reference="ICBC-001"), today=TODAY)
    session.commit()
    return donor, gift


def test_the_acknowledgement_says_what_a_donor_needs(poppler, books, session, tmp_path):
    donor, gift = books
    data = receipt_pdf(session, gift)
    assert data.startswith(b"%PDF-")
    assert pages(tmp_path, data) == 1
    text = squeeze(pdf_text(tmp_path, data))
    for expected in ("张店区妇女儿童事业发展基金", "捐赠确认书", number(gift), "¥100,000.00", "人民币壹拾万元整",
                     ASSOCIATION, "爱力量", "帮助困境儿童", "2026-11-20", "银行转账", "/verify",
                     grouped_code(gift.verification_code), "另行开具"):
        assert expected in text, expected
    entry = re.search(r"记账凭证号LedgerEntry(\d{4}-\d{6})", text, re.I)
    assert entry, text
    assert "0533-2345678" not in text and "xiehui@example.cn" not in text
    assert re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", grouped_code(gift.verification_code))


def test_the_acknowledgement_embeds_a_cjk_font(poppler, books, session, tmp_path):
    _donor, gift = books
    fonts = pdf_fonts(tmp_path, receipt_pdf(session, gift))
    cjk = [f for f in fonts if EMBEDDED_CJK.match(f[0])]
    assert cjk, fonts
    assert all("yes" == f[-5] for f in cjk), fonts  # the "emb" column
    assert all(EMBEDDED_CJK.match(f[0]) for f in fonts), f"a font other than the CJK stack was used: {fonts}"


def test_the_acknowledgement_is_the_same_bytes_every_time(poppler, books, session):
    _donor, gift = books
    assert receipt_pdf(session, gift) == receipt_pdf(session, gift)


def test_an_official_receipt_number_and_a_refund_show_on_the_acknowledgement(poppler, books, session, tmp_path):
    _donor, gift = books
    svc.set_official_receipt(session, DEMO_MANAGER, gift.id, "鲁财监37-2026-0001234")
    before = receipt_pdf(session, gift)
    text = squeeze(pdf_text(tmp_path, before))
    assert "鲁财监37-2026-0001234" in text and "另行开具" not in text and "已退回" not in text

    reversal = svc.refund_donation(session, DEMO_MANAGER, gift.id, "捐赠人要求退回", today=TODAY)
    after = receipt_pdf(session, gift)
    text = squeeze(pdf_text(tmp_path, after))
    assert "已退回" in text and "本确认书作废" in text and reversal.number in text and "捐赠人要求退回" in text
    assert pages(tmp_path, after) == 1


def test_an_anonymous_gift_names_no_one(poppler, books, session, tmp_path):
    donor, _gift = books
    anonymous = svc.record_donation(session, DEMO_MANAGER, svc.Gift(donor.id, "GENERAL", 168_032, date(2026, 11, 21),
                                                                    "wechat", anonymous=True), today=TODAY)
    text = squeeze(pdf_text(tmp_path, receipt_pdf(session, anonymous)))
    assert "爱心人士" in text and ASSOCIATION not in text
    assert "人民币壹仟陆佰捌拾元零叁角贰分" in text and number(anonymous) in text and "微信支付" in text
    assert masked_name(donor, anonymous) == "爱心人士"
    assert masked_name(donor, _gift) == "张*"


def test_the_donor_statement_lists_the_years_gifts_with_totals(poppler, books, session, tmp_path):
    donor, gift = books
    second = svc.record_donation(session, DEMO_MANAGER, svc.Gift(donor.id, "TONGMENG", 2_000_000, date(2026, 11, 25),
                                                                 "bank"), today=TODAY)
    svc.refund_donation(session, DEMO_MANAGER, second.id, "误记", today=TODAY)
    data = donor_statement_pdf(session, donor, 2026)
    text = squeeze(pdf_text(tmp_path, data))
    for expected in ("年度捐赠明细", ASSOCIATION, number(gift), number(second), "100,000.00", "20,000.00",
                     "120,000.00", "已退回", "人民币壹拾万元整", "2026-01-01至2026-12-31"):
        assert expected in text, expected
    assert data == donor_statement_pdf(session, donor, 2026)
    empty = squeeze(pdf_text(tmp_path, donor_statement_pdf(session, donor, 2025)))
    assert "本年度无捐赠记录" in empty and "JZ2026" not in empty


def test_downloads_from_the_pages_and_the_api_are_byte_identical(poppler, app, login, api_token, tmp_path):
    manager = login("manager")
    donor = manager.post("/donors", data={"csrf_token": manager.csrf_token, "name": ASSOCIATION,
                                          "kind": "organisation"}).headers["Location"].rsplit("/", 1)[1]
    token = api_token("manager")
    fund = app.test_client().get("/api/v1/funds", headers={"Authorization": f"Bearer {token}"}).get_json()
    fund_id = next(f["id"] for f in fund["items"] if f["code"] == "AILILIANG")
    created = app.test_client().post("/api/v1/donations", headers={"Authorization": f"Bearer {token}"},
                                     json={"donor_id": int(donor), "fund_id": fund_id, "amount": "100000.00",
                                           "received_on": local_today().isoformat(), "channel": "bank"})
    assert created.status_code == 201, created.get_json()
    donation, receipt = created.get_json()["id"], created.get_json()["receipt_number"]

    first = manager.get(f"/donations/{donation}/acknowledgement.pdf")
    second = manager.get(f"/donations/{donation}/acknowledgement.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert f'filename="{receipt}.pdf"' in first.headers["Content-Disposition"]
    auditor = app.test_client().get(f"/api/v1/donations/{donation}/receipt.pdf",
                                    headers={"Authorization": f"Bearer {api_token('auditor')}"})
    assert auditor.status_code == 200 and auditor.mimetype == "application/pdf"
    assert first.data == second.data == auditor.data
    assert "人民币壹拾万元整" in squeeze(pdf_text(tmp_path, first.data))

    grantee = app.test_client().get(f"/api/v1/donations/{donation}/receipt.pdf",
                                    headers={"Authorization": f"Bearer {api_token('zhuren')}"})
    assert grantee.status_code == 403
    assert app.test_client().get(f"/api/v1/donations/{donation}/receipt.pdf").status_code == 401
    missing = app.test_client().get("/api/v1/donations/999999/receipt.pdf",
                                    headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"

    statement = manager.get(f"/donors/{donor}/statement.pdf", query_string={"year": "2026"})
    assert statement.status_code == 200 and receipt in squeeze(pdf_text(tmp_path, statement.data))
    assert manager.get(f"/donors/{donor}/statement.pdf", query_string={"year": "26"}).status_code == 400
