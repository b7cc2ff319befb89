"""The disclosure calendar's due dates and states, on chosen days and across year ends and leap years."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fund_ledger.ledger import disclosure_calendar as cal

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@pytest.mark.parametrize("year, due", [(2026, date(2027, 5, 31)), (2027, date(2028, 5, 31)), (2027, date(2028, 5, 31))])
def test_annual_report_is_due_on_31_may_of_the_next_year(year, due):
    assert cal.annual_due(year) == due


@pytest.mark.parametrize("today, state, days", [
    (date(2026, 12, 31), "due", 151),
    (date(2027, 1, 1), "due", 150),
    (date(2027, 5, 31), "due", 0),
    (date(2027, 6, 1), "late", 1),
    (date(2028, 2, 29), "late", 274),
])
def test_the_2026_annual_report_on_sample_days(today, state, days):
    accounts, report = cal.calendar_states(cal.duties((2026,), (), ()), (), today)  # (by due date, then key)
    assert report.duty.key == "annual_report:2026" and accounts.duty.key == "accounts:2026"
    assert (report.state, report.days) == (state, days) == (accounts.state, accounts.days)
    assert report.duty.due == date(2027, 5, 31)


@pytest.mark.parametrize("start, end, dues", [
    (date(2026, 1, 1), date(2026, 6, 30), ()),  # six months or less: no updates required
    (date(2026, 1, 1), date(2026, 7, 1), ()),  # exactly six months is not over six
    (date(2026, 1, 1), date(2026, 7, 2), (date(2026, 4, 1), date(2026, 7, 1))),
    (date(2027, 11, 30), date(2028, 12, 31), (date(2028, 2, 29), date(2028, 5, 30), date(2028, 8, 30),
                                             date(2028, 11, 30))),
    (date(2026, 11, 30), date(2027, 6, 30), (date(2027, 2, 28), date(2027, 5, 30))),
    (date(2026, 12, 31), date(2027, 12, 31), (date(2027, 3, 31), date(2027, 6, 30), date(2027, 9, 30),
                                             date(2027, 12, 31))),
])
def test_project_updates_every_three_months_for_programmes_over_six_months(start, end, dues):
    assert cal.update_dues(start, end) == dues


@pytest.mark.parametrize("end, due", [(date(2027, 11, 30), date(2028, 2, 29)), (date(2026, 11, 30), date(2027, 2, 28)),
                                      (date(2026, 12, 31), date(2027, 3, 31)), (date(2027, 5, 31), date(2027, 8, 31))])
def test_leftover_notice_within_three_months_of_the_end(end, due):
    assert cal.leftover_due(end) == due


def test_related_party_within_30_days_across_a_year_end_and_a_leap_day():
    assert cal.related_party_due(date(2026, 12, 15)) == date(2027, 1, 14)
    assert cal.related_party_due(date(2028, 2, 1)) == date(2028, 3, 2)


def test_states_done_due_late_and_published_late():
    programme = cal.Programme(3, "童梦童行", date(2026, 1, 1), date(2026, 12, 31))
    gift = cal.Related("gift", 7, "某企业", date(2026, 11, 1), 500_00)
    items = (cal.Published("item:1", "project_update", "project_update:3:1", None, date(2026, 3, 20)),   # on time
             cal.Published("item:2", "project_update", "project_update:3:2", None, date(2026, 7, 13)),   # 12 days late
             cal.Published("item:3", "annual_report", None, "2025", date(2026, 5, 1)))                   # no key: by year
    states = {s.duty.key: s for s in cal.calendar_states(cal.duties((2025,), (programme,), (gift,)), items,
                                                       date(2026, 11, 20))}
    assert (states["project_update:3:1"].state, states["project_update:3:1"].item_ref) == ("done", "item:1")
    assert (states["project_update:3:2"].state, states["project_update:3:2"].days) == ("done_late", 12)
    assert (states["project_update:3:3"].state, states["project_update:3:3"].days) == ("late", 50)  # due 2026-10-01
    assert (states["related_party:7"].state, states["related_party:7"].days) == ("due", 11)
    assert states["annual_report:2025"].state == "done" and states["accounts:2025"].state == "late"
    assert states["leftover:3"].duty.due == date(2027, 3, 31)


def test_the_first_answer_counts_not_a_later_correction():
    duty = cal.Duty("annual_report:2026", "annual_report", date(2027, 5, 31), period="2026")
    items = (cal.Published("item:9", "annual_report", "annual_report:2026", "2026", date(2027, 6, 3)),
             cal.Published("item:4", "annual_report", "annual_report:2026", "2026", date(2027, 5, 20)))
    assert cal.answering(duty, items).ref == "item:4"


@given(DAYS, st.integers(min_value=-400, max_value=400))
def test_add_months_stays_in_the_target_month_and_never_overshoots(day, months):
    moved = cal.add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)


@given(DAYS, DAYS)
def test_a_programme_update_is_never_more_than_three_months_after_the_last(start, end):
    start, end = min(start, end), max(start, end)
    dues = cal.update_dues(start, end)
    if not cal.runs_over_six_months(start, end):
        assert dues == ()
        return
    assert len(dues) >= 2 and all(d <= end for d in dues)
    previous = start
    for k, due in enumerate(dues, start=1):  # counted from the start, so month ends do not drift
        assert due == cal.add_months(start, 3 * k)
        assert 0 < (due - previous).days <= 92  # three months are at most 92 days
        previous = due
    assert cal.add_months(start, 3 * (len(dues) + 1)) > end  # none missing before the end


@given(st.integers(min_value=2000, max_value=2098), DAYS, st.one_of(st.none(), DAYS))
def test_states_across_year_ends(year, today, published):
    (state,) = [s for s in cal.calendar_states(cal.duties((year,), (), ()),
                                               () if published is None else
                                               (cal.Published("item:1", "annual_report", None, str(year), published),),
                                               today) if s.duty.kind == "annual_report"]
    due = date(year + 1, 5, 31)
    assert state.duty.due == due
    if published is None:
        assert (state.state, state.days) == (("due", (due - today).days) if today <= due else ("late", (today - due).days))
    elif published <= due:
        assert (state.state, state.days, state.published_on) == ("done", 0, published)
    else:
        assert (state.state, state.days) == ("done_late", (published - due).days) and state.days > 0


KINDS = st.sampled_from(cal.RELATED_KINDS)
IDS = st.integers(min_value=1, max_value=2**31 - 1)


@given(DAYS, KINDS, IDS)
def test_a_related_party_transaction_is_due_30_days_later_across_month_and_year_ends(day, kind, ident):
    (duty,) = cal.duties((), (), (cal.Related(kind, ident, "某理事", day, 100),))
    assert duty.due.toordinal() - day.toordinal() == 30  # counted in days, whatever the months hold
    assert duty.due > day and (duty.due.year, duty.due.month) >= (day.year, day.month)
    assert cal.state_of(duty.due, duty.due, None) == ("due", 0)
    assert cal.state_of(duty.due, duty.due + timedelta(days=1), None) == ("late", 1)
    assert cal.state_of(duty.due, day, None) == ("due", 30)


@given(DAYS, st.sampled_from(cal.MAJOR_KINDS), IDS, IDS)
def test_a_major_transaction_is_due_30_days_later_and_every_key_is_one_a_published_item_may_name(day, kind, entry, ident):
    from fund_ledger.schemas.disclosures import DUTY

    related = tuple(cal.Related(k, ident, "某理事", day, 100) for k in cal.RELATED_KINDS)
    found = cal.duties((day.year,), (cal.Programme(ident, "童梦童行", day, day + timedelta(days=400)),), related,
                       (cal.Major(kind, entry, ident, "某企业", day, 100),))
    (major,) = [x for x in found if x.kind == "major_transaction"]
    assert major.key == f"major:{entry}" and major.due == date.fromordinal(day.toordinal() + 30)
    assert len({x.key for x in found}) == len(found)  # no two duties share a key
    for x in found:
        assert DUTY.fullmatch(x.key) and len(x.key) <= 48, x.key


@pytest.mark.parametrize("key", ["related_party:gift:3", "related_party:refund", "major:1:2", "annual_report:26",
                                 "accounts:2026:1", "leftover:1:2", "project_update:1", "related_party:x:1"])
def test_keys_no_duty_has_are_refused(key):
    from fund_ledger.schemas.disclosures import DUTY

    assert DUTY.fullmatch(key) is None


@pytest.mark.parametrize("on, due", [(date(2026, 12, 15), date(2027, 1, 14)), (date(2027, 1, 31), date(2027, 3, 2)),
                                     (date(2028, 1, 31), date(2028, 3, 1)), (date(2026, 2, 1), date(2026, 3, 3))])
def test_30_days_on_chosen_days(on, due):
    assert cal.major_due(on) == cal.related_party_due(on) == due
