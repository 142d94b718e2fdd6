// Undo and suggestions on the annotation page, shared by every interface.
//
// Undo: each change before submit pushes a function that reverts it; Ctrl+Z (or the Undo
// button) runs the latest. Radio buttons and checkboxes (choice labels, preference,
// strength, ratings) are recorded here from their change events, so annotate.js and llm.js
// only have to fire "change" when a key sets one; spans.js and llm.js (ranking) push their
// own. Text boxes keep the browser's own undo: Ctrl+Z inside one is left to it.
//
// Suggestions: the server marks a model prediction's choices with data-suggested (never
// checked); 0 accepts them all in one undoable step. Interfaces with their own state
// (spans, relations, ranking) register an accepter with TD.undo.onAccept.
(() => {
  "use strict";
  let stack = [];
  let restoring = false;
  let undoing = false; // only while an undo runs (restoring is also set while accepting)
  let groups = new Map(); // input name -> checked values, as last seen
  const accepters = [];

  const form = () => document.getElementById("annotate-form");
  const typing = (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text") || el.tagName === "SELECT");
  const toggles = () => [...(form()?.querySelectorAll("input[type=radio], input[type=checkbox]") || [])];
  const refresh = () => {
    const button = document.getElementById("undo-btn");
    if (button) button.disabled = !stack.length;
  };

  const push = (undo) => {
    if (restoring || typeof undo !== "function") return;
    stack.push(undo);
    if (stack.length > 1000) stack.shift();
    refresh();
  };

  const run = () => {
    const undo = stack.pop();
    if (undo) {
      restoring = undoing = true;
      try {
        undo();
      } finally {
        restoring = undoing = false;
      }
    }
    refresh();
  };

  const snapshotGroups = () => {
    groups = new Map();
    for (const input of toggles()) {
      if (!groups.has(input.name)) groups.set(input.name, []);
      if (input.checked) groups.get(input.name).push(input.value);
    }
  };

  // Put a group of toggles back as `values` and let the interface scripts re-read it.
  const setGroup = (name, values) => {
    const inputs = toggles().filter((i) => i.name === name);
    for (const input of inputs) input.checked = values.includes(input.value);
    groups.set(name, [...values]);
    inputs[0]?.dispatchEvent(new Event("change", { bubbles: true }));
  };

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.closest?.("#annotate-form") || !["radio", "checkbox"].includes(input.type)) return;
    const before = groups.get(input.name) || [];
    const now = toggles().filter((i) => i.name === input.name && i.checked).map((i) => i.value);
    groups.set(input.name, now);
    if (before.length === now.length && before.every((v, i) => v === now[i])) return;
    push(() => setGroup(input.name, before));
  });

  // Accept every suggestion on the page as one step.
  const acceptAll = () => {
    const undos = [];
    const names = new Set(toggles().filter((i) => i.dataset.suggested !== undefined).map((i) => i.name));
    for (const name of names) {
      const before = groups.get(name) || [];
      const wanted = toggles().filter((i) => i.name === name && i.dataset.suggested !== undefined).map((i) => i.value);
      const same = before.length === wanted.length && before.every((v) => wanted.includes(v));
      if (same) continue;
      restoring = true; // recorded below as part of this one step
      try {
        setGroup(name, wanted);
      } finally {
        restoring = false;
      }
      undos.push(() => setGroup(name, before));
    }
    for (const box of form()?.querySelectorAll("[data-suggested-for]") || []) {
      const area = form().querySelector(`textarea[name="${CSS.escape(box.dataset.suggestedFor)}"]`);
      if (!area || area.value === box.textContent) continue;
      const before = area.value;
      area.value = box.textContent;
      undos.push(() => { area.value = before; });
    }
    for (const accept of accepters) {
      const undo = accept();
      if (typeof undo === "function") undos.push(undo);
    }
    if (undos.length) push(() => { for (const undo of undos.reverse()) undo(); });
    return undos.length;
  };

  window.TD = Object.assign(window.TD || {}, {
    undo: {
      push,
      onAccept: (fn) => accepters.push(fn),
      get restoring() { return restoring; },
      get undoing() { return undoing; },
    },
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("#undo-btn")) run();
  });

  document.addEventListener("keydown", (event) => {
    if (typing(event.target) || !form()) return;
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === "z") {
      event.preventDefault();
      run();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // "0" accepts unless a label owns that key (digit 0 of a digits project); Shift+A always.
    const zeroIsLabel = form().querySelector('input[data-key="0"]');
    if ((event.key === "0" && !zeroIsLabel) || (event.key === "A" && event.shiftKey)) {
      event.preventDefault();
      acceptAll();
    }
  });

  const reset = () => {
    stack = [];
    snapshotGroups();
    refresh();
  };
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id === "workspace" || event.target.id === "workspace") reset();
  });
  document.addEventListener("DOMContentLoaded", reset);
})();
