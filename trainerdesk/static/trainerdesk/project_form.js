// New-project form: show the inputs of the chosen task type, and when the manager switches
// to "Custom", start the JSON box from a schema built out of the labels typed so far.
(() => {
  const form = document.getElementById("project-form");
  if (!form) return;
  const picker = form.querySelector("[name=task_type]");
  const labels = form.querySelector("[name=labels]");
  const source = form.querySelector("[name=source]");
  const json = form.querySelector("[name=label_schema]");
  let previous = picker.value;

  function schemaFromLabels(type) {
    const entries = labels.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
      const match = line.match(/^(.*?\S)\s*:\s*(\S)$/);
      return match ? { value: match[1], hotkey: match[2] } : { value: line };
    });
    const list = entries.length ? entries : [{ value: "positive", hotkey: "p" }, { value: "negative", hotkey: "n" }];
    const text = (source && source.value.trim()) || "text";
    const field = type === "ner"
      ? { name: "entities", type: "spans", source: text, labels: list }
      : { name: "label", type: "choice", source: text, multiple: type === "multilabel", labels: list };
    return { fields: [field] };
  }

  function show() {
    for (const box of form.querySelectorAll("[data-for-task]")) {
      box.hidden = !box.dataset.forTask.split(" ").includes(picker.value);
    }
  }

  picker.addEventListener("change", () => {
    if (picker.value === "custom" && !json.value.trim()) {
      json.value = JSON.stringify(schemaFromLabels(previous), null, 2);
    }
    previous = picker.value;
    show();
  });
  show();
})();
