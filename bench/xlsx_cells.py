"""A small .xlsx holding millions of cells (the sheet XML compresses ~100:1), and the peak memory and time of
reading it the way an import does (``services.imports.read_table`` + ``parse_rows``), before any lock.

    .venv/bin/python bench/xlsx_cells.py write /tmp/cells.xlsx --rows 1000 --cols 2000
    /usr/bin/time -v .venv/bin/python bench/xlsx_cells.py read /tmp/cells.xlsx

The sheet has no <dimension> element, so nothing but the cells themselves tells how large it is.
"""
from __future__ import annotations

import argparse
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HEADER = ["donor", "donor_kind", "fund", "amount", "received_on", "channel", "reference", "memo"]
PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="gifts" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
}


def write(path: str, rows: int, cols: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in PARTS.items():
            z.writestr(name, text)
        with z.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main"><sheetData>')
            head = "".join(f'<c t="inlineStr"><is><t>{h}</t></is></c>' for h in HEADER) + "<c><v>1</v></c>" * (cols - len(HEADER))
            fh.write(f"<row>{head}</row>".encode())
            line = ("<row>" + "<c><v>1</v></c>" * cols + "</row>").encode()
            for _ in range(rows - 1):
                fh.write(line)
            fh.write(b"</sheetData></worksheet>")
    print(f"{path}: {rows} x {cols} = {rows * cols:,} cells, {Path(path).stat().st_size / 1024:.0f} KiB")


def read(path: str) -> None:
    from datetime import date

    from fund_ledger.services.imports import ImportErrors, parse_rows, read_table

    t0 = time.perf_counter()
    try:
        header, rows, _ = read_table(Path(path).read_bytes(), Path(path).name)
        parsed, problems = parse_rows(header, rows, date(2026, 11, 27), {})
        outcome = f"{len(parsed)} rows, {len(problems)} problems: {[str(p) for p in problems[:2]]}"
    except ImportErrors as err:
        outcome = f"refused: {err.problems[:2]}"
    print(f"{time.perf_counter() - t0:.1f} s; {outcome}"[:400])


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["write", "read"])
    ap.add_argument("path")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--cols", type=int, default=2000)
    a = ap.parse_args()
    write(a.path, a.rows, a.cols) if a.mode == "write" else read(a.path)
