from django.urls import path

from webapp.modelzoo import api, views

app_name = "modelzoo"
urlpatterns = [
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("leaderboard/evaluations/<int:pk>/confusion.png", views.confusion_png, name="confusion"),
    path("api/models/<int:pk>/evaluate/", api.EvaluateView.as_view(), name="api-evaluate"),
    path("api/models/<int:pk>/evaluations/", api.EvaluationListView.as_view(), name="api-evaluations"),
    path("api/models/", api.ModelVersionListView.as_view(), name="api-list"),
    path("api/models/<int:pk>/", api.ModelVersionDetailView.as_view(), name="api-detail"),
    path("api/models/<int:pk>/promote/", api.PromoteView.as_view(), name="api-promote"),
    path("api/models/<int:pk>/promotion-preview/", api.PromotionPreviewView.as_view(), name="api-promotion-preview"),
    path("api/models/rollback/", api.RollbackView.as_view(), name="api-rollback"),
    path("api/promotions/", api.PromotionListView.as_view(), name="api-promotions"),
]
