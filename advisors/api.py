from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from . import selectors
from .serializers import RegionSerializer, TopicSerializer


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Sweden's regions (län) with their municipalities (kommuner), by official code."""

    serializer_class = RegionSerializer
    permission_classes = [AllowAny]
    lookup_field = "code"

    def get_queryset(self):
        return selectors.region_list()


class TopicViewSet(viewsets.ReadOnlyModelViewSet):
    """Advice topics."""

    serializer_class = TopicSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"

    def get_queryset(self):
        return selectors.topic_list()
