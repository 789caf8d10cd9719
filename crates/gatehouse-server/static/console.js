// Copy buttons: <button data-copy="element-id">. The console works without this script; it
// only saves a select-and-copy.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  }).catch(() => {
    // The browser refused clipboard access: the value stays on the page to select by hand.
  });
});
