"""The API's body parsers (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): DRF's
own, refusing two things a serializer never sees.

- JSON nested deeper than `limits.MAX_JSON_DEPTH`: Python's parser recurses
  once per level, and a body of 100,000 brackets ends in RecursionError. The
  depth is counted on the text first, without recursing.
- A NUL character in any field, JSON or form-encoded: PostgreSQL refuses it
  in text, so it would fail at the first query that compares it (a topic's
  slug, say), deep in a view. A 400 naming the field instead.
"""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.settings import api_settings

from . import limits

# A JSON string (escapes included); what is left outside strings is structure.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep `text`'s arrays and objects nest (an unbalanced text is the parser's to refuse)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def refuse_nul(data: Any) -> None:
    """A 400 with an error for each field holding a NUL (in a key or anywhere in its value)."""
    if isinstance(data, dict):
        fields = [str(key) for key, value in data.items() if limits.nul_in(key) or limits.nul_in(value)]
    else:
        fields = [api_settings.NON_FIELD_ERRORS_KEY] if limits.nul_in(data) else []
    if fields:
        raise ValidationError(
            {name.replace(limits.NUL, ""): [limits.NUL_MESSAGE] for name in fields}, code=limits.NUL_CODE
        )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(_("The body is not valid %(encoding)s.") % {"encoding": encoding}) from exc
        if json_depth(text) > limits.MAX_JSON_DEPTH:
            raise ParseError(
                _("The JSON body is nested too deep: at most %(depth)s levels.")
                % {"depth": limits.MAX_JSON_DEPTH}
            )
        data = super().parse(io.BytesIO(raw), media_type, parser_context)
        refuse_nul(data)
        return data


def _form_nul(data) -> None:
    refuse_nul({key: data.getlist(key) for key in data})


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _form_nul(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        _form_nul(result.data)
        return result
