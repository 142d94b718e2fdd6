// Settings page: a form for the labels and hotkeys of each labelled field (choice, spans,
// relations, boxes), written into the label-schema JSON box, which stays the one thing the
// page posts. Editing the JSON by hand redraws the form; every change is checked by the
// server (htmx posts the box to schema-check, which runs the validation the save runs).
// Hand-written: a few dozen lines over the JSON the server already validates, where a
// form-builder library would bring its own schema format.
(() => {
  "use strict";
  const editor = document.getElementById("schema-editor");
  const box = document.querySelector("textarea[name=label_schema]");
  if (!editor || !box) return;
  const LABELLED = new Set(["choice", "spans", "relations", "boxes"]);
  let doc = null;

  const read = () => {
    try {
      const parsed = JSON.parse(box.value);
      return parsed && Array.isArray(parsed.fields) ? parsed : null;
    } catch {
      return null;
    }
  };

  // A label may be written as a bare string; the form edits it as an object.
  const labelAt = (f, l) => {
    const fieldLabels = doc.fields[f].labels;
    if (typeof fieldLabels[l] === "string") fieldLabels[l] = { value: fieldLabels[l] };
    return fieldLabels[l];
  };

  const write = () => {
    box.value = JSON.stringify(doc, null, 2);
    box.dispatchEvent(new Event("schema-edited", { bubbles: true })); // htmx: check it
  };

  const el = (tag, { dataset = {}, ...props } = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    Object.assign(node.dataset, dataset);
    node.append(...children);
    return node;
  };

  const input = (f, l, prop, value, label, extra = {}) => el("input", {
    type: "text", value: value ?? "", dataset: { f, l, prop }, ariaLabel: label, ...extra,
  });

  const render = () => {
    editor.replaceChildren();
    if (!doc) {
      editor.append(el("p", { className: "errorlist" }, "The JSON below does not parse, so the label form is hidden: fix the JSON (the check under it says where)."));
      return;
    }
    editor.append(el("h2", {}, "Labels and hotkeys"));
    let shown = 0;
    doc.fields.forEach((field, f) => {
      if (!field || !LABELLED.has(field.type) || !Array.isArray(field.labels)) return;
      shown += 1;
      const name = String(field.name ?? `field ${f + 1}`);
      const rows = field.labels.map((raw, l) => {
        const lab = typeof raw === "string" ? { value: raw } : raw || {};
        return el("tr", {},
          el("td", {}, input(f, l, "value", lab.value, `${name}: label ${l + 1}`, { required: true, maxLength: 100 })),
          el("td", {}, input(f, l, "hotkey", lab.hotkey, `${name}: hotkey of label ${l + 1}`, { maxLength: 1, size: 2, className: "hotkey-input", placeholder: "—" })),
          el("td", {}, input(f, l, "description", lab.description, `${name}: description of label ${l + 1}`)),
          el("td", {}, el("button", { type: "button", className: "secondary", textContent: "Remove", dataset: { remove: `${f}:${l}` }, ariaLabel: `Remove label ${lab.value ?? l + 1} of ${name}` })));
      });
      editor.append(el("fieldset", { className: "schema-field" },
        el("legend", {}, `${name} `, el("span", { className: "badge", textContent: field.type })),
        el("div", { className: "table-scroll" }, el("table", { className: "schema-labels" },
          el("thead", {}, el("tr", {}, ...["Label", "Key", "Description", ""].map((t) => el("th", { textContent: t })))),
          el("tbody", {}, ...rows))),
        el("button", { type: "button", className: "secondary", textContent: "Add a label", dataset: { add: String(f) } })));
    });
    editor.append(el("p", { className: "help" }, shown
      ? "Keys: a-z or 1-9 (0 is the page's own key). Labels without a key get 1-9 in order in the first choice field. Other options (field names, types, criteria): the JSON below."
      : "This schema has no labelled field; edit it in the JSON below."));
  };

  editor.addEventListener("input", (event) => {
    const { f, l, prop } = event.target.dataset;
    if (!doc || f === undefined) return;
    const lab = labelAt(Number(f), Number(l));
    const value = event.target.value;
    if (prop === "value" || value) lab[prop] = prop === "hotkey" ? value.toLowerCase() : value;
    else delete lab[prop]; // an empty key or description is left out, not written as ""
    write();
  });

  editor.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add]");
    const remove = event.target.closest("[data-remove]");
    if (!doc || !(add || remove)) return;
    let focus = null;
    if (add) {
      const f = Number(add.dataset.add);
      doc.fields[f].labels.push({ value: "" });
      focus = `input[data-f="${f}"][data-l="${doc.fields[f].labels.length - 1}"][data-prop=value]`;
    } else {
      const [f, l] = remove.dataset.remove.split(":").map(Number);
      doc.fields[f].labels.splice(l, 1);
      focus = `button[data-add="${f}"]`;
    }
    write();
    render();
    editor.querySelector(focus)?.focus();
  });

  // Typed into the JSON box by hand (not our own write): redraw the form from it.
  box.addEventListener("input", (event) => {
    if (!event.isTrusted) return;
    doc = read();
    render();
  });

  doc = read();
  render();
})();
