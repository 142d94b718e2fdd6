// LLM-response evaluation on the annotation page: pairwise preference (with strength),
// ranking and per-criterion ratings. The server renders the controls; this script only
// keeps each field's hidden JSON input (the value the form posts) in step with them, and
// starts a rewrite box (a text field with a `source`) from the preferred response's text
// when the box is still empty.
//
// Keys (when no text box has focus; none of them can be a schema hotkey, which are a-z and
// 1-9): , prefers response A, . prefers B, / is a tie, - and = lower and raise the strength.
// They act on the first pairwise field. Enter, Space, Backspace and ? stay with annotate.js.
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

  // Fill each still-empty rewrite box that reads this source with the chosen response.
  const prefill = (source, index) => {
    const text = responseText(source, index);
    if (text === null) return;
    for (const box of document.querySelectorAll("#workspace textarea[data-rewrite-source]")) {
      if (box.dataset.rewriteSource === source && box.value === "") box.value = text;
    }
  };

  const writePairwise = (box) => {
    const input = hidden(box);
    const name = input.dataset.llmField;
    const pref = checked(box, `ui_${name}_preferred`);
    if (!pref) { input.value = ""; return; }
    const answer = { preferred: pref.value === "tie" ? "tie" : Number(pref.value) };
    const strength = checked(box, `ui_${name}_strength`);
    if (strength && answer.preferred !== "tie") answer.strength = Number(strength.value);
    input.value = JSON.stringify(answer);
    if (answer.preferred !== "tie") prefill(input.dataset.llmSource, answer.preferred);
  };

  const writeRanking = (box) => {
    const input = hidden(box);
    const order = [...box.querySelectorAll(".ranking-row")].map((li) => Number(li.dataset.index));
    input.value = JSON.stringify(order);
    const status = box.querySelector(".rank-status");
    if (status) status.textContent = "Ranking recorded.";
    const hasPairwise = [...document.querySelectorAll("#workspace input.llm-input[data-llm-type=pairwise]")]
      .some((p) => p.dataset.llmSource === input.dataset.llmSource);
    if (order.length && !hasPairwise) prefill(input.dataset.llmSource, order[0]);
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

  document.addEventListener("click", (event) => {
    const move = event.target.closest(".rank-move");
    const keep = event.target.closest(".rank-keep");
    if (!move && !keep) return;
    const box = fieldset(event.target);
    if (!box) return;
    if (move) {
      const li = move.closest(".ranking-row");
      const list = li.parentElement;
      if (move.dataset.move === "-1" && li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
      else if (move.dataset.move === "1" && li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
      move.focus({ preventScroll: true });
    }
    writeRanking(box);
  });

  const pick = (input) => {
    input.checked = true;
    input.focus({ preventScroll: true });
    write(fieldset(input));
  };

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const f = form();
    if (!f) return;
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
