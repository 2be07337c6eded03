// Case boards and case pages kept current without a reload.
//
// live.js follows the streams and dispatches "bridgework:event" for every event in order;
// this script reads the case's current state that case events carry (data.case) and
// moves or updates the card on a board, or the details on a case page, announcing the
// change to screen readers. Text is only ever written with textContent. Drag and drop
// on the board is an enhancement of each card's status select and Move button.
(() => {
  "use strict";

  const labelsElement = document.getElementById("case-labels");
  const labels = labelsElement ? JSON.parse(labelsElement.textContent) : null;
  if (!labels) {
    return;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (whole, name) => (name in values ? values[name] : whole));
  }

  function announce(id, text) {
    const region = document.getElementById(id);
    if (region) {
      region.textContent = "";
      window.setTimeout(() => {
        region.textContent = text;
      }, 50);
    }
  }

  function formatDay(iso) {
    if (!iso) {
      return "";
    }
    const date = new Date(`${iso}T00:00:00Z`);
    return Number.isNaN(date.getTime())
      ? iso
      : date.toLocaleDateString(document.documentElement.lang || undefined, {
          timeZone: "UTC",
          year: "numeric",
          month: "short",
          day: "numeric",
        });
  }

  function setField(root, name, text) {
    root.querySelectorAll(`[data-field="${name}"]`).forEach((element) => {
      element.textContent = text;
    });
  }

  function setPriority(root, priority) {
    root.querySelectorAll('[data-field="priority"]').forEach((badge) => {
      badge.className = `badge priority-${priority}`;
      badge.textContent = labels.priority[priority] || priority;
    });
  }

  function setOverdue(root, overdue) {
    root.querySelectorAll('[data-field="overdue"]').forEach((flag) => {
      flag.hidden = !overdue;
    });
  }

  function setVersion(root, version) {
    root.dataset.version = String(version);
    root.querySelectorAll('input[name="version"]').forEach((input) => {
      if (!root.matches("[data-case-edit]")) {
        input.value = String(version);
      }
    });
  }

  // The board ----------------------------------------------------------------------------

  const board = document.querySelector("[data-case-board]");

  function column(status) {
    return board.querySelector(`.board-column[data-status="${status}"]`);
  }

  function refreshColumns() {
    board.querySelectorAll(".board-column").forEach((section) => {
      const cards = section.querySelectorAll(".case-card").length;
      const empty = section.querySelector(".empty-column");
      if (empty) {
        empty.hidden = cards > 0;
      }
    });
  }

  function adjustCount(status, delta) {
    const count = column(status) && column(status).querySelector("[data-count]");
    if (count) {
      const value = Number.parseInt(count.dataset.value || count.textContent.replace(/\D/g, ""), 10) || 0;
      count.dataset.value = String(Math.max(0, value + delta));
      count.textContent = count.dataset.value;
    }
  }

  function newCard(card) {
    const template = document.getElementById("case-card-template");
    if (!template) {
      return null;
    }
    const element = template.content.firstElementChild.cloneNode(true);
    element.id = `case-${card.case_id}`;
    element.dataset.caseId = String(card.case_id);
    element.querySelector("a.case-title").href = card.url;
    const form = element.querySelector("form.move-form");
    if (form) {
      form.action = `${card.url}/move`;
      const select = form.querySelector("select");
      select.id = `move-${card.case_id}`;
      form.querySelector("label").htmlFor = select.id;
      const token = document.querySelector('input[name="csrf_token"]');
      form.querySelector('input[name="csrf_token"]').value = token ? token.value : "";
      form.querySelectorAll(".visually-hidden").forEach((hidden) => {
        hidden.textContent = hidden.textContent.replace(/\s*$/, ` ${card.key}`);
      });
    }
    return element;
  }

  function updateCard(element, card) {
    setField(element, "key", card.key);
    setField(element, "title", card.title);
    setField(element, "due_on", card.due_on ? `${formatDay(card.due_on)}` : "");
    setField(element, "assignees", card.assignees.length ? card.assignees.join(", ") : labels.nobody);
    setPriority(element, card.priority);
    setOverdue(element, card.overdue);
    setVersion(element, card.version);
    const select = element.querySelector('select[name="status"]');
    if (select) {
      select.value = card.status;
    }
  }

  function applyToBoard(message) {
    const card = message.data && message.data.case;
    if (!card) {
      return;
    }
    let element = document.getElementById(`case-${card.case_id}`);
    if (element && Number(element.dataset.version) > card.version) {
      return;
    }
    const created = !element;
    if (created) {
      element = newCard(card);
      if (!element) {
        return;
      }
    }
    const before = element.closest(".board-column");
    const target = column(card.status);
    updateCard(element, card);
    if (target && before !== target) {
      if (before) {
        adjustCount(before.dataset.status, -1);
      }
      adjustCount(card.status, +1);
      target.querySelector("ol.cards").prepend(element);
      refreshColumns();
    }
    const values = { key: card.key, status: labels.status[card.status] || card.status };
    const text = created ? labels.added : before && before !== target ? labels.moved : labels.changed;
    announce("board-announcer", fill(text, values));
    element.classList.add("just-changed");
    window.setTimeout(() => element.classList.remove("just-changed"), 1500);
  }

  function enableDragging() {
    board.addEventListener("dragstart", (event) => {
      const card = event.target.closest && event.target.closest(".case-card");
      if (card) {
        event.dataTransfer.setData("text/plain", card.dataset.caseId);
        event.dataTransfer.effectAllowed = "move";
      }
    });
    board.querySelectorAll(".board-column").forEach((section) => {
      section.addEventListener("dragover", (event) => {
        event.preventDefault();
        section.classList.add("drop-target");
      });
      section.addEventListener("dragleave", () => section.classList.remove("drop-target"));
      section.addEventListener("drop", (event) => {
        event.preventDefault();
        section.classList.remove("drop-target");
        const card = document.getElementById(`case-${event.dataTransfer.getData("text/plain")}`);
        const form = card && card.querySelector("form.move-form");
        if (!form || card.closest(".board-column") === section) {
          return;
        }
        form.querySelector('select[name="status"]').value = section.dataset.status;
        form.requestSubmit();
      });
    });
  }

  if (board) {
    board.addEventListener("bridgework:event", (event) => applyToBoard(event.detail));
    enableDragging();
  }

  // The case page and the edit page -------------------------------------------------------

  const page = document.querySelector("[data-case-page]");
  const editor = document.querySelector("[data-case-edit]");

  function appendComment(comment) {
    const list = document.querySelector("[data-comments]");
    if (!list || !comment) {
      return;
    }
    const item = document.createElement("li");
    const meta = document.createElement("p");
    meta.className = "comment-meta";
    const author = document.createElement("strong");
    author.textContent = comment.author;
    meta.append(author);
    const body = document.createElement("p");
    body.className = "purpose";
    body.textContent = comment.body;
    item.append(meta, body);
    list.append(item);
    const empty = document.querySelector("[data-comments-empty]");
    if (empty) {
      empty.hidden = true;
    }
  }

  function appendAttachment(attachment) {
    const list = document.querySelector("[data-attachments]");
    if (!list || !attachment || !page) {
      return;
    }
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `${window.location.pathname.replace(/\/$/, "")}/attachments/${attachment.id}`;
    link.textContent = attachment.name;
    item.append(link);
    list.append(item);
    const empty = document.querySelector("[data-attachments-empty]");
    if (empty) {
      empty.hidden = true;
    }
  }

  function applyToPage(message) {
    const data = message.data || {};
    const card = data.case;
    if (data.comment) {
      appendComment(data.comment);
    }
    if (data.attachment) {
      appendAttachment(data.attachment);
    }
    if (!card || Number(page.dataset.version) > card.version) {
      return;
    }
    setField(page, "title", card.title);
    setField(page, "status", labels.status[card.status] || card.status);
    setField(page, "due_on", card.due_on ? formatDay(card.due_on) : "");
    setField(page, "region", card.region || "");
    setField(page, "departments", card.departments.join(", "));
    setField(page, "assignees", card.assignees.length ? card.assignees.join(", ") : labels.nobody);
    setPriority(page, card.priority);
    setOverdue(page, card.overdue);
    setVersion(page, card.version);
    const select = page.querySelector('form.move-form select[name="status"]');
    if (select) {
      select.value = card.status;
    }
    if (typeof data.text === "string") {
      announce("case-announcer", data.text);
    }
  }

  function warnEditor(message) {
    const card = message.data && message.data.case;
    const notice = document.querySelector("[data-case-stale]");
    if (card && notice && card.version > Number(editor.dataset.version)) {
      notice.textContent = labels.stale;
    }
  }

  if (page) {
    page.addEventListener("bridgework:event", (event) => applyToPage(event.detail));
  }
  if (editor) {
    editor.addEventListener("bridgework:event", (event) => warnEditor(event.detail));
  }

  // Presence: who else is viewing this case now.
  document.addEventListener("bridgework:presence", (event) => {
    const line = document.querySelector("[data-presence]");
    const message = event.detail;
    if (!line || !page || message.stream !== `case:${page.dataset.caseId}`) {
      return;
    }
    const me = Number(document.body.dataset.userId);
    const others = (message.viewers || []).filter((viewer) => viewer.id !== me);
    line.textContent = others.length
      ? fill(labels.viewing_others, { names: others.map((viewer) => viewer.name).join(", ") })
      : labels.viewing_alone;
    line.dataset.viewers = others.map((viewer) => viewer.id).join(" ");
  });
})();
