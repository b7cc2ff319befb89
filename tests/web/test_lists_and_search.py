"""Issue 12 (D2): lists people can search. The gifts list by fund, dates and donor name, and as a CSV file a
spreadsheet opens safely; the journal by dates, fund, account, code and memo; one search over donors,
organisations, gifts and requests (for managers and auditors only); the donor picker of the gift form. A bad
filter is a message beside its box on a page that lists nothing, never a 400 or a 500."""
from __future__ import annotations

import csv
import re

import pytest
from sqlalchemy import text

from tests.web.test_donation_pages import add_donor, post, record_gift

ALPHA, BETA = "淄博甲乙科技有限公司", "张店丙丁商贸公司"
FORMULA = '=HYPERLINK("http://evil.invalid","点我")'


def sql(app, query: str, **params):
    with app.extensions["fund_ledger.engine"].connect() as conn:
        return conn.execute(text(query), params).all()


@pytest.fixture
def manager(login):
    return login("manager")


@pytest.fixture
def two_gifts(app, manager):
    """A gift from ALPHA on 1 November to 爱力量 and one from BETA on 20 November to 童梦童行 (with a memo a
    spreadsheet would take for a formula)."""
    alpha, beta = add_donor(manager, ALPHA), add_donor(manager, BETA)
    assert record_gift(manager, alpha, "AILILIANG", "1234.50", received_on="2026-11-01",
                       reference="ALPHA-REF-001").status_code == 302
    assert record_gift(manager, beta, "TONGMENG", "4321.00", received_on="2026-11-20", reference="BETA-REF-002",
                       memo=FORMULA).status_code == 302
    return alpha, beta


def listing(client, **query) -> str:
    response = client.get("/donations", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rows_of(page: str) -> str:
    return page.split("<tbody>")[1].split("</tbody>")[0]


# --- the gifts list -------------------------------------------------------------------------------------

def test_each_gift_filter_narrows_the_list(app, manager, two_gifts):
    both = rows_of(listing(manager, donor="公司"))
    assert ALPHA in both and BETA in both
    assert ALPHA in rows_of(listing(manager, to="2026-11-05")) and BETA not in rows_of(listing(manager, to="2026-11-05"))
    later = rows_of(listing(manager, **{"from": "2026-11-10", "to": "2026-11-30"}))
    assert BETA in later and ALPHA not in later
    assert ALPHA not in rows_of(listing(manager, **{"from": "2026-11-02", "to": "2026-11-19"}))
    by_name = listing(manager, donor="甲乙")
    assert ALPHA in rows_of(by_name) and BETA not in rows_of(by_name) and "¥1,234.50" in by_name  # the total
    by_fund = rows_of(listing(manager, fund="TONGMENG", donor="公司"))
    assert BETA in by_fund and ALPHA not in by_fund
    assert "没有捐赠" in rows_of(listing(manager, donor="%"))  # a LIKE wildcard is a character, not "anything"
    combined = listing(manager, fund="AILILIANG", **{"from": "2026-11-01", "to": "2026-11-01"}, donor="甲乙")
    assert ALPHA in rows_of(combined) and 'value="2026-11-01"' in combined and 'value="甲乙"' in combined


@pytest.mark.parametrize("query, field, code", [
    ({"from": "2026-13-01"}, "from", "date.format"),
    ({"to": "yesterday"}, "to", "date.format"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "to", "dates.order"),
    ({"donor": "x" * 101}, "donor", "text.too_long"),
    ({"donor_id": "abc"}, "donor_id", "id.invalid"),
    ({"page": "0"}, "page", "page.invalid"),
])
def test_a_bad_gift_filter_is_said_beside_its_box_and_lists_nothing(app, manager, two_gifts, query, field, code):
    response = manager.get("/donations", query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    if field != "page":  # (the page number has no box: its message is in the notice's place)
        assert f'data-field="{field}" data-code="{code}"' in page
    assert "筛选条件有误" in page
    assert ALPHA not in rows_of(page) and BETA not in rows_of(page)
    download = manager.get("/donations.csv", query_string=query)
    assert download.status_code == 302 and download.headers["Location"].startswith("/donations")


def test_the_csv_is_the_filtered_list_for_excel(app, manager, two_gifts):
    response = manager.get("/donations.csv", query_string={"donor": "公司"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the Chinese as Chinese
    body = data.decode("utf-8-sig")
    lines = body.splitlines()
    assert "捐赠人 Donor" in lines[0]
    assert ALPHA in body and BETA in body and "1234.50" in body and "4321.00" in body
    rows = list(csv.reader(lines[1:]))
    assert rows and all("公司" in r[2] for r in rows)  # only the donors the filter names
    memo = [r[-1] for r in rows if BETA in r][0]
    assert memo == "'" + FORMULA  # neutralised: a spreadsheet shows it as text
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)

    narrowed = manager.get("/donations.csv", query_string={"fund": "AILILIANG", "donor": "公司"}).get_data()
    assert ALPHA.encode() in narrowed and BETA.encode() not in narrowed


def test_the_list_links_its_download_and_the_search(app, manager, two_gifts):
    page = listing(manager, donor="甲乙", fund="AILILIANG")
    link = re.search(r'href="(/donations\.csv\?[^"]+)"', page).group(1).replace("&amp;", "&")
    assert "fund=AILILIANG" in link and "donor=" in link
    assert 'href="/search"' in page


# --- the journal ----------------------------------------------------------------------------------------

def journal(client, **query) -> str:
    response = client.get("/journal", query_string=query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def entry_numbers(page: str) -> set[str]:
    return set(re.findall(r'<a href="/journal/(\d{4}-\d{6})">', page))


def test_each_journal_filter_narrows_it(app, manager, two_gifts):
    everything = entry_numbers(journal(manager, per_page=200))
    gifts = sql(app, "SELECT e.year, e.year_seq, d.fund_code, d.received_on FROM donations d "
                     "JOIN entries e ON e.id = d.entry_id ORDER BY d.id DESC")[:2]
    beta_entry, alpha_entry = (f"{y:04d}-{s:06d}" for y, s, _f, _d in gifts)
    assert {alpha_entry, beta_entry} <= everything

    by_memo = entry_numbers(journal(manager, q=ALPHA))
    assert by_memo == {alpha_entry}
    by_fund = entry_numbers(journal(manager, fund="TONGMENG", per_page=200))
    assert beta_entry in by_fund and alpha_entry not in by_fund
    by_dates = entry_numbers(journal(manager, **{"from": "2026-11-19", "to": "2026-11-20"}, per_page=200))
    assert beta_entry in by_dates and alpha_entry not in by_dates
    by_code = entry_numbers(journal(manager, code="manual", per_page=200))
    assert by_code and alpha_entry not in by_code and beta_entry not in by_code
    assert alpha_entry in entry_numbers(journal(manager, code="donation", per_page=200))
    by_account = entry_numbers(journal(manager, account="5201", per_page=200))  # the demo's bank charge
    assert by_account and by_account <= by_code
    assert "没有符合条件的分录" in journal(manager, q="no such memo words")
    page = journal(manager, q=ALPHA)
    assert f'value="{ALPHA}"' in page  # the box keeps what was typed


@pytest.mark.parametrize("query, field, code", [
    ({"from": "31/12/2026"}, "from", "date.format"),
    ({"from": "2026-12-01", "to": "2026-11-01"}, "to", "dates.order"),
    ({"code": "gift"}, "code", "choice"),
    ({"account": "bank"}, "account", "account.code"),
])
def test_a_bad_journal_filter_is_a_message_not_an_error(app, manager, query, field, code):
    page = journal(manager, **query)
    assert f'data-field="{field}" data-code="{code}"' in page and "筛选条件有误" in page
    assert not entry_numbers(page)


# --- the search -----------------------------------------------------------------------------------------

def search(client, q: str) -> str:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_search_finds_donors_gifts_organisations_and_requests(app, manager, login, two_gifts):
    alpha, _beta = two_gifts
    found = search(manager, "甲乙科技")
    assert f'href="/donors/{alpha}"' in found and ALPHA in found

    code, donation_id = sql(app, "SELECT verification_code, id FROM donations WHERE donor_id = :d", d=alpha)[0]
    by_code = search(manager, f"{code[:5]}-{code[5:]}".lower())  # as printed, grouped; any case
    assert f'href="/donations/{donation_id}"' in by_code
    assert f'href="/donations/{donation_id}"' in search(manager, "ALPHA-REF")  # by the bank reference

    org_id = sql(app, "SELECT id FROM organisations WHERE name = '筑仁成长公益服务中心'")[0][0]
    by_org = search(manager, "筑仁成长")
    assert f'href="/organisations/{org_id}"' in by_org
    request_id = sql(app, "SELECT id FROM disbursements WHERE purpose = '困境儿童帮扶项目第二期'")[0][0]
    assert f'href="/disbursements/{request_id}"' in by_org  # a request, by its organisation
    assert f'href="/disbursements/{request_id}"' in search(manager, "帮扶项目第二期")  # by its purpose

    auditor = search(login("auditor"), "甲乙科技")
    assert ALPHA in auditor
    assert "没有找到" in search(manager, "绝对没有这个名字")
    assert search(manager, "")  # an empty search is the form alone
    too_long = search(manager, "x" * 101)
    assert 'data-field="q" data-code="text.too_long"' in too_long


def test_a_grantee_cannot_search_other_organisations(app, login, two_gifts):
    grantee = login("zhuren")
    response = grantee.get("/search", query_string={"q": "公司"})
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert ALPHA not in body and "无权访问" in body
    assert grantee.get("/donations.csv").status_code == 403
    assert app.test_client().get("/search?q=a").status_code == 302  # nobody: to the log-in page


def test_the_journal_links_the_search(manager):
    assert 'href="/search"' in journal(manager)


# --- the donor picker -----------------------------------------------------------------------------------

def test_the_gift_form_picks_a_donor_from_a_short_list_and_sends_an_id(app, manager, two_gifts):
    alpha, beta = two_gifts
    page = manager.get("/donations/new").get_data(as_text=True)
    assert '<select name="donor_id"' not in page
    assert re.search(r'<input name="donor_id"[^>]*list="donor-choices"', page)
    options = re.findall(r'<option value="(\d+)" label="([^"]*)"', page.split('id="donor-choices"')[1].split("</datalist>")[0])
    assert (str(alpha), ALPHA) in options and len(options) <= 200
    narrowed = manager.get("/donations/new", query_string={"donor_q": "丙丁"}).get_data(as_text=True)
    listed = narrowed.split('id="donor-choices"')[1].split("</datalist>")[0]
    assert BETA in listed and ALPHA not in listed
    assert record_gift(manager, beta, "AILILIANG", "10").status_code == 302  # the id goes through the schema
    bad = record_gift(manager, 0, "AILILIANG", "10")
    assert bad.status_code == 400 and 'data-field="donor_id"' in bad.get_data(as_text=True)
