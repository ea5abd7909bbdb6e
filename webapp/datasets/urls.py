from django.urls import path

from webapp.datasets import api, views

app_name = "datasets"
urlpatterns = [
    path("datasets/", views.dataset_list, name="list"),
    path("datasets/<int:pk>/", views.dataset_detail, name="detail"),
    path("datasets/items/<int:pk>/", views.item_detail, name="item"),
    path("datasets/items/<int:pk>/image", views.item_image, name="item-image"),
    path("datasets/imports/<int:pk>/", views.import_detail, name="import"),
    path("api/datasets/", api.DatasetListView.as_view(), name="api-list"),
    path("api/datasets/<int:pk>/", api.DatasetDetailView.as_view(), name="api-detail"),
    path("api/datasets/<int:pk>/items/", api.DatasetItemsView.as_view(), name="api-items"),
    path("datasets/<int:pk>/predict/", views.predict, name="predict"),
    path("datasets/<int:pk>/export/<str:kind>", views.export, name="export"),
    path("datasets/<int:pk>/landmarks/", views.find_landmarks, name="landmarks"),
    path("api/datasets/<int:pk>/predict/", api.DatasetPredictView.as_view(), name="api-predict"),
    path("api/datasets/<int:pk>/landmarks/", api.DatasetLandmarksView.as_view(), name="api-landmarks"),
    path("api/datasets/<int:pk>/export/<str:kind>", api.DatasetExportView.as_view(), name="api-export"),
    path("api/items/<int:pk>/", api.ItemDetailView.as_view(), name="api-item"),
    path("api/prediction-jobs/<int:pk>/", api.PredictionJobView.as_view(), name="api-prediction-job"),
    path("api/landmark-jobs/<int:pk>/", api.LandmarkJobView.as_view(), name="api-landmark-job"),
    path("api/imports/", api.ImportCreateView.as_view(), name="api-import-create"),
    path("api/imports/<int:pk>/", api.ImportJobView.as_view(), name="api-import-detail"),
]
