from django.urls import path

from sync import views

app_name = "sync"

urlpatterns = [
    path("wizard/", views.wizard, name="wizard"),
    path("orgs/<str:org_id>/sync/", views.start_sync, name="start-sync"),
    path("wizard/runs/<int:run_id>/", views.run_status, name="run-status"),
    path("wizard/compare/", views.choose_orgs, name="choose-orgs"),
    path("wizard/compare/<int:plan_id>/", views.compare_orgs, name="compare"),
    path(
        "wizard/compare/<int:plan_id>/selection/",
        views.update_selection,
        name="update-selection",
    ),
]
