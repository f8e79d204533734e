"""The buyer's contact (tag 1008): where an electronic receipt goes, checked alike by the adapter and the OFD.

A phone is written `+7` and 10 digits (a Russian number, as FFD 1.2 asks for it); anything else with an `@` is an
e-mail address, checked for the shape an OFD can send to (one `@`, a dot in the domain, no spaces), not for
whether the mailbox exists. Tag 1008 holds at most 64 characters.
"""

from __future__ import annotations

import re

_PHONE = r"\+7[0-9]{10}"
_EMAIL = r"[^@\s]{1,62}@[^@\s.][^@\s]*\.[^@\s.]+"
BUYER_CONTACT_PATTERN = rf"^({_PHONE}|{_EMAIL})$"  # for the OpenAPI document; `buyer_contact_problem` checks the same
MAX_CONTACT = 64
_CONTACT = re.compile(BUYER_CONTACT_PATTERN)


def buyer_contact_problem(contact: str) -> str | None:
    """Why `contact` is neither a phone (+7 and 10 digits) nor an e-mail address, or None."""
    if len(contact) > MAX_CONTACT:
        return f"at most {MAX_CONTACT} characters (tag 1008)"
    if _CONTACT.fullmatch(contact):
        return None
    if "@" in contact:
        return f"{contact!r} is not an e-mail address (name@domain.tld)"
    return f"{contact!r} is neither a phone written +7 and 10 digits nor an e-mail address"
