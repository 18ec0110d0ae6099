"""Import files of fictitious residents, for tests and for measuring the importer."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from jiceng.lib import idcard
from jiceng.people import importer, names

RELATIONS = ["户主", "配偶", "子女", "子女", "父母", "孙子女"]


def rows(n: int, grid_codes: list[str], seed: int = 1, prefix: str = "T") -> list[list[str]]:
    """n resident rows in households of 1–5 people, spread over the grids; unique ID numbers."""
    rng = random.Random(seed)
    out: list[list[str]] = []
    seen: set[str] = set()
    hh = 0
    while len(out) < n:
        hh += 1
        grid = grid_codes[hh % len(grid_codes)]
        size = min(rng.choice([1, 2, 3, 3, 4, 5]), n - len(out))
        family = names.surname(rng)
        income = str(rng.randint(8, 60) * 1000)
        for i in range(size):
            sex = rng.choice("MF")
            while True:
                born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 30000))
                number = idcard.make("610921", born, rng.randrange(0, 1000))
                if number not in seen:
                    seen.add(number)
                    break
            out.append(
                [
                    f"{prefix}{hh:07d}",
                    grid,
                    f"城关镇{hh % 9 + 1}组{hh % 97 + 1}号",
                    "",
                    income if i == 0 else "",
                    str(rng.randint(0, 5)) if i == 0 else "",
                    names.full(rng, sex, family if i != 1 else None),
                    RELATIONS[min(i, len(RELATIONS) - 1)],
                    "居民身份证",
                    number,
                    "户籍人口",
                    f"13{rng.randint(0, 9)}{rng.randrange(10**7, 10**8)}"
                    if rng.random() < 0.7
                    else "",
                    "汉族",
                    "否",
                ]
            )
    return out


def header() -> list[str]:
    return [h for h, *_ in importer.COLUMNS]


def as_csv(data: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header())
    w.writerows(data)
    return buf.getvalue().encode("utf-8")


def as_xlsx(data: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民")
    ws.append(header())
    for r in data:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
