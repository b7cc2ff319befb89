"""The fund's story as demo data: 爱力量 and the first 100,000 yuan gift, more donors and gifts, a grant
to 筑仁成长公益服务中心, and a mistaken entry corrected by reversal, across several months."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import models as m
from ..ledger.accounts import GENERAL_FUND_CODE as GEN
from ..ledger.entries import EntryCode, EntryDraft, Posting
from ..ledger.money import parse_amount
from .actor import SYSTEM, Actor
from .errors import Conflict
from . import disbursements
from .donations import Gift, create_donor, record_donation, refund_donation
from .funds import create_fund
from .ledger import post_entry
from .organisations import create_organisation, update_bank_account
from .programmes import create_programme
from .users import create_user

DEMO_MANAGER = Actor("manager", "manager")
DEMO_PASSWORD = "aililiang-2026"
"""Every demo user's password: printed by ``make run``; demo mode only, never in production."""

ORGANISATIONS = [
    dict(name="筑仁成长公益服务中心", credit_code="52370303MJD123451B", contact="张店区，困境儿童帮扶"),
    dict(name="等等心灵公益服务中心", credit_code="52370303MJD234562N", contact="张店区，心理援助"),
    dict(name="喜悦绘", credit_code="52370303MJE3456738", contact="张店区，儿童美育"),
]
BANK_ACCOUNTS = {"筑仁成长公益服务中心": ("淄博农村商业银行张店支行", "9020000012345678901"),
                 "喜悦绘": ("中国银行淄博张店支行", "2371012345678901")}
USERS = [
    # username, role, display name, organisation (by name)
    ("admin", "admin", "系统管理员", None),
    ("manager", "manager", "基金管理员 王敏", None),
    ("manager2", "manager", "基金管理员 刘芳", None),
    ("zhuren", "grantee", "筑仁成长 赵静", "筑仁成长公益服务中心"),
    ("auditor", "auditor", "审计人员 陈洁", None),
]

FUNDS = [
    dict(code="AILILIANG", name="爱力量", name_en="Power of Love", restricted=True,
         purpose="帮助困境儿童：由筑仁成长公益服务中心实施的困境儿童帮扶项目"),
    dict(code="TONGMENG", name="童梦童行", name_en="Children's Dreams", restricted=True,
         purpose="暑期课堂：为困境家庭儿童开设的暑期公益课堂"),
    dict(code="JIAXUEYUAN", name="家学苑", name_en="Family Learning", restricted=True,
         purpose="社区家庭教育：在社区开展的家学苑家庭教育课程"),
]


DONORS = [
    # name, kind, display name for anonymous gifts, related party
    ("张店区女企业家协会", "organisation", "", False),
    ("王秀兰", "person", "", False),
    ("淄博齐鲁巾帼商贸有限公司", "organisation", "", False),
    ("微信公众号小额捐赠", "person", "爱心人士", False),
    ("李红梅", "person", "", True),
    ("张店区家庭教育志愿者", "organisation", "", False),
    ("孙丽", "person", "", False),
]


def _gift(donor: int, day: str, fund: str, amount: str, channel: str = "bank", memo: str = "", **kw) -> Gift:
    return Gift(donor_id=donor, fund=fund, amount=parse_amount(amount), received_on=date.fromisoformat(day),
                channel=channel, memo=memo, **kw)


def ledger_is_empty(session: Session) -> bool:
    return session.scalar(select(m.Entry.id).limit(1)) is None


def load_demo(session: Session, *, today: date | None = None) -> dict[str, int]:
    """Load the story into an empty ledger; refuse a ledger that already has entries."""
    if not ledger_is_empty(session):
        raise Conflict("the ledger already has entries: the demo loads only into an empty ledger")
    actor = DEMO_MANAGER
    orgs = {o["name"]: create_organisation(session, DEMO_MANAGER, **o).id for o in ORGANISATIONS}
    for username, role, display_name, org in USERS:
        create_user(session, SYSTEM, username=username, role=role, password=DEMO_PASSWORD, display_name=display_name,
                    organisation_id=orgs[org] if org else None)
    for fund in FUNDS:
        create_fund(session, actor, **fund)
    donors = [create_donor(session, actor, name=n, kind=k, display_name=dn, related_party=rp).id
              for n, k, dn, rp in DONORS]
    for org, (bank, number) in BANK_ACCOUNTS.items():
        update_bank_account(session, actor, orgs[org], bank_name=bank, bank_account=number)
    programme = create_programme(
        session, actor, name="2026 困境儿童关爱行动", fund="AILILIANG", budget=parse_amount("80000"),
        starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 31), organisation_ids=[orgs["筑仁成长公益服务中心"]],
        description="爱力量专项资金资助的困境儿童帮扶项目：学习用品、家庭走访与心理辅导")

    def give(*args, **kw):
        return record_donation(session, actor, _gift(*args, **kw), today=today)

    give(donors[0], "2026-09-08", "AILILIANG", "100000", memo="“爱力量”专项资金首笔捐赠", reference="ZD-BANK-0908")
    give(donors[1], "2026-09-12", GEN, "5000")
    give(donors[2], "2026-09-20", "TONGMENG", "20000", memo="童梦童行暑期课堂")
    give(donors[3], "2026-09-26", GEN, "1288.50", "wechat", "9月小额捐赠汇总", anonymous=True)
    mistaken = give(donors[4], "2026-10-09", GEN, "2000", "cash")
    # The 2,000 yuan was meant for 童梦童行, not the general fund: reverse it and record it again.
    refund_donation(session, actor, mistaken.id, "捐赠人指定用于童梦童行，误记入非限定性基金", on=date(2026, 10, 12),
                    today=today)
    give(donors[4], "2026-10-12", "TONGMENG", "2000", "cash", "更正后重记")
    give(donors[5], "2026-10-15", "JIAXUEYUAN", "15000")

    zhuren = Actor("zhuren", "grantee", orgs["筑仁成长公益服务中心"])
    first = disbursements.submit(session, zhuren, organisation_id=orgs["筑仁成长公益服务中心"], fund="AILILIANG",
                          amount=parse_amount("30000"), purpose="困境儿童帮扶项目首期款",
                          budget=[{"item": "学习用品与图书", "amount": parse_amount("12000")},
                                  {"item": "困境儿童家庭走访与心理辅导", "amount": parse_amount("18000")}],
                          programme_id=programme.id, today=date(2026, 10, 16))
    disbursements.approve(session, actor, first.id)
    disbursements.pay(session, actor, first.id, paid_on=date(2026, 10, 20), reference="ZD-PAY-1020", today=today)
    disbursements.acknowledge(session, zhuren, first.id, received_on=date(2026, 10, 21), today=today)
    disbursements.submit_report(session, zhuren, first.id, spent=parse_amount("30000"), returned=0,
                         narrative="为32名困境儿童购买学习用品与图书，完成48户家庭走访和16次小组心理辅导。",
                         lines=[{"item": "学习用品与图书", "amount": parse_amount("11860")},
                                {"item": "家庭走访交通与误餐", "amount": parse_amount("6140")},
                                {"item": "心理辅导师劳务", "amount": parse_amount("12000")}])
    give(donors[6], "2026-11-03", "AILILIANG", "8000")
    second = disbursements.submit(session, Actor("manager2", "manager"), organisation_id=orgs["喜悦绘"], fund="TONGMENG",
                           amount=parse_amount("12000"), purpose="童梦童行暑期课堂结算款")
    disbursements.approve(session, actor, second.id)
    disbursements.pay(session, actor, second.id, paid_on=date(2026, 11, 10), reference="ZD-PAY-1110", today=today)
    post_entry(session, actor, EntryDraft(date(2026, 11, 16), EntryCode.MANUAL, "银行账户管理费", (
        Posting("5201", GEN, debit=parse_amount("120")), Posting("1002", GEN, credit=parse_amount("120")))),
        today=today)
    # Waiting for review: the second instalment 筑仁成长 asked for.
    disbursements.submit(session, zhuren, organisation_id=orgs["筑仁成长公益服务中心"], fund="AILILIANG",
                  amount=parse_amount("20000"), purpose="困境儿童帮扶项目第二期", programme_id=programme.id,
                  today=date(2026, 11, 20))
    posted = list(session.scalars(select(m.Entry.id)))
    return {"funds": len(FUNDS), "entries": len(posted), "users": len(USERS)}
