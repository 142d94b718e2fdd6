// Comments on the annotation page and the item page: `c` focuses the comment box (unless
// a label uses that key, or the user is typing), Ctrl/Cmd+Enter posts, Escape hands the
// keyboard back to the annotation shortcuts.
(() => {
  "use strict";
  const typing = (el) => el && (el.isContentEditable || ["TEXTAREA", "INPUT", "SELECT"].includes(el.tagName));
  const keyTaken = (key) => document.querySelector(
    `[data-key="${key}"], [data-span-key="${key}"], [data-rel-key="${key}"]`);

  document.addEventListener("keydown", (event) => {
    const box = event.target.closest && event.target.closest("#thread textarea");
    if (box) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        box.form.requestSubmit();
      } else if (event.key === "Escape") {
        box.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key !== "c" || keyTaken("c")) return;
    const target = document.getElementById("comment-body");
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "nearest" });
  });
})();
