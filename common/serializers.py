"""Serializers every API shares."""

from rest_framework import serializers


class DetailSerializer(serializers.Serializer):
    """The body of every error and acknowledgement: a message to show."""

    detail = serializers.CharField()
