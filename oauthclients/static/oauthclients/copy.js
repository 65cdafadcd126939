// Copy buttons: <button data-copy="ID"> copies the text of the element with that id.
// Without JavaScript the buttons stay hidden and the text can still be selected by hand. The
// status messages come translated from the button (data-copied, data-copy-failed).
document.querySelectorAll("button[data-copy]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const text = document.getElementById(button.dataset.copy).textContent.trim();
    const status = document.getElementById(button.dataset.copy + "-status");
    try {
      // A clipboard that never answers (a document without focus) gets the fallback after 3 s.
      await Promise.race([
        navigator.clipboard.writeText(text),
        new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), 3000)),
      ]);
      status.textContent = button.dataset.copied || "Copied.";
    } catch {
      status.textContent = button.dataset.copyFailed || "Select the text and copy it by hand.";
    }
  });
});
