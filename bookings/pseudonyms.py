"""The pseudonymous keys of the statistics facts fixed at booking time.

A booking keeps `stat_person_key` and `stat_enterprise_key`, HMACs of the
person's account id and of the enterprise (its organisation number when it
has one), so that unique people and enterprises can still be counted after an
account is erased. The HMAC secrets are rows of `PseudonymSecret`, one per
purpose, made once: rotating SECRET_KEY does not touch them. (Before these
rows existed the keys were `salted_hmac` under SECRET_KEY; migration 0007
stored the key material those keys were made with, so existing keys stay
valid.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import IntegrityError, transaction

from .models import PseudonymSecret

Purpose = PseudonymSecret.Purpose


def _secrets() -> dict[str, bytes]:
    """Both secrets in one query; made on first use (a new database, or one
    flushed by a test), the unique purpose settling a race between two makers."""
    found = dict(PseudonymSecret.objects.values_list("purpose", "secret"))
    for purpose in Purpose.values:
        if purpose not in found:
            try:
                with transaction.atomic():
                    PseudonymSecret.objects.create(purpose=purpose, secret=secrets.token_hex(32))
            except IntegrityError:
                pass  # made meanwhile by someone else: theirs is the one
            found[purpose] = PseudonymSecret.objects.get(purpose=purpose).secret
    return {purpose: bytes.fromhex(secret) for purpose, secret in found.items()}


def _digest(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def enterprise_ref(*, org_number: str, pk: int) -> str:
    """What identifies an enterprise across records: its organisation number
    when it has one (two records of one enterprise count once), else its id."""
    return f"org:{org_number}" if org_number else f"enterprise:{pk}"


class KeyMaker:
    """Makes statistics keys with the secrets read once (one query), for code
    that makes many (the demo history generator)."""

    def __init__(self) -> None:
        found = _secrets()
        self._person, self._enterprise = found[Purpose.PERSON], found[Purpose.ENTERPRISE]

    def person(self, person_id: int) -> str:
        """The key of an account id."""
        return _digest(self._person, str(person_id))

    def enterprise(self, ref: str) -> str:
        """The key of an `enterprise_ref`."""
        return _digest(self._enterprise, ref)


def statistics_keys(*, person_id: int, enterprise: str) -> tuple[str, str]:
    """(person key, enterprise key) for an account id and an `enterprise_ref`."""
    keys = KeyMaker()
    return keys.person(person_id), keys.enterprise(enterprise)
