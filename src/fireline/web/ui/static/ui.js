// fireline UI: reveal blurred media on request (and count it), and drop files to match.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const shield of document.querySelectorAll(".shield[data-case]")) {
    const button = shield.querySelector("button.reveal");
    if (!button) continue;
    button.addEventListener("click", async () => {
      const response = await fetch(`/ui/cases/${shield.dataset.case}/reveal`, {
        method: "POST",
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const body = await response.json();
      for (const media of shield.querySelectorAll(".veiled")) media.classList.remove("veiled");
      shield.classList.add("revealed");
      button.setAttribute("aria-pressed", "true");
      const counter = document.getElementById("exposure");
      if (counter) counter.textContent = String(body.today);
    });
  }

  for (const zone of document.querySelectorAll("form[data-dropzone]")) {
    const input = zone.querySelector('input[type="file"]');
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      if (!event.dataTransfer || event.dataTransfer.files.length === 0) return;
      input.files = event.dataTransfer.files;
      zone.requestSubmit();
    });
  }
});
