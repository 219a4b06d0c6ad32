// The vertical feed: one clip a screen, scroll-snap to the next, autoplay muted, tap to unmute,
// double-tap to like, a comments drawer, and the next clip preloaded while this one plays.
import { api, setLikeButton, toggleLike } from "./social.js";

const DOUBLE_TAP_MS = 300;
const reel = document.querySelector("[data-testid=reel]");
const template = document.getElementById("slide-template");
const drawer = document.querySelector("[data-drawer]");
const signedIn = reel?.dataset.signedIn === "true";
let nextUrl = reel?.dataset.api;
let loading = false;
let muted = true;
let drawerPost = null;
let replyTo = null;

function status(text) {
  const line = reel.querySelector("[data-reel-status]");
  if (line) line.textContent = text;
  if (line && !text) line.remove();
}

function link(element, href, text) {
  element.href = href;
  element.textContent = text;
}

function buildSlide(post) {
  const slide = template.content.firstElementChild.cloneNode(true);
  slide.dataset.post = post.id;
  const video = slide.querySelector("video");
  video.poster = post.clip.poster;
  video.dataset.src = post.clip.video;
  link(slide.querySelector("[data-owner]"), `/u/${encodeURIComponent(post.owner.username)}/`, post.owner.display_name || post.owner.username);
  if (post.character) link(slide.querySelector("[data-character]"), post.character.page, post.character.name);
  slide.querySelector("[data-caption]").textContent = post.caption;
  const tags = slide.querySelector("[data-tags]");
  for (const tag of post.tags) {
    // Tags stored before the tag rules (characters.models.tag_name_problem) may have no page: shown, not linked.
    const hasPage = /[\p{L}\p{N}]/u.test(tag) && !tag.split("/").some((segment) => segment === "." || segment === "..");
    const anchor = document.createElement(hasPage ? "a" : "span");
    if (hasPage) link(anchor, `/tags/${encodeURIComponent(tag)}/`, `#${tag}`);
    else anchor.textContent = `#${tag}`;
    tags.append(anchor, " ");
  }
  if (post.remix_of) {
    const line = slide.querySelector("[data-remix-of]");
    line.hidden = false;
    line.textContent = post.remix_of.tombstone ? "Remix of a post that is gone" : "Remix of ";
    if (!post.remix_of.tombstone) line.append(Object.assign(document.createElement("a"), { href: post.remix_of.page, textContent: "the original" }));
  }
  setLikeButton(slide.querySelector("[data-like]"), post.liked, post.like_count);
  slide.querySelector("[data-comment-count]").textContent = post.comment_count;
  slide.querySelector("[data-remix-count]").textContent = post.remix_count;
  slide.querySelector("[data-remix]").href = `/p/${post.id}/remix/`;
  slide.querySelector("[data-open]").href = post.page;
  return slide;
}

async function loadMore() {
  if (loading || !nextUrl) return;
  loading = true;
  try {
    const page = await api(nextUrl);
    nextUrl = page.next;
    for (const post of page.results) if (post.clip) reel.append(observe(buildSlide(post)));
    status(reel.querySelector(".slide") ? "" : "No clips here yet.");
  } catch (error) {
    status(error.message);
  } finally {
    loading = false;
  }
}

function load(video) {
  if (!video.src) video.src = video.dataset.src;
}

function preloadAfter(slide) {
  const next = slide.nextElementSibling;
  if (next?.classList.contains("slide")) {
    const video = next.querySelector("video");
    video.preload = "auto";
    load(video);
  }
}

const countedViews = new Set();

function countView(slide) {
  if (countedViews.has(slide.dataset.post)) return;
  countedViews.add(slide.dataset.post);
  api(`/api/posts/${slide.dataset.post}/view/`, { method: "POST" }).catch(() => countedViews.delete(slide.dataset.post));
}

function activate(slide) {
  for (const other of reel.querySelectorAll(".slide.active")) {
    if (other === slide) continue;
    other.classList.remove("active");
    other.querySelector("video").pause();
  }
  slide.classList.add("active");
  const video = slide.querySelector("video");
  load(video);
  video.muted = muted;
  video.play().then(() => countView(slide)).catch(() => {});
  preloadAfter(slide);
  if (!slide.nextElementSibling?.nextElementSibling) loadMore();
  if (drawerPost && !drawer.hidden && window.matchMedia("(min-width: 900px)").matches) openComments(slide.dataset.post);
}

const watcher = new IntersectionObserver(
  (entries) => entries.filter((entry) => entry.isIntersecting).forEach((entry) => activate(entry.target)),
  { root: reel, threshold: 0.6 },
);

function observe(slide) {
  watcher.observe(slide);
  return slide;
}

function setMuted(value) {
  muted = value;
  for (const video of reel.querySelectorAll("video")) video.muted = muted;
  for (const button of reel.querySelectorAll("[data-unmute]")) {
    button.setAttribute("aria-pressed", String(!muted));
    button.setAttribute("aria-label", muted ? "Unmute" : "Mute");
  }
}

function burst(slide) {
  const heart = slide.querySelector(".heart-burst");
  heart.classList.remove("show");
  void heart.offsetWidth; // restart the animation
  heart.classList.add("show");
}

async function like(slide, { onlyAdd }) {
  if (!signedIn) {
    window.location.href = reel.dataset.login;
    return;
  }
  const button = slide.querySelector("[data-like]");
  if (onlyAdd && button.dataset.liked === "true") return burst(slide);
  if (onlyAdd) burst(slide);
  await toggleLike(slide.dataset.post, button).catch((error) => alert(error.message));
}

// One tap toggles the sound; two taps within DOUBLE_TAP_MS like (and never unlike) the clip.
let lastTap = { time: 0, slide: null, timer: 0 };
function onTap(event) {
  const slide = event.target.closest(".slide");
  if (!slide || event.target.closest("a, button")) return;
  const now = performance.now();
  if (lastTap.slide === slide && now - lastTap.time < DOUBLE_TAP_MS) {
    clearTimeout(lastTap.timer);
    lastTap = { time: 0, slide: null, timer: 0 };
    like(slide, { onlyAdd: true });
    return;
  }
  lastTap = { time: now, slide, timer: setTimeout(() => setMuted(!muted), DOUBLE_TAP_MS) };
}

function onButton(event) {
  const slide = event.target.closest(".slide");
  if (!slide) return;
  if (event.target.closest("[data-like]")) like(slide, { onlyAdd: false });
  else if (event.target.closest("[data-comments]")) openComments(slide.dataset.post);
  else if (event.target.closest("[data-unmute]")) setMuted(!muted);
}

// --- comments drawer ---------------------------------------------------------------------------

function commentItem(comment) {
  const item = document.createElement("li");
  item.className = "comment";
  item.dataset.comment = comment.id;
  const author = document.createElement("strong");
  author.textContent = comment.author.display_name || comment.author.username;
  const text = document.createElement("p");
  text.className = "comment-text";
  text.textContent = comment.text;
  item.append(author, text);
  if (comment.held) item.append(Object.assign(document.createElement("span"), { className: "badge warn", textContent: "waiting for a moderator" }));
  if (signedIn && !comment.parent) {
    const reply = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: "Reply" });
    reply.addEventListener("click", () => startReply(comment));
    item.append(reply);
  }
  if (comment.replies?.length) {
    const replies = document.createElement("ul");
    replies.className = "replies";
    replies.append(...comment.replies.map(commentItem));
    item.append(replies);
  }
  return item;
}

function startReply(comment) {
  replyTo = comment.id;
  const line = drawer.querySelector("[data-reply-to]");
  line.hidden = false;
  line.textContent = `Replying to ${comment.author.display_name || comment.author.username}`;
  drawer.querySelector("textarea")?.focus();
}

async function openComments(postId) {
  drawerPost = postId;
  replyTo = null;
  drawer.hidden = false;
  document.body.classList.add("drawer-open");
  const list = drawer.querySelector("[data-comment-list]");
  list.replaceChildren(Object.assign(document.createElement("li"), { className: "muted", textContent: "Loading…" }));
  const replyLine = drawer.querySelector("[data-reply-to]");
  if (replyLine) replyLine.hidden = true;
  try {
    const page = await api(`/api/posts/${postId}/comments/?page_size=50`);
    if (drawerPost !== postId) return;
    list.replaceChildren(...page.results.map(commentItem));
    if (!page.results.length) list.append(Object.assign(document.createElement("li"), { className: "muted", textContent: "No comments yet." }));
  } catch (error) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: error.message }));
  }
}

function closeComments() {
  drawer.hidden = true;
  drawerPost = null;
  document.body.classList.remove("drawer-open");
}

async function sendComment(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const error = form.querySelector("[data-comment-error]");
  error.textContent = "";
  try {
    await api(`/api/posts/${drawerPost}/comments/`, { method: "POST", body: { text: form.text.value, parent: replyTo } });
    form.reset();
    const slide = reel.querySelector(`.slide[data-post="${drawerPost}"]`);
    const counter = slide?.querySelector("[data-comment-count]");
    if (counter) counter.textContent = String(Number(counter.textContent) + 1);
    await openComments(drawerPost);
  } catch (failure) {
    error.textContent = failure.message;
  }
}

function keyboard(event) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  event.preventDefault();
  const active = reel.querySelector(".slide.active");
  const target = event.key === "ArrowDown" ? active?.nextElementSibling : active?.previousElementSibling;
  target?.scrollIntoView({ behavior: "smooth" });
}

// The reel fills the screen below the page header, whatever height the header wraps to.
function fitReel() {
  const top = reel.getBoundingClientRect().top + window.scrollY;
  document.querySelector(".feed-page").style.setProperty("--reel-height", `${Math.max(320, window.innerHeight - top - 8)}px`);
}

if (reel) {
  fitReel();
  window.addEventListener("resize", fitReel);
  reel.addEventListener("pointerup", onTap);
  reel.addEventListener("click", onButton);
  reel.addEventListener("keydown", keyboard);
  drawer.querySelector("[data-drawer-close]").addEventListener("click", closeComments);
  drawer.querySelector("[data-comment-form]")?.addEventListener("submit", sendComment);
  loadMore();
}
