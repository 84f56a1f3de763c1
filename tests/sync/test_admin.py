import pytest

from sync.models import SyncRun
from tests.helpers import make_org
from tests.sync.helpers import make_component

pytestmark = pytest.mark.django_db


def test_admin_lists_components_and_runs(staff_client, owner):
    org = make_org(owner)
    make_component(org, "InvoiceService")
    SyncRun.objects.create(org=org, client_id="3MVG9FerryDefaultTestClientId")

    components = staff_client.get("/admin/sync/component/")
    runs = staff_client.get("/admin/sync/syncrun/")

    assert components.status_code == 200
    assert b"InvoiceService" in components.content
    assert runs.status_code == 200


def test_admin_run_page_shows_the_client_id_shortened(staff_client, owner):
    org = make_org(owner)
    run = SyncRun.objects.create(org=org, client_id="3MVG9FerryDefaultTestClientId")

    response = staff_client.get(f"/admin/sync/syncrun/{run.pk}/change/")

    assert response.status_code == 200
    assert b"3MVG9F" in response.content
    assert b"3MVG9FerryDefaultTestClientId" not in response.content
