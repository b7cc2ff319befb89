"""The dashboards: each figure equals what the ledger says, and moves by exactly what a step changes.

The manager's /overview (money in and out this month and this year, requests waiting by stage, the charts),
the auditor's /overview (seals, audit reports, the chain checked), the grantee's /home (its own requests and
what each waits for, never another organisation's). Months and years are Beijing dates."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, time
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fund_ledger.db import models as m
from fund_ledger.db.engine import write_session
from fund_ledger.reports.dashboard import manager_dashboard
from fund_ledger.services import disbursements as grants
from fund_ledger.services.actor import Actor
from fund_ledger.services.donations import Gift, record_donation
from fund_ledger.services.organisations import create_organisation
from fund_ledger.services.users import create_user
from fund_ledger.services.actor import SYSTEM

from .test_donation_pages import DEMO_PASSWORD, add_donor, record_gift

YUAN = 100
MANAGER, MANAGER2 = Actor("manager", "manager"), Actor("manager2", "manager")


def _db(app) -> Session:
    return Session(app.extensions["fund_ledger.engine"])


def _write(app) -> Session:
    return write_session(app.extensions["fund_ledger.engine"])


def figure(page: str, name: str) -> Decimal:
    """A figure the page marks with data-figure="name", in yuan."""
    match = re.search(rf'data-figure="{name}">¥?([-\d,.]+)<', page)
    assert match, f"no figure {name}"
    return Decimal(match.group(1).replace(",", ""))


def stage_ids(page: str, stage: str) -> set[int]:
    """The requests the manager's dashboard lists under a stage."""
    body = re.search(rf'<tbody data-stage="{stage}">(.*?)</tbody>', page, re.S)
    assert body, f"no stage {stage}"
    return {int(i) for i in re.findall(r"/disbursements/(\d+)\"", body.group(1))}


def _org(app, name: str) -> int:
    with _db(app) as s:
        return s.scalar(select(m.Organisation.id).where(m.Organisation.name == name))


def _submit(app, actor: Actor, org: int, amount_yuan: int, fund: str = "AILILIANG", purpose: str = "困境儿童帮扶") -> int:
    with _write(app) as s, s.begin():
        return grants.submit(s, actor, organisation_id=org, fund=fund, amount=amount_yuan * YUAN, purpose=purpose).id


def _step(app, do, *args, **kwargs):
    with _write(app) as s, s.begin():
        return do(s, *args, **kwargs)


@pytest.fixture
def manager(login):
    return login("manager")


# --- the manager's dashboard ------------------------------------------------------------------------------

def test_a_gift_this_month_moves_this_month_and_this_year_by_its_amount(app, manager):
    before = manager.get("/overview").get_data(as_text=True)
    donor = add_donor(manager)
    assert record_gift(manager, donor, amount="1234.56").status_code == 302
    after = manager.get("/overview").get_data(as_text=True)
    for name in ("month-income", "year-income"):
        assert figure(after, name) - figure(before, name) == Decimal("1234.56"), name
    for name in ("month-spending", "year-spending"):
        assert figure(after, name) == figure(before, name)


@pytest.mark.both_databases  # the months are grouped in SQL, each database in its own words
def test_the_figures_equal_the_ledger(app, manager):
    page = manager.get("/overview").get_data(as_text=True)
    # the demo story to 2026-11-27: in November 8,000 given; 12,000 granted and 120 bank charges spent
    assert figure(page, "month-income") == Decimal("8000.00")
    assert figure(page, "month-spending") == Decimal("12120.00")
    # this year: 100,000 + 5,000 + 20,000 + 1,288.50 + (2,000 − 2,000 reversed) + 2,000 + 15,000 + 8,000
    assert figure(page, "year-income") == Decimal("151288.50")
    assert figure(page, "year-spending") == Decimal("42120.00")
    with _db(app) as s:
        d = manager_dashboard(s)
    assert [f.month for f in d.flows][-3:] == ["2026-09", "2026-10", "2026-11"]
    assert sum(f.income for f in d.flows) == 151_288_50
    # each fund's last point is what the fund holds now
    money = {f.code: f.balance for f in d.funds}
    assert {h.code: h.balances[-1] for h in d.histories} == money


def test_requests_show_at_each_stage_until_acknowledged(app, manager, login, set_today):
    org = _org(app, "筑仁成长公益服务中心")
    zhuren = Actor("zhuren", "grantee", org)
    big = _submit(app, zhuren, org, 60_000, fund="AILILIANG")  # above 50,000: two approvals
    # the demo holds 78,000 available in 爱力量, 20,000 of it asked for already
    page = manager.get("/overview").get_data(as_text=True)
    assert big in stage_ids(page, "approval")
    _step(app, grants.approve, MANAGER, big)
    page = manager.get("/overview").get_data(as_text=True)
    assert big not in stage_ids(page, "approval") and big in stage_ids(page, "second_approval")
    _step(app, grants.approve, MANAGER2, big)
    page = manager.get("/overview").get_data(as_text=True)
    assert big in stage_ids(page, "payment") and big not in stage_ids(page, "second_approval")
    _step(app, grants.pay, MANAGER, big, paid_on=date(2026, 11, 27), reference="ZD-PAY-1127")
    page = manager.get("/overview").get_data(as_text=True)
    assert big in stage_ids(page, "acknowledge") and big not in stage_ids(page, "payment")
    assert figure(page, "month-spending") == Decimal("72120.00")  # 12,120 + the 60,000 paid
    _step(app, grants.acknowledge, zhuren, big, received_on=date(2026, 11, 27))
    page = manager.get("/overview").get_data(as_text=True)
    assert big not in stage_ids(page, "acknowledge")
    # ninety days after the payment without a use report it is overdue (the session has long ended by then)
    set_today(date(2027, 2, 25))
    assert big not in stage_ids(login("manager").get("/overview").get_data(as_text=True), "report_overdue")
    set_today(date(2027, 2, 26))
    page = login("manager").get("/overview").get_data(as_text=True)
    assert big in stage_ids(page, "report_overdue")


def test_the_demo_waits_where_the_story_left_it(manager):
    page = manager.get("/overview").get_data(as_text=True)
    assert stage_ids(page, "approval") == {3}  # 筑仁成长's second instalment
    assert stage_ids(page, "acknowledge") == {2}  # paid to 喜悦绘 on 10 November, not yet acknowledged


@pytest.mark.both_databases
@pytest.mark.parametrize("moment, month, year", [
    ((date(2026, 12, 31), time(23, 59)), "2026-12", "2026"),
    ((date(2027, 1, 1), time(0, 30)), "2027-01", "2027"),
])
def test_this_month_and_this_year_are_beijing_dates(app, login, set_today, moment, month, year):
    set_today(*moment)
    manager = login("manager")
    donor = add_donor(manager)
    with _write(app) as s, s.begin():
        record_donation(s, MANAGER, Gift(donor_id=donor, fund="GENERAL", amount=777 * YUAN,
                                         received_on=moment[0], channel="bank"))
    page = manager.get("/overview").get_data(as_text=True)
    assert f"<small>{month}</small>" in page and f"<small>{year}</small>" in page
    assert figure(page, "month-income") == Decimal("777.00")
    expected_year = Decimal("152065.50") if year == "2026" else Decimal("777.00")
    assert figure(page, "year-income") == expected_year


def test_a_negative_balance_says_why(manager):
    page = manager.get("/overview").get_data(as_text=True)
    assert 'href="#why-3102"' in page and 'id="why-3102"' in page
    assert "这不是透支" in page and "借记3102、贷记3101" in page
    assert "not an overdraft" in page  # the English beside it


def test_the_charts_are_svg_with_the_figures_as_a_table(manager):
    page = manager.get("/overview").get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 2
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("viewBox") and root.get("width") == "100%" and root.get("role") == "img"
    assert page.count('role="figure" aria-labelledby=') == 2 and page.count("<details>") == 2
    assert not re.search(r"\sstyle\s*=", page)  # the policy forbids inline styles: the SVG uses attributes


def test_fund_names_are_escaped_in_the_chart(app, manager):
    from fund_ledger.services.funds import create_fund

    with _write(app) as s, s.begin():
        create_fund(s, MANAGER, code="ESCAPE", name='<b>"护花&行动"</b>', restricted=True, purpose="x")
    page = manager.get("/overview").get_data(as_text=True)
    assert '<b>"护花' not in page
    svg = re.findall(r"<svg .*?</svg>", page, re.S)[1]
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert '<b>"护花&行动"</b>' in texts


# --- the auditor's dashboard ------------------------------------------------------------------------------

def test_the_auditor_sees_the_chain_checked_and_the_seals(app, login):
    auditor = login("auditor")
    page = auditor.get("/overview").get_data(as_text=True)
    assert 'data-verify="ok"' in page
    with _db(app) as s:
        entries = s.scalar(select(m.Entry.id).order_by(m.Entry.id.desc()).limit(1))
    assert figure(page, "entries") == entries
    assert 'id="periods"' in page and 'id="audit-reports"' in page and 'id="audit-events"' in page
    assert "month-income" not in page  # not the manager's page
    assert 'id="trial-balance"' in page


@pytest.mark.both_databases  # the check writes its count: a GET's read session on PostgreSQL is read-only
def test_a_big_ledger_offers_the_check_instead(app, login, monkeypatch):
    from fund_ledger.reports import dashboard

    monkeypatch.setattr(dashboard, "VERIFY_INLINE_MAX", 1)
    auditor = login("auditor")
    page = auditor.get("/overview").get_data(as_text=True)
    assert 'data-verify' not in page and 'name="verify" value="1"' in page
    page = auditor.get("/overview?verify=1").get_data(as_text=True)
    assert 'data-verify="ok"' in page


# --- the grantee's dashboard ------------------------------------------------------------------------------

def test_a_grantee_lands_on_its_home(login):
    zhuren = login("zhuren")
    assert zhuren.get("/").headers["Location"] == "/home"
    page = zhuren.get("/home").get_data(as_text=True)
    assert "筑仁成长公益服务中心" in page
    assert figure(page, "received-this-year") == Decimal("30000.00")
    assert 'data-request="3" data-stage="approval"' in page and "等待审批" in page
    assert 'data-request="1" data-stage="report_review"' in page and "使用报告等待审核" in page
    assert "喜悦绘" not in page and 'data-request="2"' not in page


def test_the_grantee_sees_what_each_request_waits_for(app, login):
    org = _org(app, "筑仁成长公益服务中心")
    zhuren_actor = Actor("zhuren", "grantee", org)
    big = _submit(app, zhuren_actor, org, 60_000)
    zhuren = login("zhuren")
    _step(app, grants.approve, MANAGER, big)
    assert f'data-request="{big}" data-stage="second_approval"' in zhuren.get("/home").get_data(as_text=True)
    assert "等待第二位管理员审批" in zhuren.get("/home").get_data(as_text=True)
    _step(app, grants.approve, MANAGER2, big)
    assert "等待付款" in zhuren.get("/home").get_data(as_text=True)
    _step(app, grants.pay, MANAGER, big, paid_on=date(2026, 11, 27), reference="ZD-PAY-1127")
    page = zhuren.get("/home").get_data(as_text=True)
    assert f'data-request="{big}" data-stage="acknowledge"' in page and "请确认到账" in page
    assert figure(page, "received-this-year") == Decimal("90000.00")
    _step(app, grants.acknowledge, zhuren_actor, big, received_on=date(2026, 11, 27))
    page = zhuren.get("/home").get_data(as_text=True)
    assert f'data-request="{big}" data-stage="report"' in page and "请提交使用报告" in page


def test_a_grantee_never_sees_another_organisations_requests(app, login):
    with _write(app) as s, s.begin():
        other = create_organisation(s, MANAGER, name="安乐益家", credit_code="52370303MJE4567893",
                                    contact="张店区").id
        create_user(s, SYSTEM, username="anle", role="grantee", password=DEMO_PASSWORD, display_name="安乐益家 孙",
                    organisation_id=other)
    theirs = _submit(app, Actor("anle", "grantee", other), other, 1_000, fund="TONGMENG", purpose="安乐益家的请求")
    anle = login("anle")
    page = anle.get("/home").get_data(as_text=True)
    assert f'data-request="{theirs}"' in page and "安乐益家的请求" in page
    assert "筑仁成长" not in page and "困境儿童帮扶项目" not in page
    assert figure(page, "received-this-year") == 0
    zhuren_page = login("zhuren").get("/home").get_data(as_text=True)
    assert f'data-request="{theirs}"' not in zhuren_page and "安乐益家" not in zhuren_page


def test_only_a_grantee_has_a_home(login):
    assert login("manager").get("/home").status_code == 403
    assert login("zhuren").get("/overview").status_code == 403


def test_the_auditor_sees_a_closed_period_with_its_seal(app, login):
    from fund_ledger.services import periods

    with _write(app) as s, s.begin():
        closed = periods.close(s, MANAGER, "2026-09")
        seal = closed[0].seal
    page = login("auditor").get("/overview").get_data(as_text=True)
    assert "2026-09" in page and seal in page and seal[:16] in page
    assert 'data-verify="ok"' in page  # the seal recomputed from the entries still matches


def test_overdue_pledges_and_instalments_due_soon(app, manager):
    from fund_ledger.services.pledges import create_pledge

    donor = add_donor(manager)
    with _write(app) as s, s.begin():
        create_pledge(s, MANAGER, donor_id=donor, fund="TONGMENG",
                      instalments=[(date(2026, 11, 1), 3_000 * YUAN), (date(2026, 12, 15), 4_000 * YUAN)])
    page = manager.get("/overview").get_data(as_text=True)
    overdue = re.search(r'id="pledges-overdue">(.*?)</section>', page, re.S).group(1)
    assert "淄川区巾帼志愿者协会" in overdue and "3,000.00" in overdue
    deadlines = re.search(r'id="deadlines">(.*?)</section>', page, re.S).group(1)
    assert "2026-12-31" in deadlines  # the demo programme ends
