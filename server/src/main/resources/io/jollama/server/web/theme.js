// Applies the saved theme before the page paints (a separate file: the page's CSP allows no inline script).
(function () {
  try {
    var t = localStorage.getItem('jollama.theme');
    if (t === 'light' || t === 'dark') document.documentElement.dataset.theme = t;
  } catch (e) { /* storage unavailable: follow the system */ }
})();
