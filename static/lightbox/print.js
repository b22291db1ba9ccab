// The print view's button: the browser's own print dialog (a script file: the CSP allows
// no inline handlers).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
