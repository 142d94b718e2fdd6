// Keyboard-first annotation: label hotkeys and 1-9 choose, Enter submits, Space skips,
// Backspace goes back, ? toggles the guidelines. Also measures active time on the item.
(() => {
  "use strict";
  const IDLE_AFTER_MS = 60_000; // no key or mouse for a minute: the annotator is away
  let activeMs = 0;
  let lastTick = Date.now();
  let lastInput = Date.now();

  const form = () => document.getElementById("annotate-form");
  const typing = (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text") || el.tagName === "SELECT");

  // Active time: counts only while the tab is visible and the user did something recently.
  setInterval(() => {
    const now = Date.now();
    if (document.visibilityState === "visible" && now - lastInput < IDLE_AFTER_MS) activeMs += now - lastTick;
    lastTick = now;
    const input = form()?.querySelector("input[name=lead_time]");
    if (input) input.value = (activeMs / 1000).toFixed(1);
  }, 500);
  for (const type of ["keydown", "mousemove", "mousedown", "wheel", "touchstart"]) {
    document.addEventListener(type, () => { lastInput = Date.now(); }, { passive: true });
  }

  const submitWith = (action) => {
    const f = form();
    if (!f) return;
    const button = f.querySelector(action === "skip" ? "#skip-btn" : "#submit-btn");
    const input = f.querySelector("input[name=lead_time]");
    if (input) input.value = (activeMs / 1000).toFixed(1);
    f.requestSubmit(button);
  };

  const toggleGuidelines = () => {
    const box = document.getElementById("guidelines");
    const toggle = document.getElementById("guidelines-toggle");
    if (!box) return;
    box.hidden = !box.hidden;
    toggle?.setAttribute("aria-expanded", String(!box.hidden));
  };

  document.addEventListener("click", (event) => {
    if (event.target.closest("#guidelines-toggle")) toggleGuidelines();
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      // Only the answer's own text boxes submit on Enter (not, e.g., the comment box).
      if (event.key === "Enter" && event.target.tagName === "TEXTAREA" && !event.shiftKey && event.target.closest("#annotate-form")) {
        event.preventDefault();
        submitWith("submit");
      }
      return;
    }
    if (event.key === "?") { event.preventDefault(); toggleGuidelines(); return; }
    const f = form();
    if (event.key === "Backspace") {
      const back = document.querySelector("#back-link, .done a[href*='back']");
      if (back) { event.preventDefault(); back.click(); }
      return;
    }
    if (!f) return;
    if (event.key === "Enter") { event.preventDefault(); submitWith("submit"); return; }
    if (event.key === " ") { event.preventDefault(); submitWith("skip"); return; }
    const key = event.key.length === 1 ? event.key.toLowerCase() : null;
    const input = key && f.querySelector(`input[data-key="${CSS.escape(key)}"]`);
    if (input) {
      event.preventDefault();
      input.checked = input.type === "checkbox" ? !input.checked : true;
      input.dispatchEvent(new Event("change", { bubbles: true })); // undo.js records it
      input.focus({ preventScroll: true });
    }
  });

  // A new item arrived: restart the clock and make sure the page has keyboard focus.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "workspace" && event.target.id !== "workspace") return;
    activeMs = 0;
    lastTick = Date.now();
    lastInput = Date.now();
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
    window.scrollTo({ top: 0 });
  });
})();
