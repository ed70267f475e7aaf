"""Who may see what on the surveys pages, asked of the signed-in principal (:mod:`qep_ui.auth`).

* Personal data written in comments (names, e-mail addresses, phone numbers…) is shown unmasked only
  to a role with ``read_personal`` (the référent(e) qualité); everyone else sees masked text, and every
  export is masked whoever asks.
* Free text is not shown at all to public-only roles (the users' committee), as elsewhere in the app.
"""

from __future__ import annotations


def can_see_personal_data() -> bool:
    """True only for a role allowed to read personal data; every other viewer gets masked text."""
    from qep_ui.auth import allowed

    return allowed("read_personal")


def can_read_free_text() -> bool:
    """False for public-only roles (CLU): no comment, even masked."""
    from qep_ui.auth import current_principal

    who = current_principal()
    return who is not None and not who.public_only


def can(action: str) -> bool:
    from qep_ui.auth import allowed

    return allowed(action)
