"""The QR code on the acknowledgement (捐赠确认书): printed to paper (the PDF as a 200 dpi image), a scanner
(zbarimg) reads the site's public address, the verification page and the gift's own code; that address, opened
without logging in, says the gift is in the books. The symbol is at least 25 mm wide, to scan from paper.

Without poppler's pdftoppm or zbar's zbarimg (Debian zbar-tools, in ``scripts/system-deps.sh test``) these
tests skip, and with ``CI=true`` they fail instead.
"""
from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from tests.conftest import DEMO_PASSWORD, IN_CI
from tests.web.test_donation_pages import add_donor, donation_path, record_gift

PUBLIC_URL = "https://jijin.example.cn/zhangdian"
"""A public address with a path of its own: the address printed must keep it, and the page must answer under it."""
DPI = 200
MIN_SYMBOL_MM = 25

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # paper and HTTP: no database's concern


@pytest.fixture(scope="module")
def scanner():
    missing = [tool for tool in ("pdftoppm", "zbarimg") if shutil.which(tool) is None]
    if missing:
        why = f"missing tools: {', '.join(missing)} (bash scripts/system-deps.sh test installs them)"
        if IN_CI:
            pytest.fail(f"required in CI: {why}")
        pytest.skip(why)


@pytest.fixture
def app(demo_db):
    """The demo ledger, served as if at :data:`PUBLIC_URL`."""
    from fund_ledger import create_app

    application = create_app({"TESTING": True, "DATABASE_URL": demo_db, "PUBLIC_URL": PUBLIC_URL})
    yield application
    application.extensions["fund_ledger.engine"].dispose()


@pytest.fixture
def manager(app):
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert c.post("/login", data={"username": "manager", "password": DEMO_PASSWORD, "csrf_token": token}
                  ).status_code == 302
    c.csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/account").get_data(as_text=True)).group(1)
    return c


def printed(tmp_path: Path, pdf: bytes, name: str) -> Path:
    """The PDF's first page as a PNG at :data:`DPI`, as paper would show it to a camera."""
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True, capture_output=True)
    return tmp_path / f"{name}.png"


def scanned(image: Path) -> list[str]:
    """What zbarimg reads in the image: one line per symbol."""
    out = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                         capture_output=True, text=True)
    assert out.returncode in (0, 4), out.stderr  # 4: nothing found (asserted by the caller)
    return [line for line in out.stdout.splitlines() if line]


def symbol_width_mm(image: Path) -> float:
    """The width of the QR symbol (finder pattern edge to finder pattern edge, without the quiet zone).

    A row through the middle of a finder pattern runs dark, light, dark, light, dark in widths 1:1:3:1:1; the
    rows crossing both top finders give the symbol's width from the left one's left edge to the right one's right.
    """
    grey = Image.open(image).convert("L").point(lambda v: 255 if v > 128 else 0)
    width, height = grey.size
    data = grey.tobytes()
    widths = []
    for y in range(height):
        runs, x = [], 0
        for value, group in itertools.groupby(data[y * width:(y + 1) * width]):
            n = sum(1 for _ in group)
            runs.append((value == 0, x, n))
            x += n
        finders = []
        for i in range(len(runs) - 4):
            five = runs[i:i + 5]
            if [dark for dark, _, _ in five] != [True, False, True, False, True]:
                continue
            unit = sum(n for _, _, n in five) / 7
            if unit >= 2 and all(abs(n - want * unit) <= unit * 0.6 for (_, _, n), want in zip(five, (1, 1, 3, 1, 1))):
                finders.append((five[0][1], five[4][1] + five[4][2], unit))
        for (a, _, unit), (_, b, unit_b) in itertools.combinations(finders, 2):
            if abs(unit - unit_b) < unit * 0.2 and b - a > 14 * unit:
                widths.append(b - a)
    assert widths, "no QR finder patterns side by side in the image"
    return max(set(widths), key=widths.count) / DPI * 25.4


def test_the_acknowledgements_qr_code_leads_to_the_check_of_its_gift(app, manager, tmp_path, scanner):
    path = donation_path(record_gift(manager, add_donor(manager), amount="100000"))
    donation_id = int(path.rsplit("/", 1)[1])
    with app.extensions["fund_ledger.engine"].connect() as conn:
        code = conn.execute(text("SELECT verification_code FROM donations WHERE id = :id"), {"id": donation_id}
                            ).scalar_one()
    address = f"{PUBLIC_URL}/verify?code={code}"

    page = printed(tmp_path, manager.get(f"{path}/acknowledgement.pdf").data, "acknowledgement")
    assert scanned(page) == [address]
    assert symbol_width_mm(page) >= MIN_SYMBOL_MM
    pdf_text = subprocess.run(["pdftotext", str(tmp_path / "acknowledgement.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
    assert address in pdf_text.replace("\n", "")  # the address is printed too, for whoever has no scanner

    token = manager.post("/api/v1/tokens", json={"username": "manager", "password": DEMO_PASSWORD}).get_json()["token"]
    from_api = manager.get(f"/api/v1/donations/{donation_id}/receipt.pdf", headers={"Authorization": f"Bearer {token}"})
    assert scanned(printed(tmp_path, from_api.data, "from-api")) == [address]

    visitor = app.test_client()  # not logged in, as a phone that scanned the paper
    answer = visitor.get(address.removeprefix(PUBLIC_URL))
    shown = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "这笔捐赠已记入账册，现仍有效。" in shown and "¥100,000.00" in shown and code[:5] in shown
    assert f'value="{code}"' in shown  # the form shows the code it checked
