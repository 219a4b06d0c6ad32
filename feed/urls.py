from django.urls import path

from feed import views

urlpatterns = [
    path("feed/", views.feed_page, name="feed"),
    path("posts/new/", views.post_create, name="post_create"),
    path("p/<int:post_id>/", views.post_detail, name="post_detail"),
    path("p/<int:post_id>/edit/", views.post_edit, name="post_edit"),
    path("p/<int:post_id>/delete/", views.post_delete, name="post_delete"),
    path("p/<int:post_id>/comments/", views.comment_add, name="comment_add"),
    path("p/<int:post_id>/report/", views.report_item, name="post_report"),
    path("p/<int:post_id>/comments/<int:comment_id>/report/", views.report_item, name="comment_report"),
    path("p/<int:post_id>/remix/", views.post_remix, name="post_remix"),
    path("p/<int:post_id>/lineage/", views.post_lineage, name="post_lineage"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("tags/<path:name>/", views.tag_page, name="tag"),  # path: a tag may hold slashes (ac/dc, 24/7 news)
    path("u/<str:username>/", views.creator_profile, name="profile"),
    path("u/<str:username>/follow/", views.follow_toggle, name="follow"),
]
