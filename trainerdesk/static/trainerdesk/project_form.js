// New-project form: show the inputs of the chosen task type, name the source key after what
// it holds (text, image, responses), and when the manager switches to "Custom", start the
// JSON box from the schema the previous type would have built with the labels typed so far.
// The schemas come from the server (#task-templates), so the two never disagree.
(() => {
  const form = document.getElementById("project-form");
  const templates = JSON.parse(document.getElementById("task-templates")?.textContent || "{}");
  if (!form) return;
  const picker = form.querySelector("[name=task_type]");
  const labels = form.querySelector("[name=labels]");
  const source = form.querySelector("[name=source]");
  const multiple = form.querySelector("[name=multiple]");
  const json = form.querySelector("[name=label_schema]");
  const sourceLabel = source && form.querySelector(`label[for="${CSS.escape(source.id)}"]`);
  let previous = picker.value;

  function schemaFor(type) {
    const template = templates[type] || templates.classification;
    const schema = structuredClone(template.schema);
    const entries = labels.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const match = line.match(/^(.*?\S)\s*:\s*(\S)$/);
      return match ? { value: match[1], hotkey: match[2] } : { value: line };
    });
    const key = (source && source.value.trim()) || template.source_default;
    for (const field of schema.fields) {
      if (field.source === template.source_default) field.source = key;
      if (field.labels && entries.length) field.labels = entries;
      if (type === "image_classification" && multiple) field.multiple = multiple.checked;
    }
    return schema;
  }

  function show() {
    for (const box of form.querySelectorAll("[data-for-task]")) {
      box.hidden = !box.dataset.forTask.split(" ").includes(picker.value);
    }
  }

  // The key's label follows the type; a default key left as it was follows too (Custom has
  // no key input, so the default last put in stays the one to compare with).
  let shownDefault = templates[picker.value]?.source_default;
  function relabel() {
    const now = templates[picker.value];
    if (!now || !source) return;
    if (sourceLabel) sourceLabel.textContent = `${now.source_label}:`;
    const key = source.value.trim();
    if (!key || key === shownDefault) source.value = now.source_default;
    shownDefault = now.source_default;
  }

  picker.addEventListener("change", () => {
    if (picker.value === "custom" && !json.value.trim()) {
      json.value = JSON.stringify(schemaFor(previous), null, 2);
    }
    relabel();
    previous = picker.value;
    show();
  });
  relabel();
  show();
})();
