// The clip form: a live script length counter and voice samples that play on ▶.
(() => {
  const script = document.getElementById("id_script");
  const counter = document.querySelector(".counter");
  if (script && counter) {
    const count = counter.querySelector("#script-count");
    const max = Number(counter.dataset.max);
    const update = () => {
      const length = [...script.value.trim()].length; // characters as the server counts them
      count.textContent = length;
      counter.classList.toggle("over", length > max);
    };
    script.addEventListener("input", update);
    update();
  }
  let playing = null;
  for (const button of document.querySelectorAll("[data-preview]")) {
    button.addEventListener("click", () => {
      if (playing) playing.pause();
      playing = new Audio(button.dataset.preview);
      playing.play().catch(() => { button.title = "The sample could not be played"; });
    });
  }
})();
