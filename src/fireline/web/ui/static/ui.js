// fireline UI: reveal blurred media on request (and count it), drop files to match, and
// keep removal orders' clocks running.
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

  // The words match order_views.clock_text, which rendered the first ones.
  const clocks = document.querySelectorAll(".clock[data-deadline]");
  const tick = () => {
    for (const clock of clocks) {
      const seconds = (Date.parse(clock.dataset.deadline) - Date.now()) / 1000;
      if (Number.isNaN(seconds)) continue;
      clock.textContent =
        seconds >= 60 ? `${Math.floor(seconds / 60)} min left`
        : seconds >= 0 ? "under 1 min left"
        : `overdue by ${Math.ceil(-seconds / 60)} min`;
      clock.classList.toggle("overdue", seconds < 0);
    }
  };
  if (clocks.length > 0) setInterval(tick, 15000);
});
