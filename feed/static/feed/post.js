// The post page: like without reloading, share the link.
import { share, toggleLike } from "./social.js";

const article = document.querySelector("[data-post]");
const likeButton = article.querySelector("[data-like]");
likeButton?.addEventListener("click", () => toggleLike(article.dataset.post, likeButton).catch((error) => alert(error.message)));
article.querySelector("[data-share]")?.addEventListener("click", (event) => share(event.currentTarget.dataset.share));
