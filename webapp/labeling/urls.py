from django.urls import path

from webapp.labeling import api, views

app_name = "labeling"
urlpatterns = [
    path("labeling/", views.session_list, name="list"),
    path("labeling/<int:pk>/", views.session_detail, name="detail"),
    path("labeling/<int:pk>/label/", views.label_page, name="label"),
    path("labeling/join/<str:token>/", views.join, name="join"),
    path("labeling/<int:pk>/export/<str:kind>", views.export, name="export"),
    path("labeling/<int:pk>/close/", views.close, name="close"),
    path("labeling/assignments/<int:pk>/image", views.assignment_image, name="assignment-image"),
    path("api/labeling/sessions/", api.SessionCreateView.as_view(), name="api-create"),
    path("api/labeling/sessions/<int:pk>/statistics/", api.SessionStatisticsView.as_view(), name="api-statistics"),
    path("api/labeling/sessions/<int:pk>/next/", api.NextItemView.as_view(), name="api-next"),
    path("api/labeling/sessions/<int:pk>/undo/", api.UndoView.as_view(), name="api-undo"),
    path("api/labeling/sessions/<int:pk>/release/", api.ReleaseView.as_view(), name="api-release"),
    path("api/labeling/sessions/<int:pk>/close/", api.CloseView.as_view(), name="api-close"),
    path("api/labeling/sessions/<int:pk>/accept/", api.AcceptView.as_view(), name="api-accept"),
    path("api/labeling/sessions/<int:pk>/accept/preview/", api.AcceptPreviewView.as_view(), name="api-accept-preview"),
    path("api/labeling/sessions/<int:pk>/export/<str:kind>", api.SessionExportView.as_view(), name="api-export"),
    path("api/labeling/assignments/<int:pk>/submit/", api.SubmitView.as_view(), name="api-submit"),
    path("api/labeling/assignments/<int:pk>/skip/", api.SkipView.as_view(), name="api-skip"),
]
