from django.urls import path

from webapp.training import api, views

app_name = "training"
urlpatterns = [
    path("training/", views.run_list, name="list"),
    path("training/runs/<int:pk>/", views.run_detail, name="run"),
    path("training/runs/<int:pk>/curves/", views.run_curves, name="run-curves"),
    path("api/training/runs/", api.RunListCreateView.as_view(), name="api-runs"),
    path("api/training/runs/<int:pk>/", api.RunDetailView.as_view(), name="api-run"),
    path("api/training/runs/<int:pk>/cancel/", api.RunCancelView.as_view(), name="api-run-cancel"),
    path("api/training/queues/", api.WorkerQueuesView.as_view(), name="api-queues"),
    path("api/training/architectures/", api.ArchitectureListView.as_view(), name="api-architectures"),
]
