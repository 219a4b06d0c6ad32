"""Feed endpoints: the three feeds, posts, likes, views, comments, remixes, lineage, follows and reports."""

from functools import partial

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from common.ratelimit import UserWriteThrottle
from common.serializers import DetailSerializer
from feed import selectors, services
from feed.http import comment_or_404, creator_or_404, give_viewer_id, post_or_404, viewer_key
from feed.models import Comment, Post
from feed.pagination import HottestFirst, NewestFirst, NewestFirstByKey, OldestFirst
from feed.serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    FollowStateSerializer,
    LikeStateSerializer,
    LineageSerializer,
    PostCreateSerializer,
    PostSerializer,
    PostUpdateSerializer,
    RemixCreateSerializer,
    ViewStateSerializer,
)
from generation import selectors as generation_selectors
from generation.serializers import JobSerializer
from moderation import reports
from moderation.serializers import ReportSerializer

POST_ID = OpenApiParameter("post_id", OpenApiTypes.INT, OpenApiParameter.PATH)
COMMENT_ID = OpenApiParameter("comment_id", OpenApiTypes.INT, OpenApiParameter.PATH)
USERNAME = OpenApiParameter("username", OpenApiTypes.STR, OpenApiParameter.PATH)
KIND = OpenApiParameter("kind", OpenApiTypes.STR, enum=selectors.FEED_KINDS, description="Which feed; For you by default.")


class PostPageView(GenericAPIView):
    """A list view whose page serializes posts with the viewer's likes: a constant number of queries per page."""

    serializer_class = PostSerializer
    pagination_class = NewestFirst

    def post_page(self, posts) -> Response:
        page = self.paginate_queryset(posts)
        return self.get_paginated_response(PostSerializer(page, many=True, context={"request": self.request}).data)


def feed_page(request: Request, kind: str) -> tuple[BasePagination, list[Post]]:
    """One page of a feed, and the paginator that links the next one."""
    if kind == "following":
        paginator = NewestFirstByKey()
        fetch = partial(selectors.following_page, viewer=request.user)
        return paginator, paginator.paginate(request, lambda before, size: fetch(before=before, size=size))
    paginator = HottestFirst() if kind == "foryou" else NewestFirst()
    return paginator, paginator.paginate_queryset(selectors.feed(kind=kind, viewer=request.user), request)


class FeedView(PostPageView):
    @extend_schema(parameters=[KIND], responses={200: PostSerializer(many=True), 400: DetailSerializer})
    def get(self, request: Request) -> Response:
        """For you (ranked by the hot score), Following (creators you follow, newest first) or New."""
        kind = request.query_params.get("kind", "foryou")
        if kind not in selectors.FEED_KINDS:
            raise ValidationError({"kind": f"Choose one of {', '.join(selectors.FEED_KINDS)}."})
        if kind == "following" and not request.user.is_authenticated:
            raise NotAuthenticated("Log in to see the creators you follow.")
        paginator, page = feed_page(request, kind)
        return paginator.get_paginated_response(PostSerializer(page, many=True, context={"request": request}).data)


class PostListView(PostPageView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tag", str, description="Only posts with this tag."),
            OpenApiParameter("owner", str, description="Only this creator's posts."),
        ],
        responses={200: PostSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        """Listed posts, newest first: by tag, by creator, or all."""
        if request.query_params.get("owner"):
            posts = selectors.creator_posts(creator=creator_or_404(request.query_params["owner"]), viewer=request.user)
        elif request.query_params.get("tag"):
            posts = selectors.tagged_posts(tag=request.query_params["tag"], viewer=request.user)
        else:
            posts = selectors.feed(kind="new", viewer=request.user)
        return self.post_page(posts)

    @extend_schema(request=PostCreateSerializer, responses={201: PostSerializer, 400: DetailSerializer, 403: DetailSerializer})
    def post(self, request: Request) -> Response:
        """Post one of your finished clips; a clip made from "Remix" records the original as remix_of."""
        if not request.user.is_authenticated:
            raise NotAuthenticated()
        serializer = PostCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        clip = generation_selectors.clip_for_viewer(clip_id=data.pop("clip"), user=request.user)
        if clip is None or clip.owner_id != request.user.pk:
            raise ValidationError({"clip": "No such clip of yours."})
        post = services.create_post(user=request.user, clip=clip, **data)
        return Response(self.serialized(post), status=status.HTTP_201_CREATED)

    def serialized(self, post: Post) -> dict:
        post = post_or_404(self.request, post.pk)
        return PostSerializer(post, context={"request": self.request}).data


class PostDetailView(GenericAPIView):
    serializer_class = PostSerializer

    def respond(self, post: Post) -> Response:
        return Response(PostSerializer(post_or_404(self.request, post.pk), context={"request": self.request}).data)

    @extend_schema(parameters=[POST_ID], responses={200: PostSerializer, 404: DetailSerializer})
    def get(self, request: Request, post_id: str) -> Response:
        return self.respond(post_or_404(request, post_id))

    @extend_schema(parameters=[POST_ID], request=PostUpdateSerializer, responses={200: PostSerializer, 403: DetailSerializer})
    def patch(self, request: Request, post_id: str) -> Response:
        """The creator edits the caption, tags or visibility."""
        post = post_or_404(request, post_id)
        serializer = PostUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_post(post=post, actor=request.user, **serializer.validated_data)
        return self.respond(post)

    @extend_schema(parameters=[POST_ID], responses={204: None, 403: DetailSerializer})
    def delete(self, request: Request, post_id: str) -> Response:
        """The creator deletes the post; remixes of it keep a tombstone in their lineage."""
        services.delete_post(post=post_or_404(request, post_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LikeView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = LikeStateSerializer

    def state(self, post: Post, liked: bool) -> Response:
        post.refresh_from_db(fields=["like_count"])
        return Response({"liked": liked, "like_count": post.like_count})

    @extend_schema(parameters=[POST_ID], request=None, responses={200: LikeStateSerializer, 410: DetailSerializer})
    def post(self, request: Request, post_id: str) -> Response:
        """Like; liking twice changes nothing."""
        post = post_or_404(request, post_id)
        services.like(user=request.user, post=post)
        return self.state(post, True)

    @extend_schema(parameters=[POST_ID], responses={200: LikeStateSerializer})
    def delete(self, request: Request, post_id: str) -> Response:
        """Unlike; unliking twice changes nothing."""
        post = post_or_404(request, post_id)
        services.unlike(user=request.user, post=post)
        return self.state(post, False)


class ViewView(GenericAPIView):
    permission_classes = []
    serializer_class = ViewStateSerializer

    @extend_schema(parameters=[POST_ID], request=None, responses={202: ViewStateSerializer})
    def post(self, request: Request, post_id: str) -> Response:
        """Say the clip was watched; it counts once per viewer per 24 h and reaches view_count at the next flush.

        Anonymous views count only with the signed viewer id cookie the feed's pages (or this reply) set."""
        counted = services.record_view(post=post_or_404(request, post_id), viewer=viewer_key(request))
        return give_viewer_id(request, Response({"counted": counted}, status=status.HTTP_202_ACCEPTED))


class CommentListView(GenericAPIView):
    serializer_class = CommentSerializer
    pagination_class = OldestFirst
    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_classes = [UserWriteThrottle]
    throttle_scope = "comment"

    @extend_schema(parameters=[POST_ID], responses={200: CommentSerializer(many=True)})
    def get(self, request: Request, post_id: str) -> Response:
        """Comments oldest first, each with its replies."""
        post = post_or_404(request, post_id)
        page = self.paginate_queryset(selectors.comments_on(post=post, viewer=request.user))
        return self.get_paginated_response(CommentSerializer(page, many=True).data)

    @extend_schema(
        parameters=[POST_ID], request=CommentCreateSerializer, responses={201: CommentSerializer, 400: DetailSerializer}
    )
    def post(self, request: Request, post_id: str) -> Response:
        """Comment, or reply with `parent`; the text is screened before it is stored."""
        post = post_or_404(request, post_id)
        serializer = CommentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = services.add_comment(author=request.user, post=post, text=data["text"], parent_id=data.get("parent"))
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentDetailView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CommentSerializer

    @extend_schema(parameters=[COMMENT_ID], responses={204: None, 403: DetailSerializer})
    def delete(self, request: Request, comment_id: str) -> Response:
        """The author or the post's creator deletes a comment, with its replies."""
        services.delete_comment(comment=comment_or_404(request, comment_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReportView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ReportSerializer

    def report(self, request: Request, item: Post | Comment) -> Response:
        return reports.REPORT.respond(request, item)


class PostReportView(ReportView):
    @extend_schema(parameters=[POST_ID], request=ReportSerializer, responses={201: DetailSerializer})
    def post(self, request: Request, post_id: str) -> Response:
        """Report a post to the moderators."""
        return self.report(request, post_or_404(request, post_id))


class CommentReportView(ReportView):
    @extend_schema(parameters=[COMMENT_ID], request=ReportSerializer, responses={201: DetailSerializer})
    def post(self, request: Request, comment_id: str) -> Response:
        """Report a comment to the moderators."""
        return self.report(request, comment_or_404(request, comment_id))


class RemixListView(PostPageView):
    permission_classes = [IsAuthenticatedOrReadOnly]

    @extend_schema(parameters=[POST_ID], responses={200: PostSerializer(many=True)})
    def get(self, request: Request, post_id: str) -> Response:
        """The direct remixes of a post you can see, newest first."""
        return self.post_page(selectors.remixes_of(post=post_or_404(request, post_id), viewer=request.user))

    @extend_schema(
        parameters=[POST_ID],
        request={"application/json": RemixCreateSerializer, "multipart/form-data": RemixCreateSerializer},
        responses={201: JobSerializer, 400: DetailSerializer, 410: DetailSerializer, 429: DetailSerializer},
    )
    def post(self, request: Request, post_id: str) -> Response:
        """Start a clip from the post's recipe; post the finished clip to publish the remix."""
        serializer = RemixCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = services.request_remix(
            user=request.user,
            source=post_or_404(request, post_id),
            script=data.get("script"),
            voice=data["voice"],
            audio_file=data.get("audio"),
        )
        job = generation_selectors.job_for_owner(job_id=job.pk, user=request.user)
        return Response(JobSerializer(job, context={"request": request}).data, status=status.HTTP_201_CREATED)


class LineageView(GenericAPIView):
    serializer_class = LineageSerializer

    @extend_schema(parameters=[POST_ID], responses={200: LineageSerializer, 404: DetailSerializer})
    def get(self, request: Request, post_id: str) -> Response:
        """Ancestors and descendants of a post; deleted and taken-down posts appear as tombstones."""
        ancestors, root = selectors.lineage(post=post_or_404(request, post_id), viewer=request.user)
        return Response(LineageSerializer({"ancestors": ancestors, "root": root}, context={"request": request}).data)


class FollowView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = FollowStateSerializer

    def state(self, creator: User) -> Response:
        following = selectors.is_following(viewer=self.request.user, creator=creator)
        return Response({"following": following, "followers": selectors.follow_counts(creator)["followers"]})

    @extend_schema(parameters=[USERNAME], request=None, responses={200: FollowStateSerializer})
    def post(self, request: Request, username: str) -> Response:
        """Follow a creator; following twice changes nothing."""
        creator = creator_or_404(username)
        services.follow(follower=request.user, followee=creator)
        return self.state(creator)

    @extend_schema(parameters=[USERNAME], responses={200: FollowStateSerializer})
    def delete(self, request: Request, username: str) -> Response:
        """Unfollow a creator."""
        creator = creator_or_404(username)
        services.unfollow(follower=request.user, followee=creator)
        return self.state(creator)
