#!/usr/bin/env python3
"""Opens every monitoring report the tests wrote to target/reports/ the way a reader would:
XLSX files with openpyxl (each sheet has a header row and the summary its figures) and PDF files
with pypdf (every page's text extracts; the Azerbaijani reports carry ə, ğ, ı, ş, ç, ö, ü).

Usage: python3 scripts/check-reports.py [target/reports]
"""
import pathlib
import sys

import openpyxl
import pypdf

folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/reports")
xlsx = sorted(folder.glob("*.xlsx"))
pdfs = sorted(folder.glob("*.pdf"))
if not xlsx or not pdfs:
    sys.exit(f"FAIL: no reports in {folder} (run the monitoring tests first)")

for path in xlsx:
    book = openpyxl.load_workbook(path, read_only=True)
    names = book.sheetnames
    if len(names) < 4:
        sys.exit(f"FAIL: {path.name} has only the sheets {names}")
    title = next(book[names[0]].iter_rows(max_row=1, values_only=True))[0]
    if not title:
        sys.exit(f"FAIL: {path.name} has no title")
    summary = list(book[names[1]].iter_rows(values_only=True))
    if len(summary) < 10 or not any(isinstance(v, (int, float)) for row in summary for v in row):
        sys.exit(f"FAIL: {path.name}'s summary has no figures: {summary[:3]}")
    print(f"ok {path.name}: {len(names)} sheets, title {title!r}")

letters = set("əğışçöü")
for path in pdfs:
    reader = pypdf.PdfReader(path)
    text = "".join(page.extract_text() or "" for page in reader.pages)
    if len(reader.pages) < 1 or len(text) < 200:
        sys.exit(f"FAIL: {path.name}: {len(reader.pages)} pages, {len(text)} characters of text")
    if path.name.endswith("-az.pdf"):
        missing = letters - set(text.lower())
        if missing:
            sys.exit(f"FAIL: {path.name} lacks the letters {sorted(missing)}")
    print(f"ok {path.name}: {len(reader.pages)} pages, {len(text)} characters")

print(f"{len(xlsx) + len(pdfs)} passed, 0 failed")
