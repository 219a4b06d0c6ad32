from django.urls import path

from feed import api

urlpatterns = [
    path("feed/", api.FeedView.as_view(), name="api-feed"),
    path("posts/", api.PostListView.as_view(), name="api-post-list"),
    path("posts/<int:post_id>/", api.PostDetailView.as_view(), name="api-post-detail"),
    path("posts/<int:post_id>/like/", api.LikeView.as_view(), name="api-post-like"),
    path("posts/<int:post_id>/view/", api.ViewView.as_view(), name="api-post-view"),
    path("posts/<int:post_id>/comments/", api.CommentListView.as_view(), name="api-post-comments"),
    path("posts/<int:post_id>/remixes/", api.RemixListView.as_view(), name="api-post-remixes"),
    path("posts/<int:post_id>/lineage/", api.LineageView.as_view(), name="api-post-lineage"),
    path("posts/<int:post_id>/report/", api.PostReportView.as_view(), name="api-post-report"),
    path("comments/<int:comment_id>/", api.CommentDetailView.as_view(), name="api-comment-detail"),
    path("comments/<int:comment_id>/report/", api.CommentReportView.as_view(), name="api-comment-report"),
    path("users/<str:username>/follow/", api.FollowView.as_view(), name="api-user-follow"),
]
