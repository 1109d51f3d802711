// Content library uploads: a streamed multipart request to /api/content/files (new item) or
// /api/content/items/{id}/file (replace, data-method="PUT") with the antiforgery token in a header, an upload
// progress bar, then the item's page. A refused file shows the server's reason and changes nothing.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-content-upload]");
  if (!form) return;
  event.preventDefault();
  const data = new FormData(form);
  const token = data.get("__RequestVerificationToken");
  data.delete("__RequestVerificationToken");
  const bar = form.querySelector("[data-upload-progress]");
  const error = form.querySelector("[data-upload-error]");
  const button = form.querySelector("button[type=submit]");
  error.hidden = true;
  button.disabled = true;
  const request = new XMLHttpRequest();
  request.open(form.dataset.method || "POST", form.getAttribute("action"));
  request.setRequestHeader("RequestVerificationToken", token);
  request.setRequestHeader("Accept", "application/json");
  request.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    bar.hidden = false;
    bar.value = e.loaded / e.total;
  };
  request.onload = () => {
    if (request.status === 200 || request.status === 201) {
      window.location.href = "/content/" + JSON.parse(request.responseText).id;
      return;
    }
    let detail = request.statusText;
    try { detail = JSON.parse(request.responseText).detail || detail; } catch { /* not a problem document */ }
    error.textContent = detail;
    error.hidden = false;
    bar.hidden = true;
    button.disabled = false;
  };
  request.onerror = () => {
    error.textContent = form.dataset.errorNetwork;
    error.hidden = false;
    button.disabled = false;
  };
  request.send(data);
});
