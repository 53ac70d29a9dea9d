"""Pieces every viewset of the deals API shares: input validation and documented problems."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.request import Request

from handoff.api import ProblemSerializer


def valid_input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The request body through a small input serializer; bad input raises a 400."""
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


PROBLEMS = {
    403: OpenApiResponse(ProblemSerializer, description="Visible, but not yours to do."),
    409: OpenApiResponse(ProblemSerializer, description="Not allowed in the deal's status."),
}
DEAL_PATH = [OpenApiParameter("deal_pk", OpenApiTypes.INT, OpenApiParameter.PATH)]
