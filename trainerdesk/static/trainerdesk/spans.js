// Span (NER) annotation on the annotation page, in the manner of Prodigy's ner.manual.
// The server renders the text once as <span class="tok"> elements with their character
// offsets; this script only keeps the list of spans, toggles classes on the tokens a change
// touches and writes the spans as JSON into the field's hidden input, which the form posts.
//
// Keys (when no text box has focus): ←/→ move the token cursor, Shift+←/→ extend the
// selection, Escape collapses it, a label's hotkey labels the selection, x or Delete removes
// the span under the cursor (x only when no label uses it), [ and ] pick the span under the
// cursor as a relation's start and end and a relation label's key adds the relation. Relations
// hold span objects and are written as indexes into the sorted spans, as the API expects.
// Mouse: drag over tokens to
// select (a click selects one token), click a labelled token to remove its span (its tokens
// stay selected, so a label key relabels it). Enter, Space, Backspace and ? stay with
// annotate.js.
//
// Undo (undo.js): every change pushes a snapshot of the spans and relations. Suggested
// spans (a model's prediction, in the input's data-suggested) are outlined on the tokens and
// never part of the answer: ' selects the next one (a click selects the one under it), so
// its label key accepts it; 0 accepts every suggestion with its relations.
(() => {
  "use strict";
  const COLOURS = ["lab-0", "lab-1", "lab-2", "lab-3", "lab-4", "lab-5", "lab-6", "lab-7"];
  const SPAN_CLASSES = ["in", "multi", "span-start", ...COLOURS];
  let fields = new Map(); // field name -> state
  let active = null; // the field arrows and x act on
  let drag = null;

  const typing = (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text") || el.tagName === "SELECT");
  const nums = (s) => (s ? s.split(" ").map(Number) : []);
  const clamp = (v, n) => Math.max(0, Math.min(n - 1, v));

  // First index whose value is > x (right) or >= x (left); arrays are sorted ascending.
  const bisect = (arr, x, right) => {
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (right ? arr[mid] > x : arr[mid] >= x) hi = mid; else lo = mid + 1;
    }
    return lo;
  };

  // The first and last token a span touches, or null when it touches none.
  const range = (st, span) => {
    const lo = bisect(st.ends, span.start, true);
    const hi = bisect(st.starts, span.end, false) - 1;
    return lo <= hi ? [lo, hi] : null;
  };

  const byOffsets = (a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

  const tokenText = (st, span) => {
    const r = range(st, span);
    if (!r) return `${span.start}..${span.end}`;
    const words = [];
    for (let i = r[0]; i <= r[1] && words.length < 12; i++) words.push(st.toks[i].textContent);
    return words.join(" ") + (r[1] - r[0] >= 12 ? " …" : "");
  };

  // Recompute span classes on tokens lo..hi from the spans that cover them.
  const paint = (st, lo, hi) => {
    lo = Math.max(0, lo);
    hi = Math.min(st.toks.length - 1, hi);
    if (hi < lo) return;
    const cover = new Array(hi - lo + 1);
    const tags = new Map();
    const firsts = new Set();
    for (const span of st.spans) {
      const r = range(st, span);
      if (!r || r[1] < lo || r[0] > hi) continue;
      for (let i = Math.max(lo, r[0]); i <= Math.min(hi, r[1]); i++) (cover[i - lo] ||= []).push(span.label);
      if (r[1] <= hi) tags.set(r[1], [...(tags.get(r[1]) || []), span.label]);
      if (r[0] >= lo) firsts.add(r[0]);
    }
    for (let i = lo; i <= hi; i++) {
      const tok = st.toks[i];
      const labels = cover[i - lo];
      if (tok.classList.contains("in")) tok.classList.remove(...SPAN_CLASSES);
      if (labels) {
        tok.classList.add("in", st.colours.get(labels[labels.length - 1]) || COLOURS[0]);
        if (labels.length > 1) tok.classList.add("multi");
        if (firsts.has(i)) tok.classList.add("span-start");
      }
      if (tags.has(i)) tok.dataset.tag = tags.get(i).join(" / ");
      else if (tok.dataset.tag) delete tok.dataset.tag;
    }
  };

  const select = (st, anchor, cursor, scroll) => {
    const n = st.toks.length;
    if (!n) return;
    for (let i = st.selLo; i <= st.selHi; i++) st.toks[i].classList.remove("sel");
    st.toks[st.cursor]?.classList.remove("cur");
    st.anchor = clamp(anchor, n);
    st.cursor = clamp(cursor, n);
    st.selLo = Math.min(st.anchor, st.cursor);
    st.selHi = Math.max(st.anchor, st.cursor);
    for (let i = st.selLo; i <= st.selHi; i++) st.toks[i].classList.add("sel");
    st.toks[st.cursor].classList.add("cur");
    if (scroll) st.toks[st.cursor].scrollIntoView({ block: "nearest" });
  };

  const say = (st, message) => {
    if (st.status) st.status.textContent = message;
  };

  const listItem = (st, span) => {
    const li = document.createElement("li");
    const tag = document.createElement("span");
    tag.className = `span-tag ${st.colours.get(span.label) || COLOURS[0]}`;
    tag.textContent = span.label;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link span-remove";
    remove.setAttribute("aria-label", `Remove ${span.label} span`);
    remove.textContent = "×";
    li.append(tag, ` ${tokenText(st, span)} `, remove);
    st.items.set(span, li);
    st.spanOf.set(li, span);
    return li;
  };

  const renderList = (st) => {
    if (!st.list) return;
    const fragment = document.createDocumentFragment();
    for (const span of st.spans) fragment.append(listItem(st, span));
    st.list.replaceChildren(fragment);
  };

  // Spans were added or removed within tokens lo..hi: store them, repaint that stretch and
  // patch the list (one element per change, so 200+ spans cost nothing extra).
  const commit = (st, lo, hi, added, removed) => {
    st.spans.sort(byOffsets);
    st.input.value = JSON.stringify(st.spans.map(({ start, end, label }) => ({ start, end, label })));
    paint(st, lo, hi);
    if (removed.length) dropRelations(st, removed);
    for (const r of st.relFields) syncRelations(r);
    if (!st.list) return;
    for (const span of removed) {
      st.items.get(span)?.remove();
      st.items.delete(span);
    }
    for (const span of added) {
      const next = st.spans[st.spans.indexOf(span) + 1];
      st.list.insertBefore(listItem(st, span), (next && st.items.get(next)) || null);
    }
  };

  // --- relations ----------------------------------------------------------------------

  const relSay = (st, message) => {
    for (const r of st.relFields) if (r.status) r.status.textContent = message;
  };

  const syncRelations = (r) => {
    const index = new Map(r.st.spans.map((span, i) => [span, i]));
    r.input.value = JSON.stringify(r.rels.map((rel) => ({ from: index.get(rel.from), to: index.get(rel.to), label: rel.label })));
  };

  const renderRelations = (r) => {
    if (!r.list) return;
    const fragment = document.createDocumentFragment();
    r.rels.forEach((rel, i) => {
      const li = document.createElement("li");
      const tag = document.createElement("span");
      tag.className = `span-tag ${r.colours.get(rel.label) || COLOURS[0]}`;
      tag.textContent = rel.label;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link rel-remove";
      remove.dataset.index = String(i);
      remove.setAttribute("aria-label", `Remove ${rel.label} relation`);
      remove.textContent = "×";
      li.append(`“${tokenText(r.st, rel.from)}” `, tag, ` “${tokenText(r.st, rel.to)}” `, remove);
      fragment.append(li);
    });
    r.list.replaceChildren(fragment);
  };

  // Mark the picked start (rel-from) and end (rel-to) spans on the tokens.
  const markEnds = (st) => {
    for (const [cls, key] of [["rel-from", "relFrom"], ["rel-to", "relTo"]]) {
      for (const tok of st.box.querySelectorAll(`.${cls}`)) tok.classList.remove(cls);
      const r = st[key] && range(st, st[key]);
      if (r) for (let i = r[0]; i <= r[1]; i++) st.toks[i].classList.add(cls);
    }
  };

  const dropRelations = (st, removed) => {
    for (const r of st.relFields) {
      const kept = r.rels.filter((rel) => !removed.includes(rel.from) && !removed.includes(rel.to));
      if (kept.length !== r.rels.length) {
        r.rels = kept;
        renderRelations(r);
      }
    }
    if (removed.includes(st.relFrom)) st.relFrom = null;
    if (removed.includes(st.relTo)) st.relTo = null;
    markEnds(st);
  };

  const pickEnd = (st, key) => {
    const index = spanAt(st, st.cursor);
    if (index < 0) {
      relSay(st, "No span under the cursor to relate");
      return;
    }
    st[key] = st.spans[index];
    markEnds(st);
    const from = st.relFrom ? `“${tokenText(st, st.relFrom)}”` : "[ ?";
    const to = st.relTo ? `“${tokenText(st, st.relTo)}”` : "] ?";
    relSay(st, `${from} → ${to}`);
  };

  const relate = (r, value) => {
    const st = r.st;
    if (!st.relFrom || !st.relTo) {
      relSay(st, "Pick the start span with [ and the end span with ] first");
      return;
    }
    if (st.relFrom === st.relTo) {
      relSay(st, "A relation needs two different spans");
      return;
    }
    const rel = { from: st.relFrom, to: st.relTo, label: value };
    const text = `“${tokenText(st, rel.from)}” ${value} “${tokenText(st, rel.to)}”`;
    if (r.rels.some((x) => x.from === rel.from && x.to === rel.to && x.label === value)) {
      relSay(st, `Already there: ${text}`);
      return;
    }
    record(st);
    r.rels.push(rel);
    st.relFrom = null;
    st.relTo = null;
    markEnds(st);
    renderRelations(r);
    syncRelations(r);
    relSay(st, `Related ${text}`);
  };

  const removeRelation = (r, index) => {
    record(r.st);
    const [rel] = r.rels.splice(index, 1);
    renderRelations(r);
    syncRelations(r);
    if (rel) relSay(r.st, `Removed ${rel.label} relation`);
  };

  const relationsOf = (el) => {
    const input = el.closest("fieldset")?.querySelector("input.relations-input");
    const st = input && fields.get(input.dataset.spansField);
    return st ? st.relFields.find((r) => r.input === input) : null;
  };

  const setupRelations = () => {
    for (const input of document.querySelectorAll("input.relations-input")) {
      const st = fields.get(input.dataset.spansField);
      if (!st) continue;
      const panel = input.closest("fieldset");
      const colours = new Map();
      for (const button of panel.querySelectorAll("[data-rel-label]")) colours.set(button.dataset.relLabel, button.dataset.colour);
      let stored = [];
      try {
        stored = JSON.parse(input.value || "[]");
      } catch {
        stored = [];
      }
      const rels = (Array.isArray(stored) ? stored : [])
        .filter((x) => x && st.spans[x.from] && st.spans[x.to])
        .map((x) => ({ from: st.spans[x.from], to: st.spans[x.to], label: x.label }));
      const suggested = parseList(input.dataset.suggested);
      const r = { st, input, colours, rels, suggested, list: panel.querySelector(".rel-list"), status: panel.querySelector(".rel-status") };
      st.relFields.push(r);
      renderRelations(r);
    }
  };

  // Everything a change can touch, and a function that puts it back.
  const snapshot = (st) => {
    const spans = st.spans.slice();
    const rels = st.relFields.map((r) => r.rels.slice());
    return () => {
      st.spans = spans.slice();
      st.input.value = JSON.stringify(st.spans.map(({ start, end, label: value }) => ({ start, end, label: value })));
      paint(st, 0, st.toks.length - 1);
      renderList(st);
      st.relFields.forEach((r, i) => {
        r.rels = rels[i].slice();
        renderRelations(r);
        syncRelations(r);
      });
      if (!st.spans.includes(st.relFrom)) st.relFrom = null;
      if (!st.spans.includes(st.relTo)) st.relTo = null;
      markEnds(st);
      say(st, "Undone");
    };
  };
  const record = (st) => window.TD?.undo.push(snapshot(st));

  const same = (a, b) => a.start === b.start && a.end === b.end && a.label === b.label;

  // The suggestion under token i, or else the next one after it (wrapping round).
  const suggestionFrom = (st, i, onlyUnder) => {
    let next = null;
    for (const sug of st.suggested) {
      const r = range(st, sug);
      if (!r) continue;
      if (r[0] <= i && i <= r[1]) return sug;
      if (r[0] > i && !next) next = sug;
    }
    return onlyUnder ? null : next || st.suggested.find((sug) => range(st, sug)) || null;
  };

  const selectSuggestion = (st, sug) => {
    const r = sug && range(st, sug);
    if (!r) return;
    select(st, r[0], r[1], true);
    const key = document.querySelector(`[data-span-label="${CSS.escape(sug.label)}"]`)?.dataset.spanKey;
    say(st, `Suggested ${sug.label} “${tokenText(st, sug)}”` + (key ? ` — press ${key} to accept it` : ""));
  };

  const acceptSuggestions = (st) => {
    if (!st.suggested.length && !st.relFields.some((r) => r.suggested.length)) return null;
    const undo = snapshot(st);
    let added = 0;
    for (const sug of st.suggested) {
      if (st.spans.some((s) => same(s, sug))) continue;
      if (!st.overlap && st.spans.some((s) => s.start < sug.end && sug.start < s.end)) continue;
      st.spans.push({ start: sug.start, end: sug.end, label: sug.label });
      added++;
    }
    st.spans.sort(byOffsets);
    for (const r of st.relFields) {
      for (const rel of r.suggested) {
        const from = st.spans.find((s) => st.suggested[rel.from] && same(s, st.suggested[rel.from]));
        const to = st.spans.find((s) => st.suggested[rel.to] && same(s, st.suggested[rel.to]));
        if (!from || !to || r.rels.some((x) => x.from === from && x.to === to && x.label === rel.label)) continue;
        r.rels.push({ from, to, label: rel.label });
        added++;
      }
    }
    if (!added) return null;
    st.input.value = JSON.stringify(st.spans.map(({ start, end, label: value }) => ({ start, end, label: value })));
    paint(st, 0, st.toks.length - 1);
    renderList(st);
    for (const r of st.relFields) {
      renderRelations(r);
      syncRelations(r);
    }
    say(st, `Accepted ${added} suggestion${added === 1 ? "" : "s"}`);
    return undo;
  };

  const parseList = (raw) => {
    try {
      const value = JSON.parse(raw || "[]");
      return Array.isArray(value) ? value.filter((x) => x && typeof x === "object") : [];
    } catch {
      return [];
    }
  };

  const removeSpan = (st, index) => {
    record(st);
    const [span] = st.spans.splice(index, 1);
    const r = range(st, span);
    commit(st, r ? r[0] : 0, r ? r[1] : -1, [], [span]);
    if (r) select(st, r[0], r[1], false);
    say(st, `Removed ${span.label} “${tokenText(st, span)}”`);
  };

  // The span under token i to remove: the shortest one covering it.
  const spanAt = (st, i) => {
    let best = -1;
    st.spans.forEach((span, index) => {
      const r = range(st, span);
      if (r && r[0] <= i && i <= r[1] && (best < 0 || span.end - span.start < st.spans[best].end - st.spans[best].start)) best = index;
    });
    return best;
  };

  const label = (st, value) => {
    if (!st.toks.length) return;
    const start = st.starts[st.selLo];
    const end = st.ends[st.selHi];
    let lo = st.selLo;
    let hi = st.selHi;
    const span = { start, end, label: value };
    if (st.spans.some((s) => s.start === start && s.end === end && s.label === value)) {
      say(st, `Already ${value}: “${tokenText(st, span)}”`);
      return;
    }
    record(st);
    let message = `${value} “${tokenText(st, span)}”`;
    let clashes = [];
    if (!st.overlap) {
      clashes = st.spans.filter((s) => s.start < end && start < s.end);
      if (clashes.length) {
        message += ` (replaces ${clashes.map((s) => `${s.label} “${tokenText(st, s)}”`).join(", ")})`;
        for (const s of clashes) {
          const r = range(st, s);
          if (r) [lo, hi] = [Math.min(lo, r[0]), Math.max(hi, r[1])];
        }
        st.spans = st.spans.filter((s) => !clashes.includes(s));
      }
    }
    st.spans.push(span);
    commit(st, lo, hi, [span], clashes);
    const next = Math.min(st.selHi + 1, st.toks.length - 1);
    select(st, next, next, true);
    say(st, message);
  };

  const fieldOf = (el) => {
    const input = el.closest("fieldset")?.querySelector("input.spans-input");
    return input ? fields.get(input.dataset.spansField) : null;
  };

  const setup = () => {
    fields = new Map();
    active = null;
    drag = null;
    for (const box of document.querySelectorAll(".span-text[data-spans-field]")) {
      const name = box.dataset.spansField;
      const input = document.querySelector(`input.spans-input[data-spans-field="${CSS.escape(name)}"]`);
      if (!input) continue;
      const panel = input.closest("fieldset");
      const colours = new Map();
      for (const button of panel.querySelectorAll("[data-span-label]")) colours.set(button.dataset.spanLabel, button.dataset.colour);
      let stored = [];
      try {
        stored = JSON.parse(input.value || "[]");
      } catch {
        stored = [];
      }
      const st = {
        name,
        box,
        input,
        colours,
        toks: Array.from(box.getElementsByClassName("tok")),
        starts: nums(box.dataset.starts),
        ends: nums(box.dataset.ends),
        spans: (Array.isArray(stored) ? stored : [])
          .filter((s) => s && typeof s === "object")
          .map(({ start, end, label: value }) => ({ start, end, label: value })),
        overlap: input.dataset.allowOverlap === "true",
        suggested: parseList(input.dataset.suggested).map(({ start, end, label: value }) => ({ start, end, label: value })),
        status: panel.querySelector(".span-status"),
        list: panel.querySelector(".span-list"),
        relFields: [], // relations fields over these spans
        relFrom: null,
        relTo: null,
        items: new Map(), // span -> its <li>
        spanOf: new WeakMap(), // <li> -> its span
        anchor: 0,
        cursor: 0,
        selLo: 0,
        selHi: -1,
      };
      st.spans.sort(byOffsets); // relations index into the sorted spans
      fields.set(name, st);
      active ||= st;
      paint(st, 0, st.toks.length - 1);
      for (const sug of st.suggested) {
        const r = range(st, sug);
        if (r) for (let i = r[0]; i <= r[1]; i++) {
          st.toks[i].classList.add("sug");
          st.toks[i].title = `suggested: ${sug.label}`;
        }
      }
      renderList(st);
      if (st === active) select(st, 0, 0, false);
    }
    setupRelations();
  };

  document.addEventListener("mousedown", (event) => {
    if (event.button !== 0) return;
    const tok = event.target.closest?.(".span-text .tok");
    if (!tok) return;
    const st = fields.get(tok.closest(".span-text").dataset.spansField);
    if (!st) return;
    event.preventDefault(); // no native text selection: ours snaps to tokens
    const i = Number(tok.dataset.i);
    active = st;
    drag = { st, from: i, moved: false };
    select(st, i, i, false);
  });

  document.addEventListener("mouseover", (event) => {
    if (!drag) return;
    const tok = event.target.closest?.(".span-text .tok");
    if (!tok || tok.closest(".span-text") !== drag.st.box) return;
    const i = Number(tok.dataset.i);
    if (i !== drag.from) drag.moved = true;
    select(drag.st, drag.from, i, false);
  });

  document.addEventListener("mouseup", () => {
    if (!drag) return;
    const { st, from, moved } = drag;
    drag = null;
    if (moved) return;
    const index = spanAt(st, from);
    if (index >= 0) removeSpan(st, index);
    else selectSuggestion(st, suggestionFrom(st, from, true));
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-span-label]");
    if (button) {
      const st = fieldOf(button);
      if (st) {
        active = st;
        label(st, button.dataset.spanLabel);
      }
      button.blur();
      return;
    }
    const relButton = event.target.closest("[data-rel-label]");
    if (relButton) {
      const r = relationsOf(relButton);
      if (r) relate(r, relButton.dataset.relLabel);
      relButton.blur();
      return;
    }
    const relRemove = event.target.closest(".rel-remove");
    if (relRemove) {
      const r = relationsOf(relRemove);
      if (r) removeRelation(r, Number(relRemove.dataset.index));
      return;
    }
    const remove = event.target.closest(".span-remove");
    if (remove) {
      const st = fieldOf(remove);
      const span = st?.spanOf.get(remove.closest("li"));
      if (span) removeSpan(st, st.spans.indexOf(span));
      return;
    }
    const li = event.target.closest(".span-list li");
    if (li) {
      const st = fieldOf(li);
      const span = st?.spanOf.get(li);
      const r = span && range(st, span);
      if (r) {
        active = st;
        select(st, r[0], r[1], true);
      }
    }
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (!fields.size || typing(event.target)) return;
    const st = active;
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      const cursor = st.cursor + (event.key === "ArrowRight" ? 1 : -1);
      select(st, event.shiftKey ? st.anchor : cursor, cursor, true);
      return;
    }
    if (event.key === "Escape") {
      select(st, st.cursor, st.cursor, false);
      return;
    }
    if (event.key === "'" && st.suggested.length) {
      event.preventDefault();
      const onOne = suggestionFrom(st, st.cursor, true);
      const r = onOne && range(st, onOne);
      // Already on that suggestion's selection: go on to the next one.
      const start = r && st.selLo === r[0] && st.selHi === r[1] ? r[1] + 1 : st.cursor;
      selectSuggestion(st, suggestionFrom(st, Math.min(start, st.toks.length - 1), false));
      return;
    }
    if ((event.key === "[" || event.key === "]") && st.relFields.length) {
      event.preventDefault();
      pickEnd(st, event.key === "[" ? "relFrom" : "relTo");
      return;
    }
    const key = event.key.length === 1 ? event.key.toLowerCase() : null;
    const relButton = key && document.querySelector(`[data-rel-key="${CSS.escape(key)}"]`);
    const r = relButton && relationsOf(relButton);
    if (r) {
      event.preventDefault();
      active = r.st;
      relate(r, relButton.dataset.relLabel);
      return;
    }
    const button = key && document.querySelector(`[data-span-key="${CSS.escape(key)}"]`);
    if (button) {
      const target = fieldOf(button);
      if (!target) return;
      event.preventDefault();
      active = target;
      label(target, button.dataset.spanLabel);
      return;
    }
    const xIsFree = key === "x" && !document.querySelector('input[data-key="x"], [data-span-key="x"]');
    if (event.key === "Delete" || xIsFree) {
      event.preventDefault();
      const index = spanAt(st, st.cursor);
      if (index >= 0) removeSpan(st, index);
      else say(st, "No span under the cursor");
    }
  });

  window.TD?.undo.onAccept(() => {
    const undos = [...fields.values()].map(acceptSuggestions).filter(Boolean);
    return undos.length ? () => { for (const undo of undos.reverse()) undo(); } : null;
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target.id !== "workspace" && event.target.id !== "workspace") return;
    setup();
  });

  setup();
})();
