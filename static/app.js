// Small behaviours that need script (CSP forbids inline scripts).
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) { event.detail.headers["X-CSRF-Token"] = token.content; }
});
// A second tap on a submit button while the first is under way sends nothing.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitting === "yes") { event.preventDefault(); return; }
  form.dataset.submitting = "yes";
  window.setTimeout(function () { form.dataset.submitting = ""; }, 4000);
});
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-autosubmit]")) { event.target.form.requestSubmit(); }
});

// Print buttons (bills, receipts, reports): the CSP allows no inline handlers.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
