"""The DEBUG mail viewer at /dev/mail/: the .eml files that EmlFileBackend
writes to EMAIL_FILE_PATH, newest first, each with its headers, its plain
text, its HTML in a sandboxed frame and its attachments (invite.ics).

It exists only with DEBUG on and the file backend, and only for a browser on
this machine (the mails hold password-reset and sign-in links, and a DEBUG
server may well listen on 0.0.0.0); otherwise every URL here answers 404, so
production never shows anyone's mail.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

app_name = "dev_mail"

FILE_BACKEND = "backend.mail.EmlFileBackend"
# What EmlFileBackend names a message; anything else in the folder (its own
# temporary files, a path with slashes) is not served.
NAME = re.compile(r"\A[0-9A-Za-z][0-9A-Za-z_.-]{0,200}\.eml\Z")
LIST_LIMIT = 500
# The mail's HTML is someone else's markup: no scripts, no requests out, no
# forms; only its inline styles and embedded images. `sandbox` also gives it
# an opaque origin, so it cannot read this site's cookies or pages.
HTML_PART_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


@dataclass(frozen=True)
class MailSummary:
    name: str
    date: datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class Part:
    index: int
    filename: str
    content_type: str
    size: int


def _from_loopback(request: HttpRequest) -> bool:
    """REMOTE_ADDR in 127.0.0.0/8 or ::1: the client itself, never an address
    from X-Forwarded-For, which anyone can write."""
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _folder(request: HttpRequest) -> Path:
    if not settings.DEBUG or settings.EMAIL_BACKEND != FILE_BACKEND:
        raise Http404("The mail viewer exists only with DEBUG on and mail kept as files.")
    if not _from_loopback(request):
        raise Http404("The mail viewer answers only on this machine.")
    return Path(settings.EMAIL_FILE_PATH)


def _path(request: HttpRequest, name: str) -> Path:
    if not NAME.match(name):
        raise Http404("No such mail.")
    found = _folder(request) / name
    if not found.is_file():
        raise Http404("No such mail.")
    return found


def _date(value: str | None) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):  # a hand-written .eml may carry anything
        return None
    # Django writes "-0000" (UTC, origin's zone unknown), which parses as naive.
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _load(request: HttpRequest, name: str) -> EmailMessage:
    with _path(request, name).open("rb") as f:
        return BytesParser(policy=policy.default).parse(f)


def _parts(message: EmailMessage) -> list[Part]:
    """Every leaf part except the text bodies shown on the page: attachments
    and the text/calendar alternative, numbered in walk order."""
    bodies = {id(message.get_body(preferencelist=(kind,))) for kind in ("plain", "html")}
    parts = []
    for index, part in enumerate(message.walk()):
        if part.is_multipart() or id(part) in bodies:
            continue
        payload = part.get_payload(decode=True) or b""
        parts.append(
            Part(
                index=index,
                filename=part.get_filename() or f"part-{index}.{part.get_content_subtype()}",
                content_type=part.get_content_type(),
                size=len(payload),
            )
        )
    return parts


@require_GET
def mail_list(request: HttpRequest) -> HttpResponse:
    folder = _folder(request)
    # EmlFileBackend's names start with the UTC time sent, so the name orders them.
    files = sorted(
        (p for p in folder.glob("*.eml") if NAME.match(p.name)), key=lambda p: p.name, reverse=True
    )
    mails = []
    for file in files[:LIST_LIMIT]:
        with file.open("rb") as f:
            headers = BytesHeaderParser(policy=policy.default).parse(f)
        mails.append(
            MailSummary(
                name=file.name,
                date=_date(headers.get("Date")),
                to=str(headers.get("To", "")),
                subject=str(headers.get("Subject", "")),
            )
        )
    return render(
        request,
        "dev_mail/list.html",
        {"mails": mails, "total": len(files), "limit": LIST_LIMIT, "folder": folder},
    )


@require_GET
def mail_detail(request: HttpRequest, name: str) -> HttpResponse:
    message = _load(request, name)
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    headers = [
        (key, str(message[key]))
        for key in ("From", "To", "Cc", "Reply-To", "Subject", "Date")
        if message[key]
    ]
    return render(
        request,
        "dev_mail/detail.html",
        {
            "name": name,
            "subject": str(message.get("Subject", "")),
            "headers": headers,
            "text": plain.get_content() if plain is not None else None,
            "has_html": html is not None,
            "parts": _parts(message),
        },
    )


@require_GET
@xframe_options_sameorigin  # shown in the detail page's iframe; the site default is DENY
def mail_html(request: HttpRequest, name: str) -> HttpResponse:
    html = _load(request, name).get_body(preferencelist=("html",))
    if html is None:
        raise Http404("This mail has no HTML part.")
    response = HttpResponse(html.get_content(), content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = HTML_PART_CSP
    return response


@require_GET
def mail_part(request: HttpRequest, name: str, index: int) -> HttpResponse:
    message = _load(request, name)
    part = next((p for p in _parts(message) if p.index == index), None)
    if part is None:
        raise Http404("No such part.")
    leaf = list(message.walk())[index]
    response = HttpResponse(leaf.get_payload(decode=True) or b"", content_type=part.content_type)
    # Always a download: a part is never rendered as a page of this site.
    response["Content-Disposition"] = f'attachment; filename="{_safe_filename(part.filename)}"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _safe_filename(filename: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]+", "_", filename)[:100] or "part"


urlpatterns = [
    path("", mail_list, name="list"),
    path("<str:name>/", mail_detail, name="detail"),
    path("<str:name>/html/", mail_html, name="html"),
    path("<str:name>/parts/<int:index>/", mail_part, name="part"),
]
