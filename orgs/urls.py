from django.urls import path

from orgs import views

app_name = "orgs"

urlpatterns = [
    path("", views.org_list, name="list"),
    path("connect/", views.connect_org, name="connect"),
    path("oauth/callback/", views.oauth_callback, name="oauth-callback"),
    path("<str:org_id>/", views.org_detail, name="detail"),
    path("<str:org_id>/reconnect/", views.reconnect_org, name="reconnect"),
]
