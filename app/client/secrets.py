"""The session token, kept in the system keyring and nowhere else.

When no keyring backend is usable the token stays in memory for this run
only, and `problem` says so in words the window can show.
"""

import logging

import keyring
import keyring.errors
from keyring.backends import fail, null

log = logging.getLogger(__name__)
SERVICE = "panggung"


class TokenStore:
    def __init__(self, service: str = SERVICE) -> None:
        self._service = service
        self._memory: dict[str, str] = {}
        self.problem: str | None = None
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            self._unusable("no keyring backend is available")

    @property
    def persistent(self) -> bool:
        return self.problem is None

    def get(self, account: str) -> str | None:
        if account in self._memory or not self.persistent:
            return self._memory.get(account)
        try:
            return keyring.get_password(self._service, account)
        except keyring.errors.KeyringError as exc:
            self._unusable(str(exc))
            return None

    def set(self, account: str, token: str) -> None:
        if self.persistent:
            try:
                keyring.set_password(self._service, account, token)
                return
            except keyring.errors.KeyringError as exc:
                self._unusable(str(exc))
        self._memory[account] = token

    def delete(self, account: str) -> None:
        self._memory.pop(account, None)
        if self.persistent:
            try:
                keyring.delete_password(self._service, account)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                self._unusable(str(exc))

    def _unusable(self, why: str) -> None:
        # The reason names the backend's failure, never the token.
        log.warning("keyring unusable: %s", why)
        self.problem = (
            f"The system keyring cannot be used ({why}). You stay signed in "
            "until you quit, and will have to sign in again next time."
        )
