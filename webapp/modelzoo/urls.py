from django.urls import path

from webapp.modelzoo import api

app_name = "modelzoo"
urlpatterns = [
    path("api/models/", api.ModelVersionListView.as_view(), name="api-list"),
    path("api/models/<int:pk>/", api.ModelVersionDetailView.as_view(), name="api-detail"),
    path("api/models/<int:pk>/promote/", api.PromoteView.as_view(), name="api-promote"),
    path("api/models/rollback/", api.RollbackView.as_view(), name="api-rollback"),
    path("api/promotions/", api.PromotionListView.as_view(), name="api-promotions"),
]
