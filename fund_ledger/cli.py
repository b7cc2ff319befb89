"""The ``fund-ledger`` command (also ``flask --app fund_ledger ...``)."""
from __future__ import annotations

import json
import sys
from datetime import date
from functools import cache

import click
from sqlalchemy.engine import Engine

from . import clock
from .config import SettingsError, database_url, settings
from .db.engine import create_db_engine, read_session, write_session
from .db.schema import upgrade
from .services.errors import ServiceError


@cache
def _engine(url: str) -> Engine:
    return create_db_engine(url)


def engine(*, check_schema: bool = True) -> Engine:
    eng = _engine(database_url())
    if check_schema and not _schema_ok(eng):
        click.echo("error: the database schema is missing or out of date: run `fund-ledger init` first", err=True)
        sys.exit(1)
    return eng


@cache
def _schema_ok(eng: Engine) -> bool:
    from .db.schema import is_current

    try:
        return is_current(eng)
    except Exception:  # noqa: BLE001 - an unreachable or empty database is reported the same way
        return False


def _fail(err: ServiceError) -> None:
    click.echo(f"error: {err.detail}", err=True)
    for field, messages in err.errors.items():
        for message in messages:
            click.echo(f"  {field}: {message}", err=True)
    sys.exit(1)


def _iso_date(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


@click.command("init")
def init_command() -> None:
    """Create or upgrade the schema, the chart of accounts and the general fund (safe to repeat)."""
    from .services.setup import initialise

    eng = engine(check_schema=False)
    upgrade(eng)
    with write_session(eng) as session, session.begin():
        added = initialise(session)
    click.echo(f"database ready ({eng.url.render_as_string(hide_password=True)}); "
               f"added {added['accounts']} accounts, {added['funds']} funds")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) when the ledger already has entries.")
def demo_command(if_empty: bool) -> None:
    """Load the demo story into an empty ledger; refuses a ledger that has entries."""
    from .services.demo import ledger_is_empty, load_demo

    if if_empty:
        with read_session(engine()) as session, session.begin():
            if not ledger_is_empty(session):
                click.echo("the ledger already has entries: demo not loaded")
                return
    try:
        with write_session(engine()) as session, session.begin():
            loaded = load_demo(session)
    except ServiceError as err:
        _fail(err)
    click.echo(f"demo loaded: {loaded['funds']} funds, {loaded['entries']} entries, {loaded['users']} users")


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "manager", "grantee", "auditor"]), required=True)
@click.option("--org", "organisation_id", type=int, help="The grantee's organisation id.")
@click.option("--display-name", default="", help="Name shown in the app.")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
def create_user_command(username: str, role: str, organisation_id: int | None, display_name: str,
                        password_stdin: bool) -> None:
    """Add a user (the first admin of a new installation, for instance)."""
    from .services.actor import SYSTEM
    from .services.users import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with write_session(engine()) as session, session.begin():
            user = create_user(session, SYSTEM, username=username, role=role, password=password,
                               organisation_id=organisation_id, display_name=display_name)
    except ServiceError as err:
        _fail(err)
    click.echo(f"created user {user.username} ({user.role}, id {user.id})")


@click.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify_command(as_json: bool) -> None:
    """Recompute the hash chain and every stored balance; exit 1 naming the first bad entry."""
    from .services.verify import verify_ledger

    with read_session(engine()) as session, session.begin():
        report = verify_ledger(session)
    _print_verify(report, as_json)
    sys.exit(0 if report.ok else 1)


def _print_verify(report, as_json: bool = False) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    elif report.ok:
        click.echo(f"ok: {report.entries} entries checked, head {report.head_hash}")
        click.echo(f"ok: {report.audit_records} audit records checked, head {report.audit_head_hash}")
    else:
        click.echo(f"FAILED: first bad entry {report.first_bad_entry or '(none: see below)'}; "
                   f"first bad audit record {report.first_bad_audit_record or '(none)'}; "
                   f"{report.entries} entries read", err=True)
        for problem in report.problems:
            click.echo(f"  - {problem}", err=True)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(file: str) -> None:
    """A consistent copy of the whole ledger while the app runs (SQLite online backup; pg_dump on PostgreSQL)."""
    from .services.backup import BackupError, backup_ledger

    try:
        done = backup_ledger(engine(), file)
    except BackupError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"backup written: {done.path} ({done.kind}, {done.size:,} bytes)")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def restore_command(file: str) -> None:
    """Restore a backup into an empty database, then verify it; a backup that does not verify is not kept (exit 1,
    naming the first bad entry). Run `fund-ledger init` afterwards only to upgrade an older backup's schema."""
    from .services.backup import BackupError, restore_ledger

    try:
        restored = restore_ledger(engine(check_schema=False), file)
    except BackupError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    _print_verify(restored.report)
    if not restored.report.ok:
        click.echo("the backup does not verify: nothing was restored (the database is empty again)", err=True)
        sys.exit(1)
    click.echo(f"restored from {restored.file.path}")


class _ReportGroup(click.Group):
    """``fund-ledger report NAME``: the trial balance's own command (with its text format), and every other
    statement of the catalogue (``general-journal``, ``activities``, ...) through one shared command."""

    def list_commands(self, ctx):
        from .reports.catalogue import REPORTS

        return ["trial-balance", *(n for n in REPORTS if n != "trial-balance")]

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        from .reports.catalogue import REPORTS

        if name not in REPORTS:
            return None
        return click.Command(name, params=statement_command.params,
                             callback=lambda **kw: statement_command.callback(name=name, **kw),
                             help=f"{REPORTS[name].zh} ({REPORTS[name].en}).")


@click.group("report", cls=_ReportGroup)
def report_group() -> None:
    """Statements: trial-balance, general-journal, account-ledger, fund-statement, activities,
    financial-position, cash-flow, donor-list, grant-register, spending-ratio."""


@report_group.command("trial-balance")
@click.option("--as-of", callback=_iso_date, help="Date (YYYY-MM-DD); default today.")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json", "pdf"]), default="text")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write; default stdout.")
def trial_balance_command(as_of: date | None, fmt: str, output: str | None) -> None:
    """The trial balance (科目余额表)."""
    from .reports.render import render_trial_balance
    from .reports.trial_balance import build_trial_balance

    with read_session(engine()) as session, session.begin():
        tb = build_trial_balance(session, as_of)
    _write(render_trial_balance(tb, fmt), output)


@click.command("statement")
@click.option("--as-of", callback=_iso_date, help="Date (YYYY-MM-DD) for a report as of a day; default today.")
@click.option("--from", "start", callback=_iso_date, help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "end", callback=_iso_date, help="Last day of the period (YYYY-MM-DD).")
@click.option("--fund", "fund", help="A fund's code (or id) for the reports that take one.")
@click.option("--account", help="An account code (account-ledger).")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "pdf"]), default="csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write; default stdout.")
def statement_command(name: str, as_of, start, end, fund: str | None, account: str | None, fmt: str,
                      output: str | None) -> None:
    """A statement of the catalogue by its name (the callback of ``fund-ledger report NAME``)."""
    import json as json_

    from .reports.catalogue import REPORTS, Query, build
    from .services.donations import find_fund
    from .clock import local_today

    try:
        with read_session(engine()) as session, session.begin():
            fund_id = None
            if fund:
                fund_id = find_fund(session, int(fund) if fund.isdigit() else fund).id
            query = Query(as_of=as_of, start=start, end=end, fund_id=fund_id, account=account)
            data = build(session, name, query, today=local_today(), fmt=fmt)
            kind = REPORTS[name]
            if fmt == "json":
                out = json_.dumps(kind.to_json(data), ensure_ascii=False, indent=2) + "\n"
            elif fmt == "csv":
                out = kind.to_csv(data)
            else:
                out = kind.to_pdf(data, generated_by="fund-ledger", generated_at=clock.now())
    except (ServiceError, ValueError) as err:
        if isinstance(err, ValueError):
            raise click.BadParameter(str(err)) from None
        _fail(err)
    _write(out, output)


@click.command("annual-report")
@click.argument("year", type=click.IntRange(1901, 9998))
@click.option("--format", "fmt", type=click.Choice(["json", "pdf", "xlsx"]), default="json")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File to write; default stdout.")
def annual_report_command(year: int, fmt: str, output: str | None) -> None:
    """A year's annual work report (年度工作报告): the submitted one as stored, or the draft read from the books now
    (marked 草稿 DRAFT). Submitting is a manager's step on the page or the API."""
    import json as json_

    from .reports.annual_report import annual_file, year_figures

    try:
        with read_session(engine()) as session, session.begin():
            if fmt == "json":
                out = json_.dumps(year_figures(session, year), ensure_ascii=False, indent=2) + "\n"
            else:
                out, _sha, state = annual_file(session, year, fmt, generated_by="fund-ledger")
                click.echo(f"{year}: {'submitted' if state == 'submitted' else 'draft (草稿)'}", err=True)
    except ServiceError as err:
        _fail(err)
    _write(out, output)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["beancount", "ledger"]), required=True)
@click.option("--through", callback=_iso_date, help="Only entries dated on or before this day (YYYY-MM-DD).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True))
def export_command(fmt: str, through: date | None, output: str | None) -> None:
    """The journal for Beancount or hledger (whole, or through a date)."""
    from .reports.export import export_journal

    with read_session(engine()) as session, session.begin():
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                export_journal(session, fmt, fh, through=through)
        else:
            export_journal(session, fmt, sys.stdout, through=through)


@click.group("import")
def import_group() -> None:
    """Bulk imports."""


@import_group.command("donations")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
def import_donations_command(file: str) -> None:
    """Record the gifts in a .csv (UTF-8 or GBK) or .xlsx file, all or none; run it again on the same file to
    finish an import that was interrupted."""
    from pathlib import Path

    from .services.actor import SYSTEM
    from .services.imports import import_file

    path = Path(file)

    def progress(written: int, rows: int) -> None:
        click.echo(f"written {written} of {rows} gifts", err=True)

    try:  # checked in a read transaction, then written a chunk at a time under the ledger's lock
        result = import_file(engine(), SYSTEM, path.read_bytes(), path.name, progress=progress)
    except ServiceError as err:
        _fail(err)
    if result.already_imported:
        click.echo(f"this file was already imported (batch {result.batch_id}, {result.rows} gifts): nothing new recorded")
    else:
        from .ledger.money import format_yuan

        click.echo(f"imported {result.rows} gifts, {format_yuan(result.total)}, as batch {result.batch_id} "
                   f"({result.new_donors} new donors; {result.encoding})")


def _write(data: bytes | str, output: str | None) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if output:
        with open(output, "wb") as fh:
            fh.write(raw)
    else:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then stop.")
@click.option("--max-jobs", type=click.IntRange(min=1), help="Stop after running this many jobs.")
@click.option("--poll", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between looks at an empty queue.")
def worker_command(once: bool, max_jobs: int | None, poll: float) -> None:
    """Run background jobs (long PDFs) from the database's queue until stopped (SIGTERM or Ctrl-C end it after
    the job in hand). Run as many as you like, on any machines sharing the database."""
    import logging
    import signal

    from .reports.jobs import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    s = settings()
    worker = Worker(engine(), lease_seconds=s.job_lease_seconds, max_attempts=s.job_max_attempts, poll_seconds=poll)

    def _stop(_signum, _frame):
        worker.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"worker {worker.name} started (lease {s.job_lease_seconds} s, at most {s.job_max_attempts} "
               f"attempts a job)", err=True)
    ran = worker.run(max_jobs=max_jobs, once=once)
    click.echo(f"worker {worker.name} stopped after {ran} jobs", err=True)


COMMANDS = [init_command, demo_command, create_user_command, verify_command, report_group, annual_report_command,
            export_command,
            import_group, backup_command, restore_command, worker_command]


def _set_today(ctx, param, value):
    """``--today``: the date the command treats as today (the one clock; see ``fund_ledger.clock``)."""
    try:
        from_environment = settings().today  # every variable read and checked at start: a bad one is named
    except SettingsError as err:
        raise click.UsageError(str(err)) from None
    try:
        chosen = clock.clock_from_setting(value if value is not None else from_environment)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None
    if chosen is not None:
        clock.set_clock(chosen)
    return value


@click.group()
@click.option("--today", callback=_set_today, expose_value=False, is_eager=True, metavar="YYYY-MM-DD",
              help="Treat this date (Beijing time) as today: for rehearsals and checks; default the real date "
                   "(or FUND_LEDGER_TODAY).")
def main() -> None:
    """Fund Ledger: the books of a charitable fund (妇女儿童事业发展基金)."""


for _command in COMMANDS:
    main.add_command(_command)
