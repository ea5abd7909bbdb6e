from django.urls import path

from webapp.health import views

app_name = "health"
urlpatterns = [
    path("health/", views.health_page, name="page"),
    path("api/health/", views.HealthView.as_view(), name="api"),
]
