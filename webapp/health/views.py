from django.shortcuts import render
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.accounts import roles
from webapp.health.services import run_all_checks

_check = inline_serializer(
    "HealthCheck",
    {
        "ok": serializers.BooleanField(),
        "message": serializers.CharField(),
        "latency_ms": serializers.FloatField(allow_null=True),
        "required": serializers.BooleanField(),
        "details": serializers.DictField(),
    },
)


class HealthView(APIView):
    """State of web, database, broker and workers; 503 when a required part fails.

    Anonymous visitors and non-admins get the status of each part only; admins also get
    messages, latencies and details."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                "Health",
                {
                    "status": serializers.ChoiceField(["ok", "degraded", "failing"]),
                    "checks": serializers.DictField(child=_check),
                },
            )
        }
    )
    def get(self, request):
        report = run_all_checks()
        code = status.HTTP_503_SERVICE_UNAVAILABLE if report["status"] == "failing" else status.HTTP_200_OK
        return Response(report if roles.is_admin(request.user) else public_report(report), status=code)


def public_report(report: dict) -> dict:
    """What anyone may know: the overall status and which parts are up. Messages and details
    (worker host names, process ids, versions) are for admins."""
    return {
        "status": report["status"],
        "checks": {name: {"ok": c["ok"], "required": c["required"]} for name, c in report["checks"].items()},
    }


def health_page(request):
    """The page asks the JSON endpoint itself, so it shows progress while workers answer."""
    return render(request, "health/health.html")
