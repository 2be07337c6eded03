// Bridgework page behaviour that needs no server round trip.
// Forms marked data-confirm ask before a destructive action is sent.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
