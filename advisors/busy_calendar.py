"""An advisor's external busy calendar: an ICS link (Outlook and Google publish
these) whose events block the advisor's slots.

`fetch_ics` and `parse_busy` do the I/O and the reading; `busy_calendar_sync`
is the service that stores the result. A periodic task calls it for every
advisor with a link (advisors.tasks).
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import logging
import socket
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from . import validation
from .models import Advisor, ExternalBusy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

USER_AGENT = "Radtid-busy-calendar/1"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
_SCHEMES = {"http": "http", "https": "https", "webcal": "https"}  # webcal:// is https by convention
_MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
# Outlook and Google cannot make these; expanding one over a 90-day window
# takes a worker minutes and hundreds of megabytes.
_TOO_FREQUENT = {"SECONDLY", "MINUTELY"}


class BusyCalendarError(Exception):
    """A busy calendar could not be fetched or read. `message` is for the advisor."""

    default_message = _("The calendar file could not be read.")

    def __init__(self, message: StrOrPromise | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def __str__(self) -> str:
        return str(self.message)


def _unreachable(reason: str) -> BusyCalendarError:
    return BusyCalendarError(_("The calendar could not be reached: %(reason)s.") % {"reason": reason})


def _too_large(max_bytes: int) -> BusyCalendarError:
    return BusyCalendarError(
        _("The calendar file is larger than %(size)s.") % {"size": filesizeformat(max_bytes)}
    )


# --- Fetching ---------------------------------------------------------------


# IPv6 addresses that carry an IPv4 address in their last 32 bits, which a
# translator or the host itself may reach: NAT64's well-known prefix (Python
# counts it as global, so 64:ff9b::a9fe:a9fe would reach 169.254.169.254) and
# the deprecated IPv4-compatible form (::a.b.c.d).
_IPV4_IN_LAST_32_BITS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))
# NAT64's local-use prefix (RFC 8215): where its IPv4 address sits is the
# operator's choice, and it is not globally reachable anyway: refused whole.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, NAT64, IPv4-compatible,
    6to4 (2002::/16) and Teredo (2001::/32: its server and its client)."""
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        found.extend(ip.teredo)
    if any(ip in network for network in _IPV4_IN_LAST_32_BITS):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    reached: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _LOCAL_NAT64:
            return False
        reached += _embedded_ipv4(ip)
    # is_global is False for private, loopback, link-local, reserved, shared
    # (100.64/10) and unspecified addresses; multicast counts as global.
    return all(a.is_global and not a.is_multicast for a in reached)


def _connect(
    address: tuple[str, int],
    timeout: float | object = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]  # socket's own default
    source_address: tuple[str, int] | None = None,
    *,
    allow_private: bool,
) -> socket.socket:
    """socket.create_connection, refusing private addresses.

    It connects to the very addresses it checked: a second lookup could answer
    differently (DNS rebinding). Every connection goes through here, so a
    redirect to a private address is refused too.
    """
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not allow_private and not all(_is_public(str(info[4][0])) for info in infos):
        raise BusyCalendarError(
            _("The calendar link points to a private network address, which is not allowed.")
        )
    error: OSError | None = None
    for family, type_, proto, _name, sockaddr in infos:
        sock = socket.socket(family, type_, proto)
        try:
            if isinstance(timeout, int | float):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
        else:
            return sock
    raise error or OSError(f"no address found for {host}")


class _Guarded:
    def __init__(self, *args, allow_private: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # http.client opens its socket through this hook; HTTPSConnection too,
        # before it wraps the socket in TLS for the original host name.
        self._create_connection = functools.partial(_connect, allow_private=allow_private)


class _GuardedHTTPConnection(_Guarded, http.client.HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, http.client.HTTPSConnection):
    pass


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, *, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req):
        return self.do_open(functools.partial(_GuardedHTTPConnection, allow_private=self.allow_private), req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, *, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def https_open(self, req):
        return self.do_open(
            functools.partial(_GuardedHTTPSConnection, allow_private=self.allow_private),
            req,
            context=self._context,
        )


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    max_redirections = _MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise _unreachable(_("it redirects to a link that is not http or https"))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener(*, allow_private: bool) -> urllib.request.OpenerDirector:
    # Built by hand rather than with build_opener: no proxies from the
    # environment (they would bypass the address check) and no file://, ftp://
    # or data: handlers.
    opener = urllib.request.OpenerDirector()
    for handler in (
        _GuardedHTTPHandler(allow_private=allow_private),
        _GuardedHTTPSHandler(allow_private=allow_private),
        _RedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
        urllib.request.HTTPDefaultErrorHandler(),
    ):
        opener.add_handler(handler)
    return opener


def _http_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise BusyCalendarError(_("The calendar link must start with https://, http:// or webcal://."))
    if validation.has_credentials(url):  # a link saved before these were refused
        raise BusyCalendarError(validation.CALENDAR_LINK_CREDENTIALS)
    return urlunsplit(parts._replace(scheme=_SCHEMES[parts.scheme]))


def _reason(error: BaseException | str) -> str:
    return (
        str(getattr(error, "strerror", None) or getattr(error, "reason", None) or error)
        or type(error).__name__
    )


def fetch_ics(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """The body at `url`, at most `max_bytes` long, read within about `timeout`
    seconds. Raises BusyCalendarError with a message for the advisor.

    Hosts on private, loopback, link-local or reserved addresses are refused
    unless settings.BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS (server-side request
    forgery: the link is typed by a user, the request leaves from our network).
    """
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in _http_url
        _http_url(url), headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    )
    opener = _opener(allow_private=settings.BUSY_CALENDAR_ALLOW_PRIVATE_HOSTS)
    # The socket timeout bounds each wait; the deadline bounds a server that
    # trickles a byte at a time.
    deadline = time.monotonic() + timeout
    too_slow = _unreachable(_("no answer within %(seconds)s s") % {"seconds": timeout})
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_large(max_bytes)
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read1(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(max_bytes)
                if time.monotonic() > deadline:
                    raise too_slow
                chunks.append(chunk)
    except BusyCalendarError:
        raise
    except urllib.error.HTTPError as exc:
        exc.close()
        raise _unreachable(
            _("the server answered %(status)s") % {"status": f"{exc.code} {exc.reason}"}
        ) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise too_slow from exc
        raise _unreachable(_reason(exc.reason)) from exc
    except TimeoutError as exc:
        raise too_slow from exc
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _unreachable(_reason(exc)) from exc
    return b"".join(chunks)


# --- Reading ----------------------------------------------------------------


def _aware(value: date | datetime, tz: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # an all-day value: the whole local day
        return datetime.combine(value, datetime.min.time(), tzinfo=tz).astimezone(UTC)
    if value.tzinfo is None:  # floating time: the advisor's wall clock
        return value.replace(tzinfo=tz).astimezone(UTC)
    return value.astimezone(UTC)


def _refuse_too_frequent(calendar: icalendar.Calendar) -> None:
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE", [])
        for rule in rules if isinstance(rules, list) else [rules]:
            if any(str(freq).upper() in _TOO_FREQUENT for freq in rule.get("FREQ", [])):
                raise BusyCalendarError(_("The calendar has events that repeat more often than every hour."))


def parse_busy(
    ics: bytes, *, start: datetime, end: datetime, tz: ZoneInfo = STOCKHOLM
) -> list[tuple[datetime, datetime]]:
    """The busy intervals of an ICS file within [start, end): aware UTC, clipped,
    sorted. Recurring events are expanded; transparent ("free") and cancelled
    events are left out. All-day and floating times are read in `tz`.
    Raises BusyCalendarError if the file cannot be read.
    """
    try:
        calendar = icalendar.Calendar.from_ical(ics)
        if calendar.name != "VCALENDAR":
            raise BusyCalendarError
        _refuse_too_frequent(calendar)
        # Local bounds, so that floating events are compared in local time.
        occurrences = recurring_ical_events.of(calendar).between(start.astimezone(tz), end.astimezone(tz))
        busy = []
        for event in occurrences:
            if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            busy_start = max(_aware(event.start, tz), start)
            busy_end = min(_aware(event.end, tz), end)
            if busy_start < busy_end:
                busy.append((busy_start, busy_end))
    except BusyCalendarError:
        raise
    except Exception as exc:
        # icalendar and recurring_ical_events raise many types for bad input
        # (ValueError, KeyError, TypeError, their own errors); to the advisor
        # they all mean the same thing.
        raise BusyCalendarError from exc
    return sorted(busy)


# --- Service ----------------------------------------------------------------


def busy_calendar_sync(*, advisor: Advisor, now: datetime | None = None) -> bool:
    """Replace the advisor's ExternalBusy rows with a fresh read of their busy
    calendar over [now - 1 day, now + horizon + 1 day]; True if it was read.

    Invariant: ExternalBusy holds the last calendar read successfully, whole.
    A failed read (unreachable, slow, too large, malformed, refused host)
    leaves those rows as they are, records the time and a message for the
    advisor in busy_calendar_checked_at/_error, and returns False. Without a
    link the rows are deleted and True is returned.
    """
    now = now or timezone.now()
    url = advisor.busy_calendar_url
    if not url:
        with transaction.atomic():
            ExternalBusy.objects.filter(advisor_id=advisor.pk).delete()
            Advisor.objects.filter(pk=advisor.pk).update(busy_calendar_error="")
        advisor.busy_calendar_error = ""
        return True

    tz = advisor.zone
    start = now - timedelta(days=1)
    end = now + timedelta(days=advisor.horizon_days + 1)
    # The slow part happens outside any transaction.
    try:
        ics = fetch_ics(
            url, timeout=settings.BUSY_CALENDAR_TIMEOUT, max_bytes=settings.BUSY_CALENDAR_MAX_BYTES
        )
        intervals = parse_busy(ics, start=start, end=end, tz=tz)
    except BusyCalendarError as exc:
        logger.info("Busy calendar of advisor %s not read: %s", advisor.pk, exc)
        error = Truncator(str(exc)).chars(500)
        # Conditional on the link, like the success path below.
        Advisor.objects.filter(pk=advisor.pk, busy_calendar_url=url).update(
            busy_calendar_checked_at=now, busy_calendar_error=error
        )
        advisor.busy_calendar_checked_at, advisor.busy_calendar_error = now, error
        return False

    with transaction.atomic():
        # The advisor may have changed the link while we read the old one; the
        # task for the new link does its own read, so write only if the link is
        # still the one we read. The UPDATE also locks the row, so two syncs of
        # one advisor replace the rows one after the other, not interleaved.
        updated = Advisor.objects.filter(pk=advisor.pk, busy_calendar_url=url).update(
            busy_calendar_synced_at=now, busy_calendar_checked_at=now, busy_calendar_error=""
        )
        if not updated:
            return False
        ExternalBusy.objects.filter(advisor_id=advisor.pk).delete()
        ExternalBusy.objects.bulk_create(
            ExternalBusy(advisor_id=advisor.pk, start=busy_start, end=busy_end)
            for busy_start, busy_end in intervals
        )
    advisor.busy_calendar_synced_at = advisor.busy_calendar_checked_at = now
    advisor.busy_calendar_error = ""
    return True
