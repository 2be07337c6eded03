// Catalog pages: the column editor, the upload with its progress, and the dataset page kept
// current. Every page works without this file: columns are typed one per line in the
// textarea, the upload form posts normally, and a reload shows the latest version.
(() => {
  "use strict";

  // The column editor ------------------------------------------------------------------
  // Rows of inputs that write "name, type, sensitivity, description" lines back into the
  // textarea, which stays the one field the server reads.

  const TYPES = ["text", "integer", "decimal", "date", "datetime", "boolean"];
  const SENSITIVITIES = ["none", "personal_identifier", "personal"];

  function parseLines(text) {
    return text
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => {
        const parts = line.split(",");
        const rest = parts.slice(3).join(",");
        return {
          name: (parts[0] || "").trim(),
          type: (parts[1] || "text").trim() || "text",
          sensitivity: (parts[2] || "none").trim() || "none",
          description: rest.trim(),
        };
      });
  }

  function select(options, value, label) {
    const element = document.createElement("select");
    element.setAttribute("aria-label", label);
    options.forEach((option) => element.add(new Option(option, option, false, option === value)));
    return element;
  }

  function input(value, label) {
    const element = document.createElement("input");
    element.type = "text";
    element.value = value;
    element.setAttribute("aria-label", label);
    return element;
  }

  function setUpColumnEditor(container) {
    const textarea = container.querySelector("textarea");
    if (!textarea) {
      return;
    }
    const labels = container.dataset;
    const list = document.createElement("ol");
    list.className = "column-rows";
    const add = document.createElement("button");
    add.type = "button";
    add.textContent = labels.labelAdd;

    function write() {
      const lines = [...list.children].map((row) => {
        const [name, type, sensitivity, description] = row.querySelectorAll("input, select");
        const line = [name.value.trim(), type.value, sensitivity.value];
        if (description.value.trim()) {
          line.push(description.value.trim());
        }
        return line.join(", ");
      });
      textarea.value = lines.filter((line) => !line.startsWith(",")).join("\n");
    }

    function addRow(column) {
      const row = document.createElement("li");
      const number = list.children.length + 1;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = labels.labelRemove;
      remove.setAttribute("aria-label", `${labels.labelRemove} ${number}`);
      remove.addEventListener("click", () => {
        row.remove();
        write();
        add.focus();
      });
      row.append(
        input(column.name, `${labels.labelName} ${number}`),
        select(TYPES, column.type, `${labels.labelType} ${number}`),
        select(SENSITIVITIES, column.sensitivity, `${labels.labelSensitivity} ${number}`),
        input(column.description, `${labels.labelDescription} ${number}`),
        remove,
      );
      row.addEventListener("input", write);
      row.addEventListener("change", write);
      list.append(row);
      return row;
    }

    const columns = parseLines(textarea.value);
    (columns.length ? columns : [{ name: "", type: "text", sensitivity: "none", description: "" }]).forEach(addRow);
    add.addEventListener("click", () => {
      addRow({ name: "", type: "text", sensitivity: "none", description: "" }).querySelector("input").focus();
    });
    textarea.closest(".field").hidden = true;
    container.append(list, add);
    textarea.form.addEventListener("submit", write);
  }

  // The dataset page -------------------------------------------------------------------

  async function refreshDataset() {
    const region = document.getElementById("dataset-live");
    if (!region) {
      return;
    }
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) {
      return;
    }
    const fresh = new DOMParser()
      .parseFromString(await response.text(), "text/html")
      .getElementById("dataset-live");
    if (fresh) {
      region.replaceChildren(...fresh.childNodes);
    }
  }

  function setUpUpload(form) {
    const progress = form.querySelector("[data-upload-progress]");
    const status = form.querySelector("[data-upload-status]");
    const fileInput = form.querySelector("input[type=file]");
    const token = form.querySelector("input[name=csrf_token]");

    function say(text, failed) {
      status.textContent = text;
      status.classList.toggle("error", Boolean(failed));
    }

    form.addEventListener("submit", (event) => {
      if (!fileInput.files.length) {
        return;
      }
      event.preventDefault();
      const body = new FormData();
      body.append("csrf_token", token.value);
      body.append("file", fileInput.files[0]);
      const request = new XMLHttpRequest();
      request.open("POST", form.dataset.apiUrl);
      request.setRequestHeader("X-CSRFToken", token.value);
      request.setRequestHeader("Accept", "application/json");
      progress.hidden = false;
      progress.value = 0;
      request.upload.addEventListener("progress", (progressEvent) => {
        if (progressEvent.lengthComputable) {
          const percent = Math.round((progressEvent.loaded / progressEvent.total) * 100);
          progress.value = percent;
          say(status.dataset.sending.replace("{percent}", String(percent)));
        }
      });
      request.upload.addEventListener("load", () => say(status.dataset.checking));
      request.addEventListener("load", () => {
        progress.hidden = true;
        let body = null;
        try {
          body = JSON.parse(request.responseText);
        } catch (error) {
          body = null;
        }
        if (request.status === 201) {
          say(`${form.dataset.stored || ""}`.replace("{number}", body.number).replace("{rows}", body.row_count));
          form.reset();
          refreshDataset();
          return;
        }
        say((body && body.error && body.error.message) || status.dataset.failed, true);
      });
      request.addEventListener("error", () => {
        progress.hidden = true;
        say(status.dataset.failed, true);
      });
      request.send(body);
    });
  }

  document.querySelectorAll("[data-column-editor]").forEach(setUpColumnEditor);
  document.querySelectorAll("[data-upload-form]").forEach(setUpUpload);
  document.querySelectorAll('[data-live-stream^="dataset:"]').forEach((feed) => {
    feed.addEventListener("bridgework:event", () => refreshDataset());
  });
})();
