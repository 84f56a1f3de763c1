import pytest
from django.db import connection

pytest_plugins = ["tests.salesforce_emulator.pytest_plugin"]


@pytest.fixture
def owner(django_user_model):
    # Signs in, connects orgs and runs migrations with them.
    return django_user_model.objects.create_user("olivia", password="owner-pass-123")


@pytest.fixture
def other_user(django_user_model):
    # Another Ferry user with orgs of her own; sees none of Olivia's.
    return django_user_model.objects.create_user("oscar", password="other-pass-123")


@pytest.fixture
def staff_user(django_user_model):
    # Operator who edits org credentials in the Django admin.
    return django_user_model.objects.create_superuser("sam", password="staff-pass-123")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL to run it)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
