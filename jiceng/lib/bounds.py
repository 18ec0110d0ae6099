"""Bounded integers for API parameters (issue 9 item 6).

An unbounded `int` accepts 100000000000000000000: slicing a queryset with it overflows the
database driver (SQLite: "Python int too large", PostgreSQL: bigint out of range) and the
answer was a 500. Every integer query parameter is one of these types, so the bound is both
checked (422 before the view runs) and declared in the OpenAPI document; `jiceng/api.py`
answers any overflow that still reaches the database with a 400.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# The largest page number any list can have: 10 million rows at the smallest page size.
MAX_PAGE = 10_000_000
# Row ids and offsets within a 64-bit signed integer column.
MAX_ID = 2**63 - 1

Page = Annotated[int, Field(ge=1, le=MAX_PAGE, description="页码，从 1 开始")]
Offset = Annotated[int, Field(ge=0, le=MAX_PAGE, description="跳过的条数")]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


Size200 = Annotated[int, Field(ge=1, le=200, description="每页条数（1–200）")]
Size500 = Annotated[int, Field(ge=1, le=500, description="每页条数（1–500）")]
Zoom = Annotated[int, Field(ge=0, le=22, description="地图缩放级别（0–22）")]
Weeks = Annotated[int, Field(ge=1, le=104, description="周数（1–104）")]
HotDays = Annotated[int, Field(ge=1, le=366, description="统计天数（1–366）")]
HotPeriods = Annotated[int, Field(ge=1, le=52, description="对比的前期数（1–52）")]
