"""Feed pages: the vertical feed, a post with its comments, posting, remixing, lineage, tags and profiles.

The feed itself is drawn by static/feed/feed.js from the API; every other page works without JavaScript.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from characters import selectors as character_selectors
from characters.models import tag_name_problem
from common.forms import REFUSALS, add_service_error, refusal_messages
from common.ratelimit import limit_posts
from feed import selectors, services
from feed.forms import CommentForm, PostForm
from feed.http import comment_or_404, creator_or_404, give_viewer_id, post_or_404, viewer_key
from feed.models import Post
from generation import selectors as generation_selectors
from generation.models import GenerationJob
from generation.views import clip_maker
from moderation import reports
from moderation.forms import ReportForm

TILE_PAGE = 24
FEED_TITLES = {"foryou": "For you", "following": "Following", "new": "New"}


def keyset_page(request: HttpRequest, posts) -> tuple[list[Post], int | None]:
    """A page of a newest-first list and the post to continue after; new posts never shift it."""
    before = request.GET.get("before", "")
    last = Post.objects.filter(pk=int(before)).values("created_at", "pk").first() if before.isdigit() else None
    if last is not None:
        posts = posts.filter(selectors.older_than(last["created_at"], last["pk"]))
    page = list(posts[: TILE_PAGE + 1])
    return page[:TILE_PAGE], page[TILE_PAGE - 1].pk if len(page) > TILE_PAGE else None


def feed_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "foryou")
    if kind not in selectors.FEED_KINDS:
        kind = "foryou"
    context = {
        "kind": kind,
        "kinds": FEED_TITLES,
        "title": FEED_TITLES[kind],
        "needs_login": kind == "following" and not request.user.is_authenticated,
    }
    return give_viewer_id(request, render(request, "feed/feed.html", context))


def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    if request.method == "GET":
        services.record_view(post=post, viewer=viewer_key(request))
    context = {
        "post": post,
        "liked": getattr(post, "liked", False),
        "comments": selectors.comments_on(post=post, viewer=request.user),
        "comment_form": CommentForm(),
        "report_form": ReportForm(),
        "is_owner": post.owner_id == request.user.pk,
        "share_url": request.build_absolute_uri(post.get_absolute_url()),
        "media_url": absolute_media(request, post),
    }
    return give_viewer_id(request, render(request, "feed/post_detail.html", context))


def absolute_media(request: HttpRequest, post: Post) -> dict[str, str]:
    """Share previews need absolute URLs; S3 URLs already are."""
    if post.clip is None:
        return {}
    return {
        "video": request.build_absolute_uri(post.clip.video.url),
        "poster": request.build_absolute_uri(post.clip.poster.url),
    }


@login_required
def post_create(request: HttpRequest) -> HttpResponse:
    clip = generation_selectors.clip_for_viewer(clip_id=request.GET.get("clip"), user=request.user)
    if clip is None or clip.owner_id != request.user.pk:
        raise Http404("No such clip of yours.")
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.create_post(user=request.user, clip=clip, **form.post_fields())
        except REFUSALS as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Posted.")
            return redirect(post)
    context = {"form": form, "clip": clip, "remix_of": selectors.remix_source_of(clip)}
    return render(request, "feed/post_form.html", context)


@login_required
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    if post.owner_id != request.user.pk:
        raise PermissionDenied("Only the creator can edit this post.")
    initial = {"caption": post.caption, "tags": ", ".join(tag.name for tag in post.tags.all()), "visibility": post.visibility}
    form = PostForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_post(post=post, actor=request.user, **form.post_fields())
        except REFUSALS as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(post)
    return render(request, "feed/post_form.html", {"form": form, "clip": post.clip, "post": post})


@login_required
def post_delete(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    if post.owner_id != request.user.pk:
        raise PermissionDenied("Only the creator can delete this post.")
    if request.method == "POST":
        services.delete_post(post=post, actor=request.user)
        messages.success(request, "The post is deleted. Its clip is still in My clips.")
        return redirect("profile", username=request.user.username)
    return render(request, "feed/confirm_delete.html", {"post": post})


@login_required
@require_POST
@limit_posts("comment", per_user=True)
def comment_add(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = services.add_comment(
                author=request.user, post=post, text=form.cleaned_data["text"], parent_id=form.cleaned_data["parent"]
            )
        except REFUSALS as exc:
            messages.error(request, " ".join(refusal_messages(exc)))
        else:
            if comment.moderation_state != "visible":
                messages.info(request, "Your comment waits for a moderator; only you see it for now.")
    else:
        messages.error(request, "Write a comment of at most 1,000 characters.")
    return redirect(f"{post.get_absolute_url()}#comments")


@login_required
@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = comment_or_404(request, comment_id)
    services.delete_comment(comment=comment, actor=request.user)
    messages.success(request, "Comment deleted.")
    return redirect(f"{comment.post.get_absolute_url()}#comments")


@login_required
@require_POST
def report_item(request: HttpRequest, post_id: int, comment_id: int | None = None) -> HttpResponse:
    post = post_or_404(request, post_id)
    item = post if comment_id is None else comment_or_404(request, comment_id)
    return reports.REPORT.on_page(request, item, back=post)


@login_required
def post_remix(request: HttpRequest, post_id: int) -> HttpResponse:
    """The clip maker, prefilled with the post's recipe; the job it starts remembers its source."""
    source = post_or_404(request, post_id)
    if not source.is_live or source.character is None:
        messages.error(request, f"This post can't be remixed: {source.tombstone_reason.lower() or 'its character is gone.'}")
        return redirect(source)
    recipe = selectors.remix_recipe(source)

    def submit(data: dict) -> GenerationJob:
        return services.request_remix(
            user=request.user, source=source, script=data["script"], voice=data["voice"], audio_file=data["audio"]
        )

    return clip_maker(
        request,
        source.character,
        submit=submit,
        initial={"script": recipe["script"], "voice": recipe["voice"]},
        extra_context={"remix_of": source},
    )


def post_lineage(request: HttpRequest, post_id: int) -> HttpResponse:
    post = post_or_404(request, post_id)
    ancestors, root = selectors.lineage(post=post, viewer=request.user)
    return render(request, "feed/lineage.html", {"post": post, "ancestors": ancestors, "root": root})


def tag_page(request: HttpRequest, name: str) -> HttpResponse:
    if tag_name_problem(" ".join(name.split()).lower()):
        raise Http404("No such tag.")
    posts, before = keyset_page(request, selectors.tagged_posts(tag=name))
    return render(request, "feed/tag.html", {"tag": name.lower(), "posts": posts, "before": before})


def creator_profile(request: HttpRequest, username: str) -> HttpResponse:
    creator = creator_or_404(username)
    posts, before = keyset_page(request, selectors.creator_posts(creator=creator, viewer=request.user))
    characters = character_selectors.search_characters(viewer=request.user, owner=creator)[:TILE_PAGE]
    context = {
        "creator": creator,
        "posts": posts,
        "before": before,
        "characters": characters,
        "is_self": creator.pk == request.user.pk,
        "following": selectors.is_following(viewer=request.user, creator=creator),
        "counts": selectors.follow_counts(creator),
    }
    return render(request, "feed/profile.html", context)


@login_required
@require_POST
def follow_toggle(request: HttpRequest, username: str) -> HttpResponse:
    creator = creator_or_404(username)
    try:
        if request.POST.get("follow") == "1":
            services.follow(follower=request.user, followee=creator)
        else:
            services.unfollow(follower=request.user, followee=creator)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("profile", kwargs={"username": creator.username}))
