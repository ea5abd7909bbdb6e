from django.urls import path

from webapp.datasets import api, views

app_name = "datasets"
urlpatterns = [
    path("datasets/", views.dataset_list, name="list"),
    path("datasets/<int:pk>/", views.dataset_detail, name="detail"),
    path("datasets/items/<int:pk>/", views.item_detail, name="item"),
    path("api/datasets/", api.DatasetListView.as_view(), name="api-list"),
    path("api/datasets/<int:pk>/", api.DatasetDetailView.as_view(), name="api-detail"),
    path("api/datasets/<int:pk>/items/", api.DatasetItemsView.as_view(), name="api-items"),
    path("api/imports/", api.ImportCreateView.as_view(), name="api-import-create"),
    path("api/imports/<int:pk>/", api.ImportJobView.as_view(), name="api-import-detail"),
]
