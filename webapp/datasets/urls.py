from django.urls import path

from webapp.datasets import api

app_name = "datasets"
urlpatterns = [
    path("api/datasets/", api.DatasetListView.as_view(), name="api-list"),
    path("api/datasets/<int:pk>/", api.DatasetDetailView.as_view(), name="api-detail"),
    path("api/datasets/<int:pk>/items/", api.DatasetItemsView.as_view(), name="api-items"),
    path("api/imports/", api.ImportCreateView.as_view(), name="api-import-create"),
    path("api/imports/<int:pk>/", api.ImportJobView.as_view(), name="api-import-detail"),
]
