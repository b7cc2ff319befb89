"""A generated year of books, built through the services as the fund's people would build it.

``build_year(session, year=2025)`` records, in the caller's transaction (the caller commits):

* donors: organisations and persons, some registered as related parties (``related_parties.register``,
  one relation ended mid-year), some giving anonymously under a display name;
* gifts (~5,000 from ~1,500 donors at full size): each month the persons' gifts arrive as a WeChat/bank
  bill imported in bulk (``imports.import_donations``, which adds the donors it does not know), the
  organisations' and the anonymous gifts are recorded at the desk (``donations.record_donations``);
  across the general fund, an unrestricted project fund, three restricted funds and one restricted fund
  (护花行动) opened in April and spent out by its end date in September;
* refunds of some gifts (``donations.refund_donation``), dated two weeks to six weeks after the gift;
* grants (~100 to ~10 grantee organisations) through ``disbursements``: submitted by the grantee, approved
  (twice above the dual-approval threshold), paid, acknowledged, reported; some return part of the money,
  one is paid in December and partly returned in January of the next year; one is rejected, one cancelled;
* management costs (rent and bank fees paid, salaries accrued to 2204 and paid, a platform's fee through
  1009), the monthly sweep of WeChat/Alipay and cash into the bank and one 1002 → 1009 top-up (transfers
  between cash accounts: no flow) through ``ledger.post_entry``, as the manual-entry page posts them;
* every month of the year closed and sealed (``periods.close_year``), unless ``close=False``.

Deterministic for a given seed (``random.Random``), and sized by its arguments: ``build_year(s, gifts=300,
donors=120, grants=12)`` runs in a few seconds. What it recorded is returned as :class:`GeneratedYear`, so a
test can compare the statements with figures kept outside the ledger.
"""
from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from fund_ledger.db import models as m
from fund_ledger.db import repository as repo
from fund_ledger.ledger.accounts import GENERAL_FUND_CODE as GEN
from fund_ledger.ledger.credit_code import CHARSET, check_character
from fund_ledger.ledger.entries import EntryCode, EntryDraft, Posting
from fund_ledger.services import disbursements as dis
from fund_ledger.services import related_parties
from fund_ledger.services.actor import Actor
from fund_ledger.services.donations import Gift, create_donor, record_donations, refund_donation
from fund_ledger.services.funds import create_fund
from fund_ledger.services.imports import import_donations
from fund_ledger.services.ledger import post_entry
from fund_ledger.services.organisations import create_organisation
from fund_ledger.services.periods import close_year
from tests.factories import TODAY

MANAGER, MANAGER2 = Actor("manager", "manager"), Actor("manager2", "manager")
YUAN = 100

FUNDS = (  # code, name, restricted, purpose, share of gifts
    (GEN, None, False, "", 45),
    ("AILILIANG", "爱力量", True, "帮助困境儿童", 20),
    ("TONGMENG", "童梦童行", True, "暑期课堂", 10),
    ("YINGYANG", "合理膳食 营养惠万家", True, "社区营养指导", 8),
    ("ZHIAI", "至爱家国", False, "", 9),
    ("HUHUA", "护花行动", True, "女童安全教育", 8),
)
SHORT_FUND = "HUHUA"
"""Opened in April, takes gifts until its end date (30 September) and is spent out by then."""

GRANTEES = ("筑仁成长公益服务中心", "等等心灵公益服务中心", "安乐益家", "区婚姻家庭辅导中心", "市家庭教育研究会",
            "营养学会", "道立方教育", "喜悦绘", "多彩巾帼苑", "张店区阳光家园", "淄博市巾帼志愿者协会",
            "张店区护童社工站")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("秀英", "桂英", "秀兰", "玉兰", "桂兰", "丽", "静", "敏", "艳", "娟", "霞", "芳", "燕", "红", "玲", "婷",
         "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "华", "建国", "建华", "志强", "海燕", "晓梅", "雪",
         "欣怡", "子涵", "梓萱", "思远", "浩然", "雨桐", "一诺", "佳怡")
COMPANY_PLACES = ("淄博", "张店", "齐鲁", "鲁中", "博山", "周村", "临淄", "齐盛", "华光", "金晶")
COMPANY_WORDS = ("陶瓷", "化工", "医药", "机械", "纺织", "食品", "建材", "物流", "电子", "商贸", "置业", "科技")
COMPANY_KINDS = ("有限公司", "股份有限公司", "商贸有限公司", "实业有限公司")


@dataclass
class GeneratedYear:
    """What was recorded, kept outside the ledger so the statements can be checked against it (fen)."""

    year: int
    gifts: int = 0
    """Gifts received in the year (all funds)."""
    gift_count: int = 0
    imported: int = 0
    """How many of the gifts came in through imported files."""
    refunds: int = 0
    """Refunds dated in the year."""
    refund_count: int = 0
    grants_paid: int = 0
    grant_count: int = 0
    returned: int = 0
    """Grant money returned, dated in the year."""
    returned_next_year: int = 0
    management: int = 0
    """管理费用 posted in the year."""
    fundraising: int = 0
    """筹资费用 posted in the year."""
    donors: int = 0
    organisations: int = 0
    funds: dict[str, int] = field(default_factory=dict)
    """Fund code -> fund id."""

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)


def credit_code(rng: random.Random) -> str:
    """A valid 统一社会信用代码 of a social organisation registered in 张店区 (5 2 370303 ...)."""
    first17 = "52370303" + "".join(rng.choice(CHARSET) for _ in range(9))
    return first17 + check_character(first17)


def _people(rng: random.Random, n: int) -> list[str]:
    names = [s + g for s in SURNAMES for g in GIVEN]
    rng.shuffle(names)
    while len(names) < n:  # a small town has namesakes: the file and the desk tell them apart by a number
        names += [f"{x}{len(names) // len(SURNAMES) + 2}" for x in names[:n - len(names)]]
    return names[:n]


def _companies(rng: random.Random, n: int) -> list[str]:
    names = sorted({f"{p}{w}{k}" for p in COMPANY_PLACES for w in COMPANY_WORDS for k in COMPANY_KINDS})
    rng.shuffle(names)
    return [names[i] if i < len(names) else f"{names[i % len(names)]}第{i // len(names) + 1}分公司" for i in range(n)]


def _day(rng: random.Random, year: int) -> date:
    """A day of the year, busier around 99公益日 (September) and at the year's end."""
    month = rng.choices(range(1, 13), weights=(6, 5, 7, 7, 7, 8, 7, 7, 14, 8, 9, 15))[0]
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, rng.randint(1, last))


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def _manual(session, day: date, memo: str, *postings: Posting, today: date) -> None:
    post_entry(session, MANAGER, EntryDraft(day, EntryCode.MANUAL, memo, postings, source="generated-year"), today=today)


def _csv(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(("donor", "donor_kind", "fund", "amount", "received_on", "channel", "reference", "memo"))
    for name, kind, fund, fen, day, channel, ref in rows:
        w.writerow((name, kind, fund, f"{fen // 100}.{fen % 100:02d}", day.isoformat(), channel, ref, ""))
    return out.getvalue().encode("utf-8")


def build_year(session, *, year: int = 2025, gifts: int = 5_000, donors: int = 1_500, grants: int = 100,
               grantees: int = 10, seed: int = 13, close: bool = True, today: date = TODAY) -> GeneratedYear:
    """Record a year of the fund's books through the services (module docstring); returns what was recorded."""
    assert date(year + 1, 1, 31) < today, "the year and the January after it must be in the past"
    rng = random.Random(seed)
    out = GeneratedYear(year)
    short_start, short_end = date(year, 4, 1), date(year, 9, 30)

    # --- funds, organisations, donors -------------------------------------------------------------
    # (a ledger may hold earlier generated years: what exists is reused, the short fund is opened only once)
    fund_ids = dict(session.execute(select(m.Fund.code, m.Fund.id)).all())
    short = SHORT_FUND if SHORT_FUND not in fund_ids else None
    for code, name, restricted, purpose, _share in FUNDS:
        if code not in fund_ids:
            create_fund(session, MANAGER, code=code, name=name, restricted=restricted, purpose=purpose,
                        end_date=short_end if code == SHORT_FUND else None)
    out.funds = dict(session.execute(select(m.Fund.code, m.Fund.id)).all())
    known = dict(session.execute(select(m.Organisation.name, m.Organisation.id)).all())
    orgs = [known.get(name) or create_organisation(session, MANAGER, name=name, credit_code=credit_code(rng),
                                                   contact="张店区").id for name in GRANTEES[:grantees]]
    out.organisations = len(orgs)
    related_parties.register(session, MANAGER, name="", kind="organisation", relation="理事任该机构负责人",
                             organisation_id=orgs[-1], since=date(year, 1, 1))

    n_orgs = max(2, donors // 8)
    n_desk_people = max(2, donors // 8)  # regulars known at the desk (some give anonymously)
    people, companies = _people(rng, donors - n_orgs), _companies(rng, n_orgs)
    org_ids = [create_donor(session, MANAGER, name=n, kind="organisation", phone=f"0533-{2_100_000 + i}").id
               for i, n in enumerate(companies)]
    desk_ids = [create_donor(session, MANAGER, name=n, kind="person", phone=f"139{5_330_0000 + i:08d}",
                             display_name="爱心人士" if i % 3 == 0 else "").id
                for i, n in enumerate(people[:n_desk_people])]
    for donor_id, relation, since in ((org_ids[0], "理事任职单位", date(year, 1, 1)),
                                      (desk_ids[0], "基金理事", date(year, 1, 1)),
                                      (desk_ids[1], "工作人员近亲属", date(year, 3, 1))):
        party = related_parties.register(session, MANAGER, name="", kind=session.get(m.Donor, donor_id).kind,
                                         relation=relation, donor_id=donor_id, since=since)
    related_parties.end_relation(session, MANAGER, party.id, until=date(year, 8, 31))
    out.donors = donors

    # --- the gifts, planned ------------------------------------------------------------------------
    codes = [f[0] for f in FUNDS]
    shares = [f[4] for f in FUNDS]
    by_month: dict[int, list[tuple]] = defaultdict(list)
    for i in range(gifts):
        day = _day(rng, year)
        fund = rng.choices(codes, weights=shares)[0]
        if fund == SHORT_FUND and not (short and short_start <= day <= short_end):
            fund = GEN
        if rng.random() < 0.15:  # an organisation, by bank transfer
            who = ("desk", org_ids[rng.randrange(len(org_ids))], "organisation")
            fen = rng.choice((1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)) * YUAN
            channel, anonymous = "bank", False
        else:
            fen = int(rng.lognormvariate(5.3, 1.0) * YUAN) // 100 * 100 + rng.choice((0, 0, 0, 88, 66, 50))
            fen = min(max(fen, 10 * YUAN), 50_000 * YUAN)
            channel = rng.choices(("wechat", "bank", "alipay", "cash"), weights=(50, 25, 15, 10))[0]
            k = i % (donors - n_orgs) if i < donors - n_orgs else rng.randrange(donors - n_orgs)
            if k < n_desk_people:
                anonymous = rng.random() < 0.3
                who = ("desk", desk_ids[k], "person")
            else:
                anonymous = False
                who = ("file", people[k], "person")
        by_month[day.month].append((day, fund, fen, channel, who, anonymous, i))
    # the first gifts: 爱力量's 100,000 yuan and the association's start-up money for the general fund
    founder = create_donor(session, MANAGER, name="张店区女企业家协会", kind="organisation").id
    by_month[1] += [(date(year, 1, 8), "AILILIANG", 100_000 * YUAN, "bank", ("desk", founder, "organisation"), False, -2),
                    (date(year, 1, 8), GEN, 50_000 * YUAN, "bank", ("desk", founder, "organisation"), False, -1)]

    grant_months = [rng.choices(range(1, 13), weights=(3, 4, 6, 7, 8, 9, 9, 8, 9, 10, 11, 12))[0]
                    for _ in range(grants)]
    grants_in = defaultdict(int)
    for month in grant_months:
        grants_in[month] += 1
    refunds_by_month: dict[int, list[tuple[int, date, int]]] = defaultdict(list)
    grantee_actor = {o: Actor(f"grantee{o}", "grantee", organisation_id=o) for o in orgs}
    disbursement_count = 0

    for month in range(1, 13):
        month_end = _month_end(year, month)
        # --- gifts: the month's bill imported, the desk's gifts recorded ------------------------------
        rows = sorted(by_month[month], key=lambda r: (r[0], r[6]))
        bill = [(w[1], w[2], fund, fen, day, channel, f"WX{year}{i:06d}")
                for day, fund, fen, channel, w, _anon, i in rows if w[0] == "file"]
        if bill:
            import_donations(session, MANAGER, _csv(bill), f"账单-{year}-{month:02d}.csv", today=today)
            out.imported += len(bill)
        desk = [Gift(w[1], fund, fen, day, channel, reference=f"BK{year}{i:06d}" if channel == "bank" else "",
                     anonymous=anon)
                for day, fund, fen, channel, w, anon, i in rows if w[0] == "desk"]
        for lo in range(0, len(desk), 1_000):
            for d in record_donations(session, MANAGER, desk[lo:lo + 1_000], today=today):
                first = out.refund_count == 0 and not refunds_by_month
                if d.fund_code in (GEN, "ZHIAI") and (first or rng.random() < 0.03):  # asked back weeks later
                    on = d.received_on + timedelta(days=rng.randint(14, 45))
                    if on.year == year:
                        refunds_by_month[on.month].append((d.id, on, d.amount))
        out.gifts += sum(r[2] for r in rows)
        out.gift_count += len(rows)
        for donation_id, on, fen in refunds_by_month.pop(month, []):
            refund_donation(session, MANAGER, donation_id, "捐赠人要求退回", on=on, today=today)
            out.refunds += fen
            out.refund_count += 1

        # --- grants -----------------------------------------------------------------------------------
        for _ in range(grants_in[month]):
            positions = repo.money_by_fund(session)
            open_funds = [c for c in codes if c != SHORT_FUND or (short and short_start <= month_end <= short_end)]
            fund = max(open_funds, key=lambda c: positions.get(c).available * rng.random() if positions.get(c) else -1)
            available = positions[fund].available
            amount = min(rng.choice((5_000, 8_000, 10_000, 20_000, 30_000, 50_000, 60_000, 80_000)) * YUAN,
                         available // 2 // (100 * YUAN) * (100 * YUAN))
            if amount < 1_000 * YUAN:
                continue
            paid_on = date(year, month, rng.randint(1, month_end.day))
            _grant(session, out, rng, orgs, grantee_actor, fund, amount, paid_on, today=today,
                   returns=fund != SHORT_FUND and rng.random() < 0.25)  # nothing comes back after its end
            disbursement_count += 1
        if month == 9 and short:  # 护花行动 is spent out before its end date: the last grant takes what it holds
            left = repo.money_by_fund(session)[SHORT_FUND].available
            if left > 0:
                _grant(session, out, rng, orgs, grantee_actor, SHORT_FUND, left, short_end - timedelta(days=3),
                       today=today, returns=False)
        if month == 12:  # paid in December, part of it back in January
            fund = "AILILIANG"
            amount = min(40_000 * YUAN, repo.money_by_fund(session)[fund].available // 2)
            _grant(session, out, rng, orgs, grantee_actor, fund, amount, date(year, 12, 18), today=today,
                   returns=True, returned_on=date(year + 1, 1, 12))

        # --- running costs and transfers between cash accounts ----------------------------------------
        scale = min(1.0, gifts / 5_000)  # a smaller year is a smaller office
        rent, fee = int(3_000 * scale) * YUAN, rng.randint(20, 80) * YUAN
        salaries = int(2 * 4_500 * scale) * YUAN
        _manual(session, date(year, month, 5), "支付办公室房租", Posting("5201", GEN, debit=rent),
                Posting("1002", GEN, credit=rent), today=today)
        _manual(session, date(year, month, 20), "银行账户管理费", Posting("5201", GEN, debit=fee),
                Posting("1002", GEN, credit=fee), today=today)
        _manual(session, date(year, month, 25), "计提工作人员工资", Posting("5201", GEN, debit=salaries),
                Posting("2204", GEN, credit=salaries), today=today)
        _manual(session, month_end, "发放工作人员工资", Posting("2204", GEN, debit=salaries),
                Posting("1002", GEN, credit=salaries), today=today)
        out.management += rent + fee + salaries
        if month % 3 == 0:
            platform = int(rng.randint(200, 600) * scale) * YUAN
            _manual(session, month_end, "网络募捐平台服务费", Posting("5301", GEN, debit=platform),
                    Posting("1009", GEN, credit=platform), today=today)
            out.fundraising += platform
        if month == 6:
            _manual(session, date(year, 6, 10), "银行转入微信商户备用金", Posting("1009", GEN, debit=2_000 * YUAN),
                    Posting("1002", GEN, credit=2_000 * YUAN), today=today)
        balances = repo.stored_balances(session)
        for code in codes:
            for account, memo in (("1009", "微信、支付宝余额提现至银行"), ("1001", "库存现金存入银行")):
                b = balances.get((account, code))
                held = (b.debits_posted - b.credits_posted) if b else 0
                move = held * 9 // 10 // YUAN * YUAN
                if move > 0:
                    _manual(session, month_end, f"{memo}（{code}）", Posting("1002", code, debit=move),
                            Posting(account, code, credit=move), today=today)

    # a request turned down and one withdrawn: no money moves
    for action in ("reject", "cancel"):
        row = dis.submit(session, grantee_actor[orgs[0]], organisation_id=orgs[0], fund=GEN, amount=5_000 * YUAN,
                         purpose="社区亲子活动", today=today)
        if action == "reject":
            dis.reject(session, MANAGER, row.id, "与资助方向不符")
        else:
            dis.cancel(session, grantee_actor[orgs[0]], row.id, "活动取消")
    if close:
        close_year(session, MANAGER, str(year), today=today)
    session.flush()
    return out


def _grant(session, out: GeneratedYear, rng: random.Random, orgs: list[int], grantee_actor: dict, fund: str,
           amount: int, paid_on: date, *, today: date, returns: bool, returned_on: date | None = None) -> None:
    """One disbursement through its whole life: submitted, approved, paid, acknowledged, reported, received."""
    org = orgs[rng.randrange(len(orgs))]
    grantee = grantee_actor[org]
    row = dis.submit(session, grantee, organisation_id=org, fund=fund, amount=amount,
                     purpose=f"{rng.choice(('困境儿童帮扶', '家庭教育讲座', '暑期课堂', '营养进社区', '心理援助'))}项目",
                     today=today)
    dis.approve(session, MANAGER, row.id)
    if row.approvals_needed > 1:
        dis.approve(session, MANAGER2, row.id)
    dis.pay(session, MANAGER, row.id, paid_on=paid_on, reference=f"FK{paid_on:%Y%m%d}{row.id:04d}", today=today)
    received = paid_on + timedelta(days=rng.randint(0, 4))
    dis.acknowledge(session, grantee, row.id, received_on=received, today=today)
    out.grants_paid += amount
    out.grant_count += 1
    back = amount * rng.randint(5, 30) // 100 // YUAN * YUAN if returns else 0
    dis.submit_report(session, grantee, row.id, spent=amount - back, returned=back, narrative="项目已按计划实施。")
    if back:
        returned_on = returned_on or min(paid_on + timedelta(days=rng.randint(20, 60)), date(paid_on.year, 12, 31))
    dis.receive_report(session, MANAGER, row.id, note="已核对", returned_on=returned_on if back else None,
                       return_reference=f"TH{row.id:06d}" if back else "", today=today)
    if back and returned_on.year == paid_on.year:
        out.returned += back
    elif back:
        out.returned_next_year += back


__all__ = ["GeneratedYear", "build_year", "MANAGER", "MANAGER2"]
