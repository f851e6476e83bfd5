from allauth.account.adapter import DefaultAccountAdapter
from django.utils.translation import get_language


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        # Mails later go out in the language the person signed up in.
        user.language = (get_language() or "sv")[:2]
        return super().save_user(request, user, form, commit=commit)
