// A refused action answers with its message alone (403), an invalid one with the row and its
// message (422): show either in place, as htmx would not swap an error response by itself.
document.body.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if ((status === 403 || status === 422) && event.detail.elt.closest("[data-followups]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
