// Image annotation on the annotation page: bounding boxes drawn over the item's image, zoom,
// and model suggestions for boxes and image classification. The server renders the image,
// the label buttons and each field's hidden JSON input; this script keeps the boxes (in
// percent of the image, as the API stores them) and writes them into that input, which the
// form posts through the ordinary submit path (the schema validates them there).
//
// Mouse: drag on the image draws a box with the current label, drag a box moves it, drag a
// corner handle resizes it, a click selects. Keys (when no text box has focus): a box label's
// key relabels the selected box and becomes the label for new boxes; Tab / Shift+Tab cycle
// boxes and suggestions; arrows move the selected box, Shift+arrows resize it (Alt for a
// finer step); x or Delete removes it (x only when no label uses it); Escape deselects;
// + / - zoom (also the wheel), 0 fits; Shift+A accepts the selected suggestion (or, with
// none selected, every suggestion). Every box change goes on the page's one undo stack
// (undo.js), so Ctrl+Z and the Undo button take back the latest change, whether it was a
// box or a label choice. Suggestions are dashed and are not
// part of the answer until accepted. Enter, Space, Backspace and ? stay with annotate.js.
(() => {
  "use strict";
  const MIN_SIZE = 0.5; // percent: a smaller drag is a click, not a box
  const STEP = 0.5; // percent per arrow key press
  const ZOOMS = [1, 1.25, 1.5, 2, 3, 4, 6, 8]; // times the size that fits the frame
  let st = null; // state of the current item's image

  const typing = (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text") || el.tagName === "SELECT");
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
  const round = (v) => Math.round(v * 1000) / 1000;
  const parse = (text, fallback) => {
    try { return text ? JSON.parse(text) : fallback; } catch { return fallback; }
  };
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const cleanBox = (b) => (b && isNum(b.x) && isNum(b.y) && isNum(b.width) && isNum(b.height)
    ? { x: b.x, y: b.y, width: b.width, height: b.height, label: b.label } : null);

  const setup = () => {
    const view = document.querySelector("#workspace .image-view");
    const input = document.querySelector("#workspace input.boxes-input");
    st = null;
    setupChoiceSuggestions();
    if (!view) return;
    const stage = view.querySelector(".image-stage");
    const img = view.querySelector("img.item-image");
    const box = input?.closest("fieldset.answer-field");
    st = {
      view, stage, img, input, box,
      boxes: input ? parse(input.value, []).map(cleanBox).filter(Boolean) : [],
      suggestions: [],
      sel: null, // {kind: "box" | "sugg", i}
      zoom: 0,
      label: null,
      colours: new Map(),
      els: [],
    };
    img.addEventListener("error", () => { view.querySelector(".image-error").hidden = false; });
    img.addEventListener("load", () => { showSize(); layout(); });
    if (img.complete && img.naturalWidth) showSize();
    if (input) {
      for (const b of box.querySelectorAll("[data-box-label]")) st.colours.set(b.dataset.boxLabel, b.dataset.colour);
      st.label = box.querySelector("[data-box-label]")?.dataset.boxLabel ?? null;
      for (const p of parse(input.dataset.suggestions, [])) {
        for (const b of Array.isArray(p.answer) ? p.answer : []) {
          const c = cleanBox(b);
          if (c) st.suggestions.push({ ...c, model: p.model_version || "a model", score: p.score });
        }
      }
      // Re-shown after a refused submit: a suggestion already accepted is not offered again.
      const same = (a, b) => ["x", "y", "width", "height"].every((k) => Math.abs(a[k] - b[k]) < 1e-3) && a.label === b.label;
      st.suggestions = st.suggestions.filter((s) => !st.boxes.some((b) => same(b, s)));
    }
    render();
  };

  // Size the server does not know (URL images): shown from the browser, for the annotator.
  const showSize = () => {
    const el = st?.view.querySelector(".image-size");
    if (el && !el.dataset.width && st.img.naturalWidth) el.textContent = `${st.img.naturalWidth}×${st.img.naturalHeight} px`;
  };

  const say = (message) => {
    const el = st?.box?.querySelector(".box-status");
    if (el) el.textContent = message;
  };

  const write = () => {
    if (!st.input) return;
    st.input.value = JSON.stringify(st.boxes.map((b) => ({
      x: round(b.x), y: round(b.y), width: round(b.width), height: round(b.height), label: b.label,
    })));
  };

  // Every change goes through here so that Ctrl+Z can take it back.
  // A selection alone is not a change, but undo restores the selection that went with it.
  const content = () => JSON.stringify([st.boxes, st.suggestions]);
  const snapshot = () => ({ content: content(), state: JSON.stringify({ boxes: st.boxes, suggestions: st.suggestions, sel: st.sel }) });
  const change = (fn, before = snapshot()) => {
    fn();
    if (content() !== before.content) record(before.state);
    write();
    render();
  };
  // undo.js empties its stack when a new item arrives; the check covers a late undo anyway.
  const record = (state) => {
    const item = st;
    window.TD?.undo.push(() => {
      if (st !== item) return;
      Object.assign(st, JSON.parse(state));
      write();
      render();
      say("Undone");
    });
  };

  const describe = (b) => `${b.label} at ${Math.round(b.x)}%, ${Math.round(b.y)}% (${Math.round(b.width)}×${Math.round(b.height)}%)`;

  const render = () => {
    if (!st) return;
    for (const el of st.els) el.remove();
    st.els = [];
    const list = st.box?.querySelector(".box-list");
    if (list) list.replaceChildren();
    const draw = (b, kind, i) => {
      const el = document.createElement("div");
      const selected = st.sel && st.sel.kind === kind && st.sel.i === i;
      el.className = `box ${st.colours.get(b.label) || "lab-7"}${kind === "sugg" ? " suggestion" : ""}${selected ? " sel" : ""}`;
      el.dataset.kind = kind;
      el.dataset.i = String(i);
      el.style.left = `${b.x}%`;
      el.style.top = `${b.y}%`;
      el.style.width = `${b.width}%`;
      el.style.height = `${b.height}%`;
      const tag = document.createElement("span");
      tag.className = b.y < 5 ? "box-tag inside" : "box-tag"; // above the box unless cut off
      tag.textContent = kind === "sugg" ? `suggested: ${b.label}` : b.label;
      el.append(tag);
      if (selected && kind === "box") {
        for (const corner of ["nw", "ne", "sw", "se"]) {
          const h = document.createElement("span");
          h.className = `handle ${corner}`;
          h.dataset.corner = corner;
          el.append(h);
        }
      }
      st.stage.append(el);
      st.els.push(el);
      if (list) {
        const li = document.createElement("li");
        li.dataset.kind = kind;
        li.dataset.i = String(i);
        if (selected) li.classList.add("sel");
        if (kind === "sugg") {
          li.classList.add("suggestion");
          const score = isNum(b.score) ? ` ${b.score.toFixed(2)}` : "";
          li.textContent = `Suggested by ${b.model}${score}: ${describe(b)} `;
          const accept = document.createElement("button");
          accept.type = "button";
          accept.className = "link box-accept";
          accept.textContent = "accept";
          li.append(accept);
        } else {
          li.textContent = `${describe(b)} `;
          const remove = document.createElement("button");
          remove.type = "button";
          remove.className = "link box-remove";
          remove.setAttribute("aria-label", `Remove ${b.label} box`);
          remove.textContent = "×";
          li.append(remove);
        }
        list.append(li);
      }
    };
    st.boxes.forEach((b, i) => draw(b, "box", i));
    st.suggestions.forEach((b, i) => draw(b, "sugg", i));
    for (const b of st.box?.querySelectorAll("[data-box-label]") || []) {
      b.classList.toggle("current", b.dataset.boxLabel === st.label);
    }
    layout();
  };

  // Zoom 1 ("Fit") shows the whole image: as wide as the frame, or less when the frame's
  // height is the limit. Boxes are in percent of the stage, so they follow. The label says
  // the real scale against the image's own pixels (a 64 px digit fitted to 600 px: 938%).
  const natural = () => {
    const size = st.view.querySelector(".image-size");
    const w = st.img.naturalWidth || Number(size?.dataset.width) || 0;
    const h = st.img.naturalHeight || Number(size?.dataset.height) || 0;
    return w && h ? { w, h } : null;
  };
  const layout = () => {
    if (!st) return;
    const z = ZOOMS[st.zoom];
    const scroller = st.view.querySelector(".image-scroll");
    const size = natural();
    const zl = st.view.querySelector(".image-zoom");
    if (!size || !scroller.clientWidth) {
      st.stage.style.width = `${z * 100}%`; // size unknown until the image loads
      if (zl) zl.textContent = "";
      return;
    }
    const maxHeight = parseFloat(getComputedStyle(scroller).maxHeight) || window.innerHeight * 0.72;
    const fit = Math.min(scroller.clientWidth, (maxHeight - 2) * (size.w / size.h));
    const width = Math.floor(fit * z);
    st.stage.style.width = `${width}px`;
    const scale = `${Math.round((width / size.w) * 100)}%`;
    // Blown up 4x or more (a digit), show the pixels as squares rather than a blur.
    st.img.classList.toggle("pixelated", width >= size.w * 4);
    if (zl) zl.textContent = st.zoom === 0 ? `Fit (${scale})` : scale;
  };
  window.addEventListener("resize", () => layout());

  const selected = () => {
    if (!st?.sel) return null;
    return (st.sel.kind === "box" ? st.boxes : st.suggestions)[st.sel.i] || null;
  };

  const accept = (i) => {
    change(() => {
      const indexes = i === null ? st.suggestions.map((_, k) => k) : [i];
      for (const k of indexes) {
        const { x, y, width, height, label } = st.suggestions[k];
        if (!st.colours.has(label)) continue; // a label this schema does not have
        st.boxes.push({ x, y, width, height, label });
      }
      const taken = new Set(indexes.filter((k) => st.colours.has(st.suggestions[k].label)));
      st.suggestions = st.suggestions.filter((_, k) => !taken.has(k));
      st.sel = taken.size === 1 ? { kind: "box", i: st.boxes.length - 1 } : null;
      say(taken.size ? `Accepted ${taken.size} suggestion${taken.size > 1 ? "s" : ""}` : "No suggestion has a label of this project");
    });
  };

  const remove = (kind, i) => {
    change(() => {
      (kind === "box" ? st.boxes : st.suggestions).splice(i, 1);
      st.sel = null;
      say(kind === "box" ? "Box removed" : "Suggestion dismissed");
    });
  };

  const setZoom = (level) => {
    if (!st) return;
    const scroller = st.view.querySelector(".image-scroll");
    const old = ZOOMS[st.zoom];
    st.zoom = clamp(level, 0, ZOOMS.length - 1);
    const ratio = ZOOMS[st.zoom] / old;
    const cx = scroller.scrollLeft + scroller.clientWidth / 2;
    const cy = scroller.scrollTop + scroller.clientHeight / 2;
    render();
    scroller.scrollLeft = cx * ratio - scroller.clientWidth / 2;
    scroller.scrollTop = cy * ratio - scroller.clientHeight / 2;
  };

  // --- mouse ------------------------------------------------------------------------------

  const point = (event) => {
    const r = st.img.getBoundingClientRect();
    return {
      x: clamp(((event.clientX - r.left) / r.width) * 100, 0, 100),
      y: clamp(((event.clientY - r.top) / r.height) * 100, 0, 100),
    };
  };
  let drag = null;

  document.addEventListener("pointerdown", (event) => {
    if (!st || event.button !== 0 || !st.stage.contains(event.target)) return;
    event.preventDefault();
    const p = point(event);
    const el = event.target.closest(".box");
    const before = snapshot();
    if (el) {
      const kind = el.dataset.kind;
      const i = Number(el.dataset.i);
      st.sel = { kind, i };
      if (kind === "sugg") { render(); say("A suggestion: Shift+A or its accept button adds it"); return; }
      const b = st.boxes[i];
      drag = { mode: event.target.dataset.corner ? "resize" : "move", corner: event.target.dataset.corner, start: p, orig: { ...b }, before };
      if (st.label !== b.label) st.label = b.label;
    } else if (st.input) {
      if (!st.label) { say("This field has no labels"); return; }
      st.boxes.push({ x: p.x, y: p.y, width: 0, height: 0, label: st.label });
      st.sel = { kind: "box", i: st.boxes.length - 1 };
      drag = { mode: "draw", start: p, before };
    }
    render();
    st.stage.setPointerCapture?.(event.pointerId);
  });

  document.addEventListener("pointermove", (event) => {
    if (!drag || !st) return;
    const p = point(event);
    const b = st.boxes[st.sel.i];
    if (drag.mode === "draw") {
      b.x = Math.min(drag.start.x, p.x);
      b.y = Math.min(drag.start.y, p.y);
      b.width = Math.abs(p.x - drag.start.x);
      b.height = Math.abs(p.y - drag.start.y);
    } else if (drag.mode === "move") {
      const o = drag.orig;
      b.x = clamp(o.x + p.x - drag.start.x, 0, 100 - o.width);
      b.y = clamp(o.y + p.y - drag.start.y, 0, 100 - o.height);
    } else {
      // Resize: the corner opposite the handle stays put.
      const o = drag.orig;
      const fx = drag.corner.includes("w") ? o.x + o.width : o.x;
      const fy = drag.corner.includes("n") ? o.y + o.height : o.y;
      b.x = Math.min(fx, p.x);
      b.y = Math.min(fy, p.y);
      b.width = Math.abs(p.x - fx);
      b.height = Math.abs(p.y - fy);
    }
    const el = st.els.find((e) => e.dataset.kind === "box" && Number(e.dataset.i) === st.sel.i);
    if (el) {
      el.style.left = `${b.x}%`; el.style.top = `${b.y}%`;
      el.style.width = `${b.width}%`; el.style.height = `${b.height}%`;
    }
  });

  document.addEventListener("pointerup", () => {
    if (!drag || !st) return;
    const d = drag;
    drag = null;
    const b = st.boxes[st.sel.i];
    if (b.width < MIN_SIZE || b.height < MIN_SIZE) {
      if (d.mode === "draw") {
        st.boxes.pop();
        st.sel = null;
      } else {
        Object.assign(b, d.orig); // too small: keep the box as it was
      }
    }
    change(() => {
      if (d.mode === "draw" && st.sel) say(`Drew ${describe(b)}`);
    }, d.before);
  });

  document.addEventListener("wheel", (event) => {
    if (!st || !st.view.querySelector(".image-scroll").contains(event.target)) return;
    event.preventDefault();
    setZoom(st.zoom + (event.deltaY < 0 ? 1 : -1));
  }, { passive: false });

  document.addEventListener("click", (event) => {
    if (!st) return;
    const zoom = event.target.closest(".image-zoom-btn");
    if (zoom) {
      const z = zoom.dataset.zoom;
      setZoom(z === "reset" ? 0 : st.zoom + (z === "in" ? 1 : -1));
      return;
    }
    const labelButton = event.target.closest("[data-box-label]");
    if (labelButton) { applyLabel(labelButton.dataset.boxLabel); return; }
    const li = event.target.closest(".box-list li");
    if (!li) return;
    const i = Number(li.dataset.i);
    if (event.target.closest(".box-accept")) accept(i);
    else if (event.target.closest(".box-remove")) remove("box", i);
    else { st.sel = { kind: li.dataset.kind, i }; render(); }
  });

  const applyLabel = (label) => {
    const b = st.sel?.kind === "box" ? st.boxes[st.sel.i] : null;
    change(() => {
      st.label = label;
      if (b) { b.label = label; say(`Relabelled: ${describe(b)}`); } else say(`New boxes: ${label}`);
    });
  };

  // --- keyboard ---------------------------------------------------------------------------

  const cycle = (back) => {
    const all = [...st.boxes.map((_, i) => ({ kind: "box", i })), ...st.suggestions.map((_, i) => ({ kind: "sugg", i }))];
    if (!all.length) { say("No boxes yet: drag on the image to draw one"); return; }
    const at = st.sel ? all.findIndex((s) => s.kind === st.sel.kind && s.i === st.sel.i) : -1;
    st.sel = all[(at + (back ? -1 : 1) + all.length + (at < 0 && back ? 1 : 0)) % all.length];
    render();
    const b = selected();
    say(st.sel.kind === "sugg" ? `Suggestion: ${describe(b)} (Shift+A accepts)` : describe(b));
  };

  const nudge = (key, resize, step) => {
    const b = st.sel?.kind === "box" ? st.boxes[st.sel.i] : null;
    if (!b) return false;
    const dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
    const dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
    change(() => {
      if (resize) {
        b.width = clamp(b.width + dx, MIN_SIZE, 100 - b.x);
        b.height = clamp(b.height + dy, MIN_SIZE, 100 - b.y);
      } else {
        b.x = clamp(b.x + dx, 0, 100 - b.width);
        b.y = clamp(b.y + dy, 0, 100 - b.height);
      }
      say(describe(b));
    });
    return true;
  };

  // Capture phase on window: runs before annotate.js and the other page scripts, so a key
  // this script handles is not also read as something else.
  window.addEventListener("keydown", (event) => {
    if (!st || typing(event.target) || !document.getElementById("annotate-form")) return;
    const handled = () => { event.preventDefault(); event.stopImmediatePropagation(); };
    if (event.ctrlKey || event.metaKey) return; // Ctrl+Z is undo.js's
    if (event.key === "+" || event.key === "=") { handled(); setZoom(st.zoom + 1); return; }
    if (event.key === "-" || event.key === "_") { handled(); setZoom(st.zoom - 1); return; }
    // "0" fits unless a label owns it (the digit 0 of a digits project): then the Fit button.
    if (event.key === "0" && !document.querySelector('#annotate-form input[data-key="0"]')) {
      handled(); setZoom(0); return;
    }
    if (!st.input) return; // classification only: the keys below are for boxes
    if (event.key === "A" && event.shiftKey) {
      handled();
      if (!st.suggestions.length) say("No suggestions left");
      else accept(st.sel?.kind === "sugg" ? st.sel.i : null);
      return;
    }
    if (event.key === "Tab") { handled(); cycle(event.shiftKey); return; }
    if (event.key === "Escape" && st.sel) { handled(); st.sel = null; render(); return; }
    if (event.key.startsWith("Arrow")) {
      if (nudge(event.key, event.shiftKey, event.altKey ? STEP / 5 : STEP)) handled();
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : null;
    const button = key && !event.altKey && st.box.querySelector(`[data-box-key="${CSS.escape(key)}"]`);
    if (button) { handled(); applyLabel(button.dataset.boxLabel); return; }
    const xIsFree = key === "x" && !document.querySelector('input[data-key="x"], [data-box-key="x"]');
    if ((event.key === "Delete" || xIsFree) && st.sel) {
      handled();
      remove(st.sel.kind, st.sel.i);
    }
  }, true);

  // --- image classification suggestions ---------------------------------------------------

  const setupChoiceSuggestions = () => {
    for (const note of document.querySelectorAll("#workspace [data-choice-suggestions]")) {
      const preds = parse(note.dataset.suggestions, []);
      const first = preds[0];
      if (!first) continue;
      const values = Array.isArray(first.answer) ? first.answer : [first.answer];
      note.dataset.values = JSON.stringify(values);
      const score = isNum(first.score) ? ` (${first.score.toFixed(2)})` : "";
      note.dataset.offer = `Suggested by ${first.model_version || "a model"}${score}: ${values.join(", ")} — Shift+A accepts it, or choose yourself.`;
      describeChoice(note);
    }
  };

  // The note says whether the choice now matches the suggestion, so it stays true after an
  // undo too.
  const describeChoice = (note) => {
    const values = parse(note.dataset.values, []);
    const box = note.closest("fieldset.answer-field");
    const now = [...box.querySelectorAll("input:checked")].map((i) => i.value);
    const same = now.length === values.length && values.every((v) => now.includes(v));
    note.textContent = same ? `Chosen as suggested: ${values.join(", ")}.` : note.dataset.offer;
  };
  document.addEventListener("change", (event) => {
    const note = event.target.closest?.("fieldset.answer-field")?.querySelector("[data-choice-suggestions][data-values]");
    if (note) describeChoice(note);
  });

  // Shift+A on a classification-only image item (no boxes field): tick the suggestion, as
  // one change per field that undo.js records (and Ctrl+Z takes back).
  window.addEventListener("keydown", (event) => {
    if (event.key !== "A" || !event.shiftKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (st?.input) return; // the boxes handler above owns the key
    const notes = document.querySelectorAll("#workspace [data-choice-suggestions][data-values]");
    if (!notes.length) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    for (const note of notes) {
      const box = note.closest("fieldset.answer-field");
      const values = parse(note.dataset.values, []);
      const inputs = [...box.querySelectorAll("input[type=radio], input[type=checkbox]")];
      for (const input of inputs) {
        if (values.includes(input.value)) input.checked = true;
      }
      inputs[0]?.dispatchEvent(new Event("change", { bubbles: true })); // the note follows
    }
  }, true);

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "workspace" && event.target.id !== "workspace") return;
    setup();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
