// Site-wide behaviour; page-specific scripts live next to their page.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.getElementById("flash");
  if (box) box.textContent = `Request failed (${event.detail.xhr.status}). Reload the page and try again.`;
});

// A long block (the project page's guidelines) starts as a preview with a "Show all" button;
// a short one is shown whole and gets no button.
const collapse = () => {
  for (const box of document.querySelectorAll("[data-collapsible]")) {
    const button = document.querySelector(`button[aria-controls="${CSS.escape(box.id)}"]`);
    box.classList.add("collapsed");
    if (box.scrollHeight <= box.clientHeight + 8) {
      box.classList.remove("collapsed");
      continue;
    }
    if (!button) continue;
    button.hidden = false;
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", () => {
      const open = box.classList.toggle("collapsed") === false;
      button.setAttribute("aria-expanded", String(open));
      button.textContent = open ? "Show less" : "Show all guidelines";
    });
  }
};
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", collapse);
else collapse();
