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
from .funds import create_fund
from .ledger import post_entry, reverse_entry
from .organisations import create_organisation
from .users import create_user

DEMO_MANAGER = Actor("manager", "manager")
DEMO_PASSWORD = "aililiang-2026"
"""Every demo user's password: printed by ``make run``; demo mode only, never in production."""

ORGANISATIONS = [
    dict(name="筑仁成长公益服务中心", credit_code="52370303MJD123451B", contact="张店区，困境儿童帮扶"),
    dict(name="等等心灵公益服务中心", credit_code="52370303MJD234562N", contact="张店区，心理援助"),
    dict(name="喜悦绘", credit_code="52370303MJE3456738", contact="张店区，儿童美育"),
]
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


def _gift(day: str, fund: str, amount: str, memo: str, source: str, account: str = "1002") -> EntryDraft:
    fen = parse_amount(amount)
    return EntryDraft(date.fromisoformat(day), EntryCode.DONATION, memo,
                      (Posting(account, fund, debit=fen), Posting("4101", fund, credit=fen)), source=source)


def _grant(day: str, fund: str, amount: str, memo: str, source: str) -> EntryDraft:
    fen = parse_amount(amount)
    return EntryDraft(date.fromisoformat(day), EntryCode.DISBURSEMENT, memo, (
        Posting("5101", fund, debit=fen), Posting("1002", fund, credit=fen),
        # The restriction is met as the money is spent on its purpose: release it (限定性净资产转为非限定性净资产).
        Posting("3102", fund, debit=fen), Posting("3101", fund, credit=fen),
    ), source=source)


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
    story = [
        _gift("2026-09-08", "AILILIANG", "100000", "张店区女企业家协会捐赠“爱力量”专项资金", "demo:gift:1"),
        _gift("2026-09-12", GEN, "5000", "王秀兰女士个人捐赠", "demo:gift:2"),
        _gift("2026-09-20", "TONGMENG", "20000", "淄博齐鲁巾帼商贸有限公司捐赠童梦童行暑期课堂", "demo:gift:3"),
        _gift("2026-09-26", GEN, "1288.50", "微信公众号小额捐赠汇总（9月）", "demo:gift:4", account="1009"),
        _gift("2026-10-09", GEN, "2000", "李红梅女士捐赠（现金）", "demo:gift:5", account="1001"),
    ]
    posted = [post_entry(session, actor, d, today=today) for d in story]
    # The 2,000 yuan was meant for 童梦童行, not the general fund: reverse it and record it again.
    posted.append(reverse_entry(session, actor, posted[-1].number, "捐赠人指定用于童梦童行，误记入非限定性基金",
                                accounting_date=date(2026, 10, 12), today=today))
    for d in [
        _gift("2026-10-12", "TONGMENG", "2000", "李红梅女士捐赠童梦童行（现金，更正后重记）", "demo:gift:5", account="1001"),
        _gift("2026-10-15", "JIAXUEYUAN", "15000", "张店区家庭教育志愿者联合捐赠", "demo:gift:6"),
        _grant("2026-10-20", "AILILIANG", "30000", "拨付筑仁成长公益服务中心：困境儿童帮扶项目首期款", "demo:grant:1"),
        _gift("2026-11-03", "AILILIANG", "8000", "孙丽女士捐赠“爱力量”", "demo:gift:7"),
        _grant("2026-11-10", "TONGMENG", "12000", "拨付喜悦绘：童梦童行暑期课堂结算款", "demo:grant:2"),
        EntryDraft(date(2026, 11, 16), EntryCode.MANUAL, "银行账户管理费", (
            Posting("5201", GEN, debit=parse_amount("120")), Posting("1002", GEN, credit=parse_amount("120")))),
    ]:
        posted.append(post_entry(session, actor, d, today=today))
    return {"funds": len(FUNDS), "entries": len(posted), "users": len(USERS)}
