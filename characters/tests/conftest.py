import pytest
from rest_framework.test import APIClient

from characters import services
from characters.models import Visibility


@pytest.fixture
def client_for():
    """An API client authenticated as the given user (token auth), or anonymous for None."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def make_character(owner, make_image):
    def make(name: str = "Ada", *, user=None, visibility: str = Visibility.PUBLIC, with_portrait: bool = True, **fields):
        return services.create_character(
            owner=user or owner,
            name=name,
            visibility=visibility,
            portrait=make_image((120, 90)) if with_portrait else None,
            **fields,
        )

    return make
