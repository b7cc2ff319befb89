"""The dashboards: what a manager, an auditor and a grantee see first.

/overview shows the manager's dashboard (money in and out, requests waiting, deadlines, charts) or the
auditor's (seals, audit reports, the chains' state), each with the trial balance below; /home is the
grantee's own page. The figures come from :mod:`fund_ledger.reports.dashboard`, the drawings from
:mod:`fund_ledger.reports.charts`.
"""
from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_babel import gettext, pgettext
from markupsafe import Markup

from ..db.engine import read_session
from ..http.db import db_session
from ..http.i18n import NP_, N_
from ..http.security import access, client_address, current_actor
from ..reports import dashboard as dash
from ..reports.charts import Series, bar_chart, line_chart
from ..reports.statement_render import spending_ratio_rows
from ..reports.trial_balance import build_trial_balance
from ..services.errors import ServiceError
from ..services.verify import verify_ledger
from . import BOOK_READERS, _date_arg, bp
from .disbursements import status_name

STAGES = {
    "approval": NP_("request waits for", "Waiting for approval"),
    "second_approval": NP_("request waits for", "Waiting for a second manager's approval"),
    "payment": NP_("request waits for", "Waiting for payment"),
    "acknowledge": NP_("request waits for", "Please confirm receipt"),
    "report": NP_("request waits for", "Please submit a use report"),
    "report_again": NP_("request waits for", "Use report sent back: please submit it again"),
    "report_review": NP_("request waits for", "Use report waiting for review"),
    "done": NP_("request waits for", "Done"),
}
WHO = {"manager": NP_("request waits on", "Fund manager"), "grantee": NP_("request waits on", "Your organisation")}
DEADLINES = {"fund_end": N_("Fund ends"), "programme_end": N_("Programme ends"),
             "pledge_due": N_("Pledge instalment due")}


def stage_name(request_row: dash.Request) -> str:
    stage = request_row.stage
    return pgettext("request waits for", STAGES[stage]) if stage in STAGES else status_name(stage)


def who_name(request_row: dash.Request) -> str:
    return pgettext("request waits on", WHO[request_row.waits_on]) if request_row.waits_on in WHO else ""


# --- charts -----------------------------------------------------------------------------------------

def _axis(months: tuple[str, ...]) -> tuple[list[str], list[str | None]]:
    """Month numbers along the axis, and the year under each January and under the first month (unless a
    January follows at once: two years side by side would overlap)."""
    labels = [str(int(mo[5:])) for mo in months]
    first_named = len(months) < 2 or not months[1].endswith("-01")
    groups = [mo[:4] if mo.endswith("-01") or (i == 0 and first_named) else None for i, mo in enumerate(months)]
    return labels, groups


def flows_chart(d: dash.ManagerDashboard) -> Markup:
    labels, groups = _axis(d.months)
    total_in, total_out = sum(f.income for f in d.flows), sum(f.spending for f in d.flows)
    return Markup(bar_chart(
        labels, [Series(gettext("Income"), tuple(f.income for f in d.flows)),
                 Series(gettext("Spending"), tuple(f.spending for f in d.flows))],
        groups=groups, title=gettext("Income and spending per month, last 12 months"),
        description=gettext("Over the 12 months: income ¥%(income)s, spending ¥%(spending)s.",
                            income=f"{total_in / 100:,.2f}", spending=f"{total_out / 100:,.2f}")))


def balances_chart(d: dash.ManagerDashboard) -> Markup:
    labels, groups = _axis(d.months)
    return Markup(line_chart(
        labels, [Series(h.name, h.balances) for h in d.histories], groups=groups,
        title=gettext("Each fund's money at the end of each month"),
        description=gettext("One line per fund; the last point is today.")))


# --- pages ------------------------------------------------------------------------------------------

def _verify(auditor: dash.AuditorDashboard):
    """The chains re-checked now (never kept between requests): at once on a small ledger; on a big one
    only when asked (?verify=1), under the guard that lets one such check run at a time."""
    if auditor.verify_inline:
        return verify_ledger(db_session()), None
    if request.args.get("verify") != "1":
        return None, None
    from ..http.throttle import verify_guard

    try:
        with verify_guard().run(client_address()):
            session = read_session(current_app.extensions["fund_ledger.engine"])
            try:
                return verify_ledger(session), None
            finally:
                session.close()
    except ServiceError as err:
        return None, err.detail


@bp.get("/overview")
@access(*BOOK_READERS)
def overview():
    as_of = _date_arg("as_of")
    actor = current_actor()
    if actor.role == "auditor":
        auditor = dash.auditor_dashboard(db_session())
        verified, verify_error = _verify(auditor)
        context = {"auditor": auditor, "verified": verified, "verify_error": verify_error}
    else:
        d = dash.manager_dashboard(db_session())
        context = {"d": d, "flows_svg": flows_chart(d), "balances_svg": balances_chart(d),
                   "ratio_rows": spending_ratio_rows(d.ratio), "stage_name": stage_name,
                   "deadline_names": DEADLINES, "report_due_days": dash.REPORT_DUE_DAYS,
                   "deadline_days": dash.DEADLINE_DAYS}
    tb = build_trial_balance(db_session(), as_of)
    return render_template("web/overview.html", tb=tb, as_of_arg=as_of,
                           restricted_net_assets=dash.RESTRICTED_NET_ASSETS, **context)


@bp.get("/home")
@access("grantee")
def grantee_home():
    actor = current_actor()
    if actor.organisation_id is None:
        abort(404)
    g = dash.grantee_dashboard(db_session(), actor.organisation_id)
    return render_template("web/dashboards/grantee.html", g=g, stage_name=stage_name, who_name=who_name)
