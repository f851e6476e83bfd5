from rest_framework import serializers

from .models import Municipality, Region, Topic


class MunicipalitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["code", "name"]


class RegionSerializer(serializers.ModelSerializer):
    municipalities = MunicipalitySerializer(many=True, read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "municipalities"]


class TopicSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="In the request's language (Accept-Language).")

    class Meta:
        model = Topic
        fields = ["slug", "name", "name_sv", "name_en"]
