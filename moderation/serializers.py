"""The report and appeal bodies of every moderated item's API (characters, posts, comments)."""

from rest_framework import serializers

from moderation.models import ReportReason


class ReportSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)
    details = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AppealSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=2000)
