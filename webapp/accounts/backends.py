"""The login backend: Django's, except that a guest account works only while its session takes guests."""

from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        """Checked at login and on every request (get_user): a guest of a closed session is logged out."""
        from webapp.accounts.roles import guest_session

        if not super().user_can_authenticate(user):
            return False
        session = guest_session(user)
        return session is None or bool(session.is_open and session.allow_guests)
