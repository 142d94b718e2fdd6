// LLM-response evaluation on the annotation page: pairwise preference (with strength),
// ranking and per-criterion ratings. The server renders the controls; this script only
// keeps each field's hidden JSON input (the value the form posts) in step with them, and
// starts a rewrite box (a text field with a `source`) from the preferred response's text
// when the box is still empty. Undoing the choice that filled a box empties it again, as
// long as it still holds exactly the text put in.
//
// Keys (when no text box has focus; none of them can be a schema hotkey, which are a-z and
// 1-9): , prefers response A, . prefers B, / is a tie, - and = lower and raise the strength.
// They act on the first pairwise field. Enter, Space, Backspace and ? stay with annotate.js.
// Ratings and ranking: ↑/↓ move the focus between rating rows and ranked responses, 1-9
// rate the focused criterion (then the focus moves on), Shift+↑/↓ move the focused
// response in the ranking (Shift+↑ on the top one keeps the order as it is). While a row
// has the focus its digits win over label hotkeys. Ranking moves push an undo (undo.js).
(() => {
  "use strict";
  const PREF_KEYS = new Set([",", ".", "/"]);
  const typing = (el) => el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text") || el.tagName === "SELECT");
  const form = () => document.getElementById("annotate-form");
  const fieldset = (el) => el.closest("fieldset.answer-field");
  const hidden = (box) => box?.querySelector("input.llm-input");
  const checked = (box, name) => box.querySelector(`input[name="${CSS.escape(name)}"]:checked`);

  const responseText = (source, index) => {
    const blocks = document.querySelectorAll("#workspace .responses[data-responses]");
    const block = [...blocks].find((b) => b.dataset.responses === source);
    const el = block?.querySelector(`.response[data-index="${Number(index)}"] .response-text`);
    return el ? el.textContent : null;
  };

  const rewriteBoxes = (source) => [...document.querySelectorAll("#workspace textarea[data-rewrite-source]")]
    .filter((box) => box.dataset.rewriteSource === source);
  // Box -> {text, by}: what this script put in an empty rewrite box, and which choice did.
  const filled = new WeakMap();
  const undoing = () => Boolean(window.TD?.undo.undoing);

  // Fill each still-empty rewrite box that reads this source with the chosen response.
  const prefill = (source, index, by) => {
    const text = responseText(source, index);
    if (text === null) return;
    for (const box of rewriteBoxes(source)) {
      if (box.value === "") { box.value = text; filled.set(box, { text, by }); }
    }
  };

  // Undo put a pairwise choice back (undo.js re-fires "change"): empty the boxes that the
  // undone choice filled, unless the annotator has edited them since.
  const unfill = (source, by) => {
    for (const box of rewriteBoxes(source)) {
      const was = filled.get(box);
      if (was && was.by.field === by.field && was.by.value !== by.value && box.value === was.text) {
        box.value = "";
        filled.delete(box);
      }
    }
  };

  const writePairwise = (box) => {
    const input = hidden(box);
    const name = input.dataset.llmField;
    const pref = checked(box, `ui_${name}_preferred`);
    const by = { field: name, value: pref ? pref.value : "" };
    if (undoing()) unfill(input.dataset.llmSource, by);
    if (!pref) { input.value = ""; return; }
    const answer = { preferred: pref.value === "tie" ? "tie" : Number(pref.value) };
    const strength = checked(box, `ui_${name}_strength`);
    if (strength && answer.preferred !== "tie") answer.strength = Number(strength.value);
    input.value = JSON.stringify(answer);
    if (answer.preferred !== "tie" && !undoing()) prefill(input.dataset.llmSource, answer.preferred, by);
  };

  const writeRanking = (box) => {
    const input = hidden(box);
    const order = [...box.querySelectorAll(".ranking-row")].map((li) => Number(li.dataset.index));
    input.value = JSON.stringify(order);
    const status = box.querySelector(".rank-status");
    if (status) status.textContent = "Ranking recorded.";
    const hasPairwise = [...document.querySelectorAll("#workspace input.llm-input[data-llm-type=pairwise]")]
      .some((p) => p.dataset.llmSource === input.dataset.llmSource);
    if (order.length && !hasPairwise) prefill(input.dataset.llmSource, order[0], { field: input.dataset.llmField, value: "ranking" });
  };

  const writeRating = (box) => {
    const input = hidden(box);
    const perResponse = input.dataset.perResponse === "true";
    const scores = [];
    let any = false;
    for (const row of box.querySelectorAll(".rating-row")) {
      const pos = Number(row.dataset.position);
      while (scores.length <= pos) scores.push({});
      const value = row.querySelector("input[type=radio]:checked");
      if (value) { scores[pos][row.dataset.criterion] = Number(value.value); any = true; }
    }
    input.value = any ? JSON.stringify(perResponse ? scores : scores[0]) : "";
  };

  const WRITERS = { pairwise: writePairwise, ranking: writeRanking, rating: writeRating };
  const write = (box) => {
    const type = hidden(box)?.dataset.llmType;
    if (WRITERS[type]) WRITERS[type](box);
  };

  document.addEventListener("change", (event) => {
    const box = event.target.closest && fieldset(event.target);
    if (box && hidden(box) && event.target.type === "radio") write(box);
  });

  // The ranking as it is now, and a function that puts it back (for undo), emptying a
  // rewrite box that was empty then and still holds only what the ranking put in.
  const rankingState = (box) => {
    const list = box.querySelector(".ranking-list");
    const rows = [...list.children];
    const input = hidden(box);
    const value = input.value;
    const status = box.querySelector(".rank-status");
    const said = status?.textContent;
    const empty = rewriteBoxes(input.dataset.llmSource).filter((b) => b.value === "");
    return () => {
      const focused = document.activeElement; // moving a node blurs it: keep the focus
      list.append(...rows);
      if (focused && list.contains(focused)) focused.focus();
      input.value = value;
      if (status) status.textContent = said;
      for (const b of empty) {
        if (b.value === filled.get(b)?.text) { b.value = ""; filled.delete(b); }
      }
    };
  };

  const moveRow = (li, step) => {
    const box = fieldset(li);
    window.TD?.undo.push(rankingState(box));
    const list = li.parentElement;
    if (step < 0 && li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
    else if (step > 0 && li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
    writeRanking(box);
  };

  document.addEventListener("click", (event) => {
    const move = event.target.closest(".rank-move");
    const keep = event.target.closest(".rank-keep");
    if (!move && !keep) return;
    const box = fieldset(event.target);
    if (!box) return;
    if (move) {
      moveRow(move.closest(".ranking-row"), Number(move.dataset.move));
      move.focus({ preventScroll: true });
      return;
    }
    window.TD?.undo.push(rankingState(box));
    writeRanking(box);
  });

  // 0 (undo.js) accepts a suggested ranking too.
  window.TD?.undo.onAccept(() => {
    const undos = [];
    for (const list of document.querySelectorAll("#workspace .ranking-list[data-suggested-order]")) {
      const box = fieldset(list);
      const rows = new Map([...list.children].map((li) => [li.dataset.index, li]));
      const wanted = JSON.parse(list.dataset.suggestedOrder).map((i) => rows.get(String(i)));
      if (wanted.some((li) => !li)) continue;
      undos.push(rankingState(box));
      list.append(...wanted);
      writeRanking(box);
    }
    return undos.length ? () => { for (const undo of undos.reverse()) undo(); } : null;
  });

  // Fire change so that write() and undo.js both see a choice made by key.
  const pick = (input) => {
    input.checked = true;
    input.focus({ preventScroll: true });
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };

  const ROWS = ".rating-row, .ranking-row";
  const rowKeys = (event, f) => {
    const rows = [...f.querySelectorAll(ROWS)];
    if (!rows.length) return false;
    const row = document.activeElement?.closest?.(ROWS);
    const at = row ? rows.indexOf(row) : -1;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      if (event.shiftKey && row?.classList.contains("ranking-row")) {
        moveRow(row, step);
        row.focus();
      } else {
        const next = at < 0 ? (step > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, at + step));
        rows[next].focus();
        rows[next].scrollIntoView({ block: "nearest" });
      }
      return true;
    }
    if (/^[1-9]$/.test(event.key) && row?.classList.contains("rating-row")) {
      const input = row.querySelector(`input[type=radio][value="${event.key}"]`);
      if (input) {
        input.checked = true;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        const next = rows.slice(at + 1).find((r) => r.classList.contains("rating-row"));
        (next || row).focus();
      }
      return true; // a digit out of the scale does nothing rather than pick a label
    }
    return false;
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const f = form();
    if (!f) return;
    if (rowKeys(event, f)) {
      event.preventDefault();
      event.stopImmediatePropagation(); // annotate.js would take a digit as a label key
      return;
    }
    if (PREF_KEYS.has(event.key)) {
      const input = f.querySelector(`input[data-pref-key="${CSS.escape(event.key)}"]`);
      if (input) { event.preventDefault(); pick(input); }
      return;
    }
    if (event.key === "-" || event.key === "=") {
      const first = f.querySelector("input.llm-input[data-llm-type=pairwise]");
      const box = first && fieldset(first);
      const options = box ? [...box.querySelectorAll(`input[name="ui_${CSS.escape(first.dataset.llmField)}_strength"]`)] : [];
      if (!options.length) return;
      event.preventDefault();
      const at = options.findIndex((o) => o.checked);
      const next = at < 0 ? (event.key === "=" ? 0 : options.length - 1) : at + (event.key === "=" ? 1 : -1);
      pick(options[Math.max(0, Math.min(options.length - 1, next))]);
    }
  });
})();
