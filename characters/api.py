"""Character endpoints: CRUD, search, character card import/export, and the face rig."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import active_users
from characters import selectors, services
from characters.models import Character
from characters.serializers import (
    CardExportQuerySerializer,
    CardImportSerializer,
    CharacterSerializer,
    CharacterWriteSerializer,
    FaceRigSerializer,
    FaceRigWriteSerializer,
)
from common.serializers import DetailSerializer
from moderation import reports
from moderation.serializers import AppealSerializer, ReportSerializer

LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="Words in the name, tagline or persona."),
    OpenApiParameter("tag", str, description="Only characters with this tag."),
    OpenApiParameter("owner", str, description="Only this creator's characters (all of them when it is you)."),
]


NO_FACE_RIG = "This character has no face rig: it needs a portrait large enough to animate."


def write_arguments(data: dict) -> dict:
    """Split validated input into the service's keyword arguments."""
    portrait = data.pop("portrait", None)
    return {
        "portrait": portrait.read() if portrait else None,
        "remove_portrait": data.pop("remove_portrait", False),
        "attested_own_likeness": data.pop("own_likeness_attested", False),
        **data,
    }


@extend_schema_view(
    list=extend_schema(parameters=LIST_PARAMETERS),
    create=extend_schema(request=CharacterWriteSerializer, responses={201: CharacterSerializer}),
    update=extend_schema(request=CharacterWriteSerializer),
    partial_update=extend_schema(request=CharacterWriteSerializer),
)
class CharacterViewSet(viewsets.GenericViewSet):
    lookup_field = "slug"
    serializer_class = CharacterSerializer
    queryset = Character.objects.none()  # for schema generation; reads go through selectors

    def get_character(self, slug: str) -> Character:
        character = selectors.character_for_viewer(slug=slug, viewer=self.request.user)
        if character is None:
            raise Http404("No character with that name is visible to you.")
        return character

    def respond(self, character: Character, code: int = status.HTTP_200_OK) -> Response:
        character = self.get_character(character.slug)  # re-read with owner and tags prefetched
        return Response(CharacterSerializer(character, context={"request": self.request}).data, status=code)

    def list(self, request: Request) -> Response:
        owner = None
        if request.query_params.get("owner"):
            owner = active_users().filter(username=request.query_params["owner"]).first()
            if owner is None:
                raise Http404("No such creator.")
        characters = selectors.search_characters(
            viewer=request.user,
            query=request.query_params.get("q", ""),
            tag=request.query_params.get("tag", ""),
            owner=owner,
        )
        page = self.paginate_queryset(characters)
        return self.get_paginated_response(CharacterSerializer(page, many=True, context={"request": request}).data)

    def create(self, request: Request) -> Response:
        serializer = CharacterWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        arguments = write_arguments(dict(serializer.validated_data))
        arguments.pop("remove_portrait")
        character = services.create_character(owner=request.user, **arguments)
        return self.respond(character, status.HTTP_201_CREATED)

    def retrieve(self, request: Request, slug: str) -> Response:
        return self.respond(self.get_character(slug))

    def update(self, request: Request, slug: str, partial: bool = False) -> Response:
        character = self.get_character(slug)
        services.check_can_edit(character=character, actor=request.user)
        serializer = CharacterWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        arguments = write_arguments(dict(serializer.validated_data))
        character = services.update_character(
            character=character,
            actor=request.user,
            tags=arguments.pop("tags", None),
            portrait=arguments.pop("portrait"),
            remove_portrait=arguments.pop("remove_portrait"),
            attested_own_likeness=arguments.pop("attested_own_likeness"),
            changes=arguments,
        )
        return self.respond(character)

    def partial_update(self, request: Request, slug: str) -> Response:
        return self.update(request, slug, partial=True)

    def destroy(self, request: Request, slug: str) -> Response:
        services.delete_character(character=self.get_character(slug), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request={"multipart/form-data": CardImportSerializer}, responses={201: CharacterSerializer})
    @action(
        detail=False, methods=["post"], url_path="import", permission_classes=[IsAuthenticated], parser_classes=[MultiPartParser]
    )
    def import_card(self, request: Request) -> Response:
        serializer = CardImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        character = services.import_card(owner=request.user, data=serializer.validated_data["file"].read())
        return self.respond(character, status.HTTP_201_CREATED)

    @extend_schema(request=ReportSerializer, responses={201: DetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def report(self, request: Request, slug: str) -> Response:
        """Report a character to the moderators."""
        return reports.REPORT.respond(request, self.get_character(slug))

    @extend_schema(request=AppealSerializer, responses={201: DetailSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def appeal(self, request: Request, slug: str) -> Response:
        """Ask once for a rejected or taken-down character to be reconsidered."""
        return reports.APPEAL.respond(request, self.get_character(slug))

    @extend_schema(
        parameters=[CardExportQuerySerializer],
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The card file.")},
    )
    @action(detail=True, methods=["get"])
    def card(self, request: Request, slug: str) -> HttpResponse:
        query = CardExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        card = selectors.export_card(
            character=self.get_character(slug), spec=query.validated_data["spec"], container=query.validated_data["format"]
        )
        response = HttpResponse(card.content, content_type=card.content_type)
        response["Content-Disposition"] = f'attachment; filename="{card.filename}"'
        return response

    def respond_rig(self, character: Character) -> Response:
        display = selectors.face_rig_display(character=character)
        if display is None:
            raise Http404(NO_FACE_RIG)
        return Response(FaceRigSerializer(display, context={"request": self.request}).data)

    @extend_schema(methods=["GET"], responses={200: FaceRigSerializer})
    @extend_schema(methods=["PUT"], request=FaceRigWriteSerializer, responses={200: FaceRigSerializer})
    @action(detail=True, methods=["get", "put"], url_path="rig")
    def rig(self, request: Request, slug: str) -> Response:
        """The face rig that animates the portrait; the owner moves its points (PUT the editor's handles)."""
        character = self.get_character(slug)
        if request.method == "PUT":
            services.check_can_edit(character=character, actor=request.user)
            serializer = FaceRigWriteSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            services.set_face_rig(character=character, actor=request.user, handles=serializer.validated_data["handles"])
        return self.respond_rig(character)

    @extend_schema(request=None, responses={200: FaceRigSerializer})
    @action(detail=True, methods=["post"], url_path="rig/reset")
    def rig_reset(self, request: Request, slug: str) -> Response:
        """Replace the face rig with a freshly detected one."""
        character = self.get_character(slug)
        services.reset_face_rig(character=character, actor=request.user)
        return self.respond_rig(character)
