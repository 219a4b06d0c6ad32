// The face rig editor: drag the rig's handles on the portrait, then save them through the rig endpoint.
// Points live in portrait pixels; the SVG's viewBox is the portrait (or the face, zoomed), so it scales
// with the page and screen positions convert to portrait pixels through the SVG's own transform.

const SVG_NS = "http://www.w3.org/2000/svg";
const GROUP_NAMES = { outline: "Face outline", eye_l: "Left eye", eye_r: "Right eye", mouth: "Mouth" };
const HANDLE_RADIUS_CSS_PX = window.matchMedia("(pointer: coarse)").matches ? 11 : 6; // bigger targets for fingers
const ZOOM_MARGIN = 0.35; // around the face outline, as a share of its size
const NUDGE_PX = 1;
const BIG_NUDGE_PX = 10;
const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

function svgElement(name, attributes) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
}

function clamp(value, low, high) {
  return Math.min(Math.max(value, low), high);
}

class RigEditor {
  constructor(root, rig) {
    this.root = root;
    this.svg = root.querySelector(".rig-canvas");
    this.message = root.querySelector(".rig-message");
    this.buttons = root.querySelectorAll("button[data-action]");
    this.shapes = {};
    this.circles = [];
    this.drag = null;
    this.build(rig);
    this.show(rig);
    new ResizeObserver(() => this.resizeHandles()).observe(this.svg);
    root.querySelector("[data-action=save]").addEventListener("click", () => this.send("PUT", this.api(), { handles: this.handles }));
    root.querySelector("[data-action=reset]").addEventListener("click", () => this.send("POST", this.api("reset/")));
    this.zoomButton = root.querySelector("[data-action=zoom]");
    this.zoomButton.addEventListener("click", () => this.zoom(this.zoomButton.getAttribute("aria-pressed") !== "true"));
  }

  api(suffix = "") {
    return this.root.dataset.api + suffix;
  }

  build(rig) {
    const shapes = svgElement("g", { "aria-hidden": "true" });
    const handles = svgElement("g", {});
    for (const [group, points] of Object.entries(rig.handles)) {
      this.shapes[group] = shapes.appendChild(svgElement("polygon", { class: `rig-shape rig-group-${group}` }));
      points.forEach((_, index) => {
        const circle = svgElement("circle", { class: `rig-handle rig-group-${group}`, tabindex: "0", role: "button", "aria-roledescription": "movable point" });
        circle.dataset.group = group;
        circle.dataset.index = index;
        const help = rig.handle_help[group];
        circle.appendChild(svgElement("title", {})).textContent = help.charAt(0).toUpperCase() + help.slice(1);
        circle.addEventListener("pointerdown", (event) => this.startDrag(event, circle));
        circle.addEventListener("pointermove", (event) => this.moveDrag(event));
        circle.addEventListener("pointerup", (event) => this.endDrag(event));
        circle.addEventListener("pointercancel", (event) => this.endDrag(event));
        circle.addEventListener("keydown", (event) => this.nudge(event, circle));
        circle.addEventListener("focus", () => this.select(circle));
        this.circles.push(circle);
        handles.appendChild(circle);
      });
    }
    this.svg.append(shapes, handles);
  }

  // Take the server's rig: its points, and the note that says what placed them.
  show(rig) {
    this.width = rig.width;
    this.height = rig.height;
    this.handles = structuredClone(rig.handles);
    for (const note of this.root.querySelectorAll("[data-source]")) note.hidden = note.dataset.source !== rig.source;
    this.draw();
  }

  draw() {
    for (const group of Object.keys(this.handles)) this.drawShape(group);
    for (const circle of this.circles) this.place(circle);
  }

  drawShape(group) {
    this.shapes[group].setAttribute("points", this.handles[group].map(([x, y]) => `${x},${y}`).join(" "));
  }

  place(circle) {
    const [x, y] = this.handles[circle.dataset.group][circle.dataset.index];
    circle.setAttribute("cx", x);
    circle.setAttribute("cy", y);
    const count = this.handles[circle.dataset.group].length;
    const name = GROUP_NAMES[circle.dataset.group] ?? circle.dataset.group;
    circle.setAttribute("aria-label", `${name}, point ${Number(circle.dataset.index) + 1} of ${count}: x ${Math.round(x)}, y ${Math.round(y)}`);
  }

  // Handles keep the same size on screen however large the portrait is drawn.
  resizeHandles() {
    const shown = this.svg.getBoundingClientRect().width;
    if (!shown) return;
    const radius = (HANDLE_RADIUS_CSS_PX * this.svg.viewBox.baseVal.width) / shown;
    for (const circle of this.circles) circle.setAttribute("r", radius);
  }

  // Show the face outline and a margin around it, or the whole portrait: on a phone the eyes are tiny otherwise.
  zoom(on) {
    let box = [0, 0, this.width, this.height];
    if (on) {
      const xs = this.handles.outline.map(([x]) => x);
      const ys = this.handles.outline.map(([, y]) => y);
      const marginX = (Math.max(...xs) - Math.min(...xs)) * ZOOM_MARGIN;
      const marginY = (Math.max(...ys) - Math.min(...ys)) * ZOOM_MARGIN;
      const left = Math.max(0, Math.min(...xs) - marginX);
      const top = Math.max(0, Math.min(...ys) - marginY);
      box = [left, top, Math.min(this.width, Math.max(...xs) + marginX) - left, Math.min(this.height, Math.max(...ys) + marginY) - top];
    }
    this.svg.setAttribute("viewBox", box.join(" "));
    this.zoomButton.setAttribute("aria-pressed", String(on));
    this.zoomButton.textContent = on ? "Whole portrait" : "Zoom to face";
    this.resizeHandles();
  }

  // A screen position in portrait pixels, through the SVG's viewBox transform.
  toPortrait(event) {
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(this.svg.getScreenCTM().inverse());
    return [point.x, point.y];
  }

  moveTo(circle, x, y) {
    const point = this.handles[circle.dataset.group][circle.dataset.index];
    point[0] = Math.round(clamp(x, 0, this.width) * 10) / 10;
    point[1] = Math.round(clamp(y, 0, this.height) * 10) / 10;
    this.place(circle);
    this.drawShape(circle.dataset.group);
    this.say("Unsaved changes.");
  }

  select(circle) {
    for (const other of this.circles) other.classList.toggle("selected", other === circle);
  }

  startDrag(event, circle) {
    event.preventDefault();
    circle.focus();
    circle.setPointerCapture(event.pointerId);
    const [x, y] = this.toPortrait(event);
    const [px, py] = this.handles[circle.dataset.group][circle.dataset.index];
    this.drag = { circle, pointerId: event.pointerId, offset: [px - x, py - y] }; // no jump to the pointer
    circle.classList.add("dragging");
  }

  moveDrag(event) {
    if (!this.drag || event.pointerId !== this.drag.pointerId) return;
    const [x, y] = this.toPortrait(event);
    this.moveTo(this.drag.circle, x + this.drag.offset[0], y + this.drag.offset[1]);
  }

  endDrag(event) {
    if (!this.drag || event.pointerId !== this.drag.pointerId) return;
    this.drag.circle.classList.remove("dragging");
    this.drag = null;
  }

  nudge(event, circle) {
    const direction = ARROWS[event.key];
    if (!direction) return;
    event.preventDefault();
    const step = event.shiftKey ? BIG_NUDGE_PX : NUDGE_PX;
    const [x, y] = this.handles[circle.dataset.group][circle.dataset.index];
    this.moveTo(circle, x + direction[0] * step, y + direction[1] * step);
  }

  say(text, isError = false) {
    this.message.textContent = text;
    this.message.classList.toggle("error", isError);
  }

  async send(method, url, body) {
    for (const button of this.buttons) button.disabled = true;
    this.say(method === "PUT" ? "Saving…" : "Detecting the face again…");
    try {
      const response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.root.dataset.csrf },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        this.say(data.detail ?? `The server refused the rig (HTTP ${response.status}).`, true);
        return;
      }
      this.show(data);
      this.say(method === "PUT" ? "Saved." : "Reset to the detected rig.");
    } catch {
      this.say("The server could not be reached; your points are still here, try again.", true);
    } finally {
      for (const button of this.buttons) button.disabled = false;
    }
  }
}

const root = document.querySelector(".rig-editor");
if (root) new RigEditor(root, JSON.parse(document.getElementById("rig-data").textContent));
