// Asks for the device list as soon as the document is read, while the page's modules are still
// loading: the first render then waits on whichever comes last, not on both in a row. A small
// classic script, since the Content-Security-Policy forbids inline ones; app.js takes the answer.
(function () {
  var token = localStorage.getItem("mihub-token");
  if (!token || /pair=/.test(location.hash)) return;
  window.mihubDevices = fetch("/api/devices", { headers: { "Authorization": "Bearer " + token } });
  window.mihubDevices.catch(function () {});
})();
