"""Which language a page is shown in: Chinese unless the user chose another one.

Django's own LocaleMiddleware also follows the browser's Accept-Language, so a phone set to
English would get English pages nobody asked for. Here only the choice made with the
language switch (Django's `set_language` view at /i18n/setlang/, remembered in the
`django_language` cookie) counts; everyone else sees `settings.LANGUAGE_CODE` (zh-hans).
See docs/decisions/0051-i18n-catalogue.md.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


def chosen_language(request: HttpRequest) -> str:
    """The language code of `request`: the cookie's if it names one of `settings.LANGUAGES`,
    else `settings.LANGUAGE_CODE`. Unknown or malformed cookie values fall back silently."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if code:
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(LocaleMiddleware):
    """LocaleMiddleware without Accept-Language: the default stays Chinese."""

    def process_request(self, request: HttpRequest) -> None:
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        # No `Vary: Accept-Language`: that header no longer changes the answer.
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
