import pytest

from lightbox.api.models import ApiToken


@pytest.fixture
def token_for():
    """``token_for(user, "write")`` → the request headers that sign in with a new token."""

    def make(user, scope: str = "write") -> dict[str, str]:
        _, secret = ApiToken.issue(user, f"{user.username}'s script", scope)
        return {"Authorization": f"Bearer {secret}"}

    return make
