// Bridgework page behaviour that needs no server round trip.
// Forms marked data-confirm ask before a destructive action is sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A live event that changes what a page shows outside its activity feed (members,
// departments, details) fills the page's [data-stale-on] region with a reload link.
// data-stale-on lists event type prefixes separated by spaces.
document.addEventListener("bridgework:event", (event) => {
  const type = (event.detail && event.detail.type) || "";
  document.querySelectorAll("[data-stale-on]").forEach((notice) => {
    const prefixes = notice.getAttribute("data-stale-on").split(/\s+/).filter(Boolean);
    if (notice.childElementCount > 0 || !prefixes.some((prefix) => type.startsWith(prefix))) {
      return;
    }
    const link = document.createElement("a");
    link.href = window.location.pathname + window.location.search;
    const strings = pageStrings();
    link.textContent = strings.reload || "Reload to see the latest";
    notice.append(`${strings.changed || "This page has changed since you opened it."} `, link);
  });
});

// The words scripts show, in the reader's language (base.html's #page-config).
function pageStrings() {
  try {
    return JSON.parse(document.getElementById("page-config").textContent).strings || {};
  } catch (error) {
    return {};
  }
}
