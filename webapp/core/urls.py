from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from webapp.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    # Browsers ask for /favicon.ico whatever the page links; send them to the real icon.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True), name="favicon"),
    path("section/<slug:slug>/", views.section, name="section"),
]
