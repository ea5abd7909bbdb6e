from django.urls import path

from webapp.uploads import api, views

app_name = "uploads"
urlpatterns = [
    path("upload/", views.upload_page, name="upload"),
    path("gallery/", views.gallery, name="gallery"),
    path("gallery/<int:pk>/", views.upload_detail, name="detail"),
    path("gallery/<int:pk>/delete/", views.upload_delete, name="delete"),
    path("gallery/<int:pk>/photo", views.photo, name="photo"),
    path("gallery/faces/<int:pk>/<str:kind>.png", views.face_file, name="face-file"),
    path("api/predict/", api.PredictView.as_view(), name="api-predict"),
    path("api/uploads/", api.UploadListCreateView.as_view(), name="api-uploads"),
    path("api/uploads/<int:pk>/", api.UploadDetailView.as_view(), name="api-upload"),
    path("api/faces/", api.FaceListView.as_view(), name="api-faces"),
    path("api/faces/<int:pk>/corrections/", api.FaceCorrectionView.as_view(), name="api-face-corrections"),
]
