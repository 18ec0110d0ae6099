"""The one error shape of the API: {"error": {"code", "message", "details"}}.

Every app declares its 4xx answers with `ErrorOut` from here (jiceng/api.py re-exports it and
adds it to every operation of the OpenAPI document): an app's own copy without `details`
under-declared what the API answers, and one named `ErrorOut` too shadowed the shared one
in the document (decision 0106). A module of its own so that an app's api.py can import it
without importing jiceng/api.py, which imports every app's api.py.
"""

from __future__ import annotations

from ninja import Schema
from pydantic import Field as PydField


class ErrorDetail(Schema):
    loc: list[str] = []
    msg: str = ""
    type: str = ""


class ErrorBody(Schema):
    code: str = PydField(description="machine-readable, e.g. validation_error, forbidden")
    message: str = PydField(description="中文说明，可直接展示给用户")
    details: list[ErrorDetail] | None = None


class ErrorOut(Schema):
    """Every error answer of the API."""

    error: ErrorBody
