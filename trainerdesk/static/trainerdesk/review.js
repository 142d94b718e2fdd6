// Keyboard-first review: a accept, r reject (reason box), f fix (label keys pick),
// j/k or arrows move between the item's annotations, Enter moves on (or submits the open
// box), Esc closes a box. Without JavaScript the boxes stay open and the buttons post.
(() => {
  "use strict";
  const form = () => document.getElementById("review-form");
  const box = (id) => document.getElementById(id);
  const typing = (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text"));

  const setup = () => {
    // After a refused decision the server names the box to reopen (with what was typed).
    const reopen = document.getElementById("review-workspace")?.dataset.open;
    for (const id of ["reject-box", "fix-box"]) { const b = box(id); if (b) b.hidden = id !== reopen; }
  };
  document.addEventListener("DOMContentLoaded", setup);
  document.addEventListener("htmx:afterSwap", setup);

  const openBox = (id) => {
    for (const other of ["reject-box", "fix-box"]) { const b = box(other); if (b) b.hidden = other !== id; }
    const b = box(id);
    if (!b) return;
    if (id === "fix-box") fillFix();
    const first = id === "reject-box" ? b.querySelector("textarea")
      : b.querySelector("input:checked") || b.querySelector("input, textarea");
    if (first) first.focus();
  };
  const closeBoxes = () => { for (const id of ["reject-box", "fix-box"]) { const b = box(id); if (b) b.hidden = true; } };
  const openedBox = () => ["reject-box", "fix-box"].map(box).find((b) => b && !b.hidden);

  const cards = () => Array.from(document.querySelectorAll(".annotation-card"));
  const current = () => cards().findIndex((c) => c.querySelector("input[name=annotation]").checked);
  const select = (i) => {
    const all = cards();
    if (!all.length) return;
    const n = (i + all.length) % all.length;
    all.forEach((c, k) => c.classList.toggle("current", k === n));
    all[n].querySelector("input[name=annotation]").checked = true;
    all[n].scrollIntoView({ block: "nearest" });
    if (!box("fix-box")?.hidden) fillFix();
  };

  // The fix box starts from the selected annotation's answer.
  const fillFix = () => {
    const card = cards()[current()];
    const fix = box("fix-box");
    if (!card || !fix) return;
    let answer = {};
    try { answer = JSON.parse(card.dataset.answer || "{}"); } catch { answer = {}; }
    for (const fs of fix.querySelectorAll("fieldset[data-field]")) {
      const value = answer[fs.dataset.field];
      if (fs.dataset.type === "choice") {
        const picked = new Set(Array.isArray(value) ? value : value == null ? [] : [value]);
        for (const input of fs.querySelectorAll("input")) input.checked = picked.has(input.value);
      } else {
        const area = fs.querySelector("textarea");
        if (area) area.value = value == null ? "" : fs.dataset.type === "text" ? value : JSON.stringify(value);
      }
    }
  };

  // A real click, so htmx sends the button's decision value (it reads the clicked button).
  const submit = (buttonId) => { const b = box(buttonId); if (b) b.click(); };

  document.addEventListener("change", (event) => {
    if (event.target.name === "annotation") select(cards().findIndex((c) => c.contains(event.target)));
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("#reject-open")) openBox("reject-box");
    if (event.target.closest("#fix-open")) openBox("fix-box");
  });

  document.addEventListener("keydown", (event) => {
    if (!form() && event.key === "Enter") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const opened = openedBox();
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); closeBoxes(); return; }
      if (event.key === "Enter" && !event.shiftKey && opened) {
        event.preventDefault();
        submit(opened.id === "reject-box" ? "reject-btn" : "fix-btn");
      }
      return;
    }
    if (!form()) return;
    if (opened && opened.id === "fix-box") {
      const choice = opened.querySelector(`input[data-key="${CSS.escape(event.key)}"]`);
      if (choice) {
        event.preventDefault();
        choice.checked = choice.type === "checkbox" ? !choice.checked : true;
        return;
      }
      if (event.key === "Enter") { event.preventDefault(); submit("fix-btn"); return; }
    }
    if (event.key === "Escape") { closeBoxes(); return; }
    if (event.key === "a") { event.preventDefault(); submit("accept-btn"); return; }
    if (event.key === "r") { event.preventDefault(); openBox("reject-box"); return; }
    if (event.key === "f") { event.preventDefault(); openBox("fix-box"); return; }
    if (event.key === "j" || event.key === "ArrowRight") { event.preventDefault(); select(current() + 1); return; }
    if (event.key === "k" || event.key === "ArrowLeft") { event.preventDefault(); select(current() - 1); return; }
    if (event.key === "Enter" && !opened) {
      const next = document.getElementById("next-link");
      if (next) { event.preventDefault(); next.click(); }
    }
  });
})();
