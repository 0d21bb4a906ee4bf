// 協働マッチ: small progressive enhancements on top of htmx (no inline script anywhere).
(function () {
  "use strict";
  // htmx does not swap error responses (only 422): show the server's Japanese message in the alert region.
  document.addEventListener("htmx:responseError", function (evt) {
    var region = document.getElementById("flash-region");
    if (!region) return;
    var doc = new DOMParser().parseFromString(evt.detail.xhr.responseText || "", "text/html");
    var title = doc.querySelector(".error-message");
    var detail = doc.querySelector(".error-detail");
    var box = document.createElement("div");
    box.className = "notice notice--error";
    var p = document.createElement("p");
    p.textContent = (title ? title.textContent : "エラーが発生しました") + (detail ? " " + detail.textContent : "");
    box.appendChild(p);
    region.replaceChildren(box);
  });
  // 印刷ボタン: shown only where script runs (the browser's own print works everywhere).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // メニュー: on a phone the header's links fold behind one button (a disclosure: aria-expanded on the button).
  var nav = document.querySelector(".site-nav");
  var toggle = nav && nav.querySelector(".site-nav__toggle");
  if (toggle) {
    var phone = window.matchMedia("(max-width: 47.99rem)");
    var setOpen = function (open) { toggle.setAttribute("aria-expanded", open ? "true" : "false"); };
    nav.classList.add("site-nav--folding");
    toggle.hidden = false;
    setOpen(!phone.matches);
    phone.addEventListener("change", function (evt) { setOpen(!evt.matches); });
    toggle.addEventListener("click", function () { setOpen(toggle.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (evt) {
      if (evt.key === "Escape" && phone.matches && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }
  document.addEventListener("htmx:sendError", function () {
    var region = document.getElementById("flash-region");
    if (!region) return;
    var box = document.createElement("div");
    box.className = "notice notice--error";
    box.textContent = "通信できませんでした。接続を確認して、もう一度お試しください。";
    region.replaceChildren(box);
  });
})();
