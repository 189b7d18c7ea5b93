// Print buttons without inline script (the Content-Security-Policy allows none).
document.addEventListener("click", function (event) {
  var target = event.target;
  if (target instanceof Element && target.closest("[data-print]")) {
    window.print();
  }
});
