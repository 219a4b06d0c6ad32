// Calls to the feed API from the pages: session cookie plus Django's CSRF token, JSON both ways.

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export async function api(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || `The server answered ${response.status}.`);
  return data;
}

export function setLikeButton(button, liked, count) {
  button.dataset.liked = String(liked);
  button.setAttribute("aria-pressed", String(liked));
  button.classList.toggle("liked", liked);
  const counter = button.querySelector("[data-like-count]");
  if (counter) counter.textContent = String(count);
}

export async function toggleLike(postId, button) {
  const liked = button.dataset.liked === "true";
  const state = await api(`/api/posts/${postId}/like/`, { method: liked ? "DELETE" : "POST" });
  setLikeButton(button, state.liked, state.like_count);
  return state;
}

export async function share(url) {
  if (navigator.share) {
    await navigator.share({ url }).catch(() => {});
  } else if (navigator.clipboard) {
    await navigator.clipboard.writeText(url);
    alert("Link copied.");
  } else {
    prompt("Copy this link:", url);
  }
}
