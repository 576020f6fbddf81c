"""A changed password ends every API token of its user.

Passwords change in several places Django owns: `salesdesk createuser` on an existing
user, the admin's password form, `salesdesk changepassword`. Every one of them ends in
`AbstractBaseUser.save()`, which tells each configured password validator that the
password changed. So this "validator" checks nothing and is the one place that sees every
change: a token stolen with the old password stops working with it.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.core.services import tokens_revoke_all


class RevokeTokensOnPasswordChange:
    def validate(self, password, user=None) -> None:
        return None

    def get_help_text(self) -> str:
        # Shown with the password rules on every password form: worth knowing there.
        return _("A new password ends every API token of the user.")

    def password_changed(self, password, user=None) -> None:
        if user is None or user.pk is None:
            return
        # The moment of the change is the moment this request or command runs.
        tokens_revoke_all(user=user, actor=None, now=timezone.now(), reason="password changed")
