"""Logging filters: an ordinary refusal is not an error worth a traceback."""

from __future__ import annotations

import logging

# Answers that are the system working as intended (a refused user, a missing page, a bad
# request): Django logs them with the exception's traceback, which buries real errors.
_ORDINARY = {400, 401, 403, 404, 405, 409, 422}


class QuietRefusals(logging.Filter):
    """Keep the one-line warning for ordinary 4xx answers, drop their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in _ORDINARY:
            record.exc_info = None
            record.exc_text = None
        return True
