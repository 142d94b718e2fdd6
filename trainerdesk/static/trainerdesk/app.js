// Site-wide behaviour; page-specific scripts live next to their page.
document.addEventListener("htmx:responseError", (event) => {
  const box = document.getElementById("flash");
  if (box) box.textContent = `Request failed (${event.detail.xhr.status}). Reload the page and try again.`;
});
