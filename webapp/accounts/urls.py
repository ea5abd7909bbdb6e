from django.contrib.auth import views as auth_views
from django.urls import path

from webapp.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("annotators/", views.annotators, name="annotators"),
    path("annotators/<int:pk>/deactivate/", views.set_active, {"active": False}, name="deactivate"),
    path("annotators/<int:pk>/reactivate/", views.set_active, {"active": True}, name="reactivate"),
]
